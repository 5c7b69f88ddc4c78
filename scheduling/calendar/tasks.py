"""Celery tasks of scheduling.calendar (thin: re-fetch by id, call a service)."""

from __future__ import annotations

from celery import shared_task

from scheduling.models import InterviewerProfile


@shared_task(name="scheduling.caldav_sync_interview", soft_time_limit=90, time_limit=120)
def caldav_sync_interview_task(interview_id: int) -> int:
    """Write (or delete) an interview in its interviewers' CalDAV calendars."""
    from scheduling.calendar.caldav_sync import caldav_sync_interview

    return caldav_sync_interview(interview_id=interview_id)


@shared_task(name="scheduling.external_calendar_refresh", soft_time_limit=60, time_limit=90)
def external_calendar_refresh_task(profile_id: int) -> int:
    """Re-import one interviewer's external busy calendar."""
    from scheduling.calendar.ics_import import external_calendar_refresh

    return external_calendar_refresh(profile_id=profile_id)


@shared_task(name="scheduling.external_calendars_refresh", soft_time_limit=60, time_limit=90)
def external_calendars_refresh_task() -> int:
    """Queue a refresh (queue ``batch``) of every interviewer profile that has an ICS address."""
    ids = list(InterviewerProfile.objects.exclude(ics_url="").values_list("pk", flat=True))
    for profile_id in ids:
        external_calendar_refresh_task.apply_async(args=(profile_id,), queue="batch")
    return len(ids)
