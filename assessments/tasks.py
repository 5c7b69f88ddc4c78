"""Celery tasks of the assessments app (thin: they re-fetch by id and call a service)."""

from __future__ import annotations

from celery import shared_task

from assessments.plagiarism.services import submission_plagiarism_check


@shared_task(name="assessments.submission_plagiarism_check", soft_time_limit=120, time_limit=180, acks_late=True)
def submission_plagiarism_check_task(submission_id: int) -> int:
    """Compare a new submission with the other candidates' latest ones (queue ``batch``)."""
    return len(submission_plagiarism_check(submission_id=submission_id))


@shared_task(name="assessments.dsa_sessions_close_expired", soft_time_limit=60, time_limit=120)
def dsa_sessions_close_expired_task() -> int:
    """Close async assessments whose deadline passed (periodic, every few minutes)."""
    from assessments.services.dsa import dsa_sessions_close_expired

    return dsa_sessions_close_expired()
