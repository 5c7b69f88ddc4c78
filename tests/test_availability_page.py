"""/availability/: a staff member keeps their own weekly hours, exceptions, busy time and limits."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from accounts.models import User
from scheduling.factories import AvailabilityRuleFactory, BusyBlockFactory
from scheduling.models import AvailabilityException, AvailabilityRule, BusyBlock, InterviewerProfile
from tests.conftest import Tenant
from tests.test_booking import working_day

URL = "/availability/"
KOLKATA = ZoneInfo("Asia/Kolkata")


def weekly_post(days: dict[int, list[tuple[str, str]]]) -> dict[str, str]:
    """The weekly formsets' POST: ``{weekday: [("09:00", "12:00"), ...]}``."""
    data = {"section": "weekly"}
    for weekday in range(7):
        rows = days.get(weekday, [])
        prefix = f"day{weekday}"
        data |= {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
        for i, (start, end) in enumerate(rows):
            data |= {f"{prefix}-{i}-start_time": start, f"{prefix}-{i}-end_time": end}
    return data


@pytest.fixture
def interviewer(acme: Tenant) -> User:
    user = acme.users["interviewer"]
    User.objects.filter(pk=user.pk).update(time_zone="Asia/Kolkata")
    user.refresh_from_db()
    return user


def test_the_page_shows_times_in_the_users_zone_and_links_calendar_settings(acme: Tenant, interviewer: User) -> None:
    page = acme.client("interviewer").get(URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Asia/Kolkata" in html
    assert 'href="/settings/calendar/"' in html
    assert html.count('<fieldset class="avail-day"') == 7


def test_saving_weekly_hours_merges_overlapping_windows(acme: Tenant, interviewer: User) -> None:
    # when
    response = acme.client("interviewer").post(
        URL, weekly_post({0: [("09:00", "12:00"), ("11:00", "14:00")], 2: [("10:00", "11:00")]})
    )
    # then
    assert response.status_code == 302
    rules = [(r.weekday, r.start_time, r.end_time) for r in AvailabilityRule.objects.filter(user=interviewer)]
    assert rules == [(0, time(9), time(14)), (2, time(10), time(11))]


def test_saving_weekly_hours_replaces_the_old_ones(acme: Tenant, interviewer: User) -> None:
    AvailabilityRuleFactory(organization=acme.org, user=interviewer, weekday=4)
    acme.client("interviewer").post(URL, weekly_post({1: [("08:00", "10:00")]}))
    assert list(AvailabilityRule.objects.filter(user=interviewer).values_list("weekday", flat=True)) == [1]


def test_an_end_before_the_start_is_refused_and_nothing_changes(acme: Tenant, interviewer: User) -> None:
    AvailabilityRuleFactory(organization=acme.org, user=interviewer, weekday=4)
    response = acme.client("interviewer").post(URL, weekly_post({0: [("12:00", "09:00")]}))
    assert response.status_code == 400
    assert "The end must be after the start." in response.content.decode()
    assert list(AvailabilityRule.objects.filter(user=interviewer).values_list("weekday", flat=True)) == [4]


def test_the_preview_lists_the_free_windows_of_the_next_two_weeks(acme: Tenant, interviewer: User) -> None:
    # given Monday to Sunday 10:00–12:00 in Kolkata
    for weekday in range(7):
        AvailabilityRuleFactory(
            organization=acme.org, user=interviewer, weekday=weekday, start_time=time(10), end_time=time(12)
        )
    # when
    html = acme.client("interviewer").get(URL).content.decode()
    # then (a day more than a day ahead is whole: no notice or "now" cuts it)
    day = working_day(3)
    assert f"{day:%A} {day.day} {day:%B}</dt><dd>10:00–12:00" in html


def test_busy_time_is_typed_in_the_users_zone_and_stored_in_utc(acme: Tenant, interviewer: User) -> None:
    day = working_day()
    response = acme.client("interviewer").post(
        URL,
        {"section": "busy", "starts_at": f"{day}T15:00", "ends_at": f"{day}T16:30", "title": "Dentist"},
    )
    assert response.status_code == 302
    block = BusyBlock.objects.get(user=interviewer)
    assert block.starts_at == datetime.combine(day, time(15), tzinfo=KOLKATA)
    assert block.ends_at - block.starts_at == timedelta(minutes=90)
    assert block.source == BusyBlock.Source.MANUAL


def test_a_day_off_is_an_exception_without_times(acme: Tenant, interviewer: User) -> None:
    day = working_day()
    response = acme.client("interviewer").post(
        URL, {"section": "exception", "date": str(day), "available": "0", "note": "holiday"}
    )
    assert response.status_code == 302
    exception = AvailabilityException.objects.get(user=interviewer)
    assert (exception.date, exception.start_time, exception.available) == (day, None, False)


def test_an_extra_window_needs_its_times(acme: Tenant, interviewer: User) -> None:
    response = acme.client("interviewer").post(
        URL, {"section": "exception", "date": str(working_day()), "available": "1"}
    )
    assert response.status_code == 400
    assert not AvailabilityException.objects.exists()


def test_limits_are_saved(acme: Tenant, interviewer: User) -> None:
    response = acme.client("interviewer").post(
        URL, {"section": "caps", "daily_cap": "2", "weekly_cap": "6", "buffer_minutes": "30"}
    )
    assert response.status_code == 302
    profile = InterviewerProfile.objects.get(user=interviewer, organization=acme.org)
    assert (profile.daily_cap, profile.weekly_cap, profile.buffer_minutes) == (2, 6, 30)


def test_a_daily_limit_above_the_weekly_one_is_refused(acme: Tenant, interviewer: User) -> None:
    response = acme.client("interviewer").post(
        URL, {"section": "caps", "daily_cap": "5", "weekly_cap": "3", "buffer_minutes": "0"}
    )
    assert response.status_code == 400
    assert not InterviewerProfile.objects.exists()


def test_someone_elses_busy_time_is_neither_shown_nor_deletable(acme: Tenant, interviewer: User) -> None:
    # given the recruiter's busy block
    other = BusyBlockFactory(organization=acme.org, user=acme.users["recruiter"], title="SECRET-MEETING")
    client = acme.client("interviewer")
    # then
    assert "SECRET-MEETING" not in client.get(URL).content.decode()
    assert client.post(URL, {"section": "delete_busy", "pk": other.pk}).status_code == 404
    assert BusyBlock.objects.filter(pk=other.pk).exists()


def test_own_busy_time_can_be_deleted(acme: Tenant, interviewer: User) -> None:
    mine = BusyBlockFactory(organization=acme.org, user=interviewer)
    response = acme.client("interviewer").post(URL, {"section": "delete_busy", "pk": mine.pk})
    assert response.status_code == 302
    assert not BusyBlock.objects.filter(pk=mine.pk).exists()


def test_candidates_cannot_open_the_page(acme: Tenant) -> None:
    assert acme.client("candidate").get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in() -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_recruiters_keep_their_own_availability_too(acme: Tenant) -> None:
    response = acme.client("recruiter").post(URL, weekly_post({3: [("09:00", "10:00")]}))
    assert response.status_code == 302
    assert AvailabilityRule.objects.get().user == acme.users["recruiter"]
