"""Interviewer analytics against numbers worked out by hand from the fixture below.

Pipeline: phone (order 1) → live (2) → panel (3, the last). Interviewers Ivy, Jon and Kim.
c1 (position A, referral) went through to the panel and was hired there, after the last stage;
c2 (A, LinkedIn) was rejected at phone; c3 (B, referral) withdrew at phone.
- i1 c1 phone, Mon 4 March 10:00, 60 min scheduled, 10:00–10:50. Ivy rates 4/4, strong yes,
  submitted 12:50 (2 h); Jon 2/2, no, next day 10:50 (24 h).
- i2 c2 phone, Wed 6 March 14:00, 30 min, 14:00–14:40. Ivy 3, yes, 15:40 (1 h); Kim 2,
  strong no, 14:30 (before the end: 0 h).
- i3 c3 phone, Tue 12 March, 45 min, held by phone: completed with no times recorded. Jon
  rates 3, strong yes, 10:00 (no end: no turnaround).
- i4 cancelled, 13 March, with Ivy (rated 1): never counts.
- i5 c1 panel, Mon 18 March 10:00, 60 min, 10:00–11:10. Ivy 4, yes, 13:10 (2 h); Kim only a
  draft (never counts). Kim's scorecard on i1, whose panel she was not on, never counts either.
Leniency: i1 panel mean (4 + 2) / 2 = 3 → Ivy +1, Jon −1; i2 (3 + 2) / 2 = 2.5 → Ivy +0.5,
Kim −0.5; i3 and i5 have one scorecard. Ivy 0.75, Jon −1.0, Kim −0.5.
Agreement with the final decisions: c1 hired — Ivy's strong yes (i1) and yes (i5) agree, Jon's
no (i1) does not; c2 rejected — Ivy's yes disagrees, Kim's strong no agrees; c3 withdrew — Jon's
strong yes is not counted. Ivy 2/3 = 66.7 %, Jon 0/1, Kim 1/1; all 3/5 = 60 %.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.factories import UserFactory
from interviews.factories import (
    CandidateFactory,
    InterviewFactory,
    ParticipantFactory,
    PipelineFactory,
    PositionFactory,
    ScorecardFactory,
    StageFactory,
)
from interviews.models import Candidate, Interview, Participant, Scorecard, StageMove
from interviews.services import candidate_decide
from reporting.filters import ReportFilters
from reporting.metrics.interviewers import interviewers_dashboard
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


def rows_of(dashboard: Any, table: str = "interviewers") -> dict[str, dict[str, Any]]:
    found = dashboard.table(table)
    return {row[0]: dict(zip(found.columns, row, strict=True)) for row in found.rows}


def interview(org: Any, candidate: Any, stage: Any, start: datetime, minutes: int, **extra: Any) -> Interview:
    extra.setdefault("status", Interview.Status.COMPLETED)
    return InterviewFactory(
        organization=org, candidate=candidate, stage=stage, scheduled_at=start, duration_minutes=minutes, **extra
    )


@pytest.fixture
def world(acme: Tenant, globex: Tenant) -> dict[str, Any]:
    org = acme.org
    pipeline = PipelineFactory(organization=org)
    phone, live, panel = (StageFactory(pipeline=pipeline, order=n, criteria=["a", "b"]) for n in (1, 2, 3))
    a = PositionFactory(organization=org, title="A", team="Platform", pipeline=pipeline)
    b = PositionFactory(organization=org, title="B", team="Data", pipeline=pipeline)
    ivy, jon, kim = (UserFactory(full_name=name) for name in ("Ivy", "Jon", "Kim"))
    decided = {"decided_at": at(20, 9)}
    c1 = CandidateFactory(
        organization=org, position=a, source=Candidate.Source.REFERRAL, current_stage=panel, outcome="hired", **decided
    )
    c2 = CandidateFactory(
        organization=org,
        position=a,
        source=Candidate.Source.LINKEDIN,
        current_stage=phone,
        outcome="rejected",
        **decided,
    )
    c3 = CandidateFactory(
        organization=org,
        position=b,
        source=Candidate.Source.REFERRAL,
        current_stage=phone,
        outcome="withdrawn",
        **decided,
    )
    for before, after in ((None, phone), (phone, live), (live, panel)):
        StageMove.objects.create(candidate=c1, from_stage=before, to_stage=after)
    for candidate in (c2, c3):
        StageMove.objects.create(candidate=candidate, from_stage=None, to_stage=phone)

    i1 = interview(org, c1, phone, at(4, 10), 60, started_at=at(4, 10), ended_at=at(4, 10, 50))
    i2 = interview(org, c2, phone, at(6, 14), 30, started_at=at(6, 14), ended_at=at(6, 14, 40))
    i3 = interview(org, c3, phone, at(12, 9), 45)
    i4 = interview(org, c3, phone, at(13, 9), 45, status=Interview.Status.CANCELLED)
    i5 = interview(org, c1, panel, at(18, 10), 60, started_at=at(18, 10), ended_at=at(18, 11, 10))
    for room, people in ((i1, (ivy, jon)), (i2, (ivy, kim)), (i3, (jon,)), (i4, (ivy,)), (i5, (ivy, kim))):
        for person in people:
            ParticipantFactory(interview=room, user=person)
    cards = [
        (i1, ivy, {"a": 4, "b": 4}, "strong_yes", at(4, 12, 50)),
        (i1, jon, {"a": 2, "b": 2}, "no", at(5, 10, 50)),
        (i2, ivy, {"a": 3}, "yes", at(6, 15, 40)),
        (i2, kim, {"a": 2}, "strong_no", at(6, 14, 30)),
        (i3, jon, {"a": 3}, "strong_yes", at(12, 10)),
        (i4, ivy, {"a": 1}, "no", at(13, 10)),
        (i5, ivy, {"a": 4}, "yes", at(18, 13, 10)),
        (i5, kim, {"a": 1}, "no", None),
        (i1, kim, {"a": 1}, "no", at(4, 11)),  # Kim was not on i1's panel: ignored
    ]
    for room, author, ratings, recommendation, submitted in cards:
        ScorecardFactory(
            interview=room, author=author, ratings=ratings, recommendation=recommendation, submitted_at=submitted
        )
    # Ivy also interviews for another organization: none of it counts here
    theirs = InterviewFactory(organization=globex.org, scheduled_at=at(4, 9), started_at=at(4, 9), ended_at=at(4, 12))
    ParticipantFactory(interview=theirs, user=ivy)
    ScorecardFactory(interview=theirs, author=ivy, ratings={"a": 1}, submitted_at=at(20, 9))
    return {
        "org": org, "a": a, "b": b, "ivy": ivy, "jon": jon, "kim": kim, "c1": c1, "c2": c2,
        "i1": i1, "i2": i2, "i3": i3, "i5": i5,
    }  # fmt: skip


def test_each_interviewer_gets_the_hand_computed_figures(world):
    # when
    dashboard = interviewers_dashboard(ReportFilters(organization=world["org"]))
    rows = rows_of(dashboard)
    # then
    assert set(rows) == {"Ivy", "Jon", "Kim"}
    ivy, jon, kim = rows["Ivy"], rows["Jon"], rows["Kim"]
    assert (ivy["Interviews"], jon["Interviews"], kim["Interviews"]) == (3, 2, 2)
    assert (ivy["Actual duration (min)"], ivy["Scheduled duration (min)"]) == (
        53.33,
        50.0,
    )  # (50+40+70)/3, (60+30+60)/3
    assert (jon["Actual duration (min)"], jon["Scheduled duration (min)"]) == (50.0, 60.0)
    assert (kim["Actual duration (min)"], kim["Scheduled duration (min)"]) == (55.0, 45.0)
    assert (ivy["Scorecards"], jon["Scorecards"], kim["Scorecards"]) == (3, 2, 1)
    assert (ivy["Turnaround, median (h)"], ivy["Turnaround, mean (h)"]) == (2.0, 1.67)
    assert (jon["Turnaround, median (h)"], kim["Turnaround, median (h)"]) == (24.0, 0.0)
    assert [ivy[f"Ratings of {n}"] for n in (1, 2, 3, 4)] == [0, 0, 1, 3]
    assert [jon[f"Ratings of {n}"] for n in (1, 2, 3, 4)] == [0, 2, 1, 0]
    assert [kim[f"Ratings of {n}"] for n in (1, 2, 3, 4)] == [0, 1, 0, 0]
    assert ivy["Mean rating (1–4)"] == 3.75
    assert (ivy["Leniency (vs panel mean)"], jon["Leniency (vs panel mean)"], kim["Leniency (vs panel mean)"]) == (
        0.75,
        -1.0,
        -0.5,
    )
    assert (ivy["Interviews with a panel"], jon["Interviews with a panel"]) == (2, 1)
    assert (ivy["Decided recommendations"], ivy["Agreement with decisions (%)"]) == (3, 66.7)
    assert (jon["Decided recommendations"], jon["Agreement with decisions (%)"]) == (1, 0.0)
    assert (kim["Decided recommendations"], kim["Agreement with decisions (%)"]) == (1, 100.0)
    summary = dict(dashboard.summary)
    assert summary["Interviewers"] == 3
    assert summary["Interviews with an interviewer"] == 4  # i1, i2, i3, i5
    assert summary["Scorecards"] == 6
    assert summary["Median turnaround (h)"] == 2.0  # of 0, 1, 2, 2, 24
    assert summary["Agreement with decisions (%)"] == 60.0


def test_interviews_per_week_cover_the_period(world):
    # when
    dashboard = interviewers_dashboard(
        ReportFilters(organization=world["org"], start=date(2024, 3, 1), end=date(2024, 3, 20))
    )
    # then
    chart = next(c for c in dashboard.charts if c.key == "interviews_per_week")
    assert chart.kind == "line"
    assert chart.labels == ["2024-W09", "2024-W10", "2024-W11", "2024-W12"]
    assert {s["name"]: s["values"] for s in chart.series} == {
        "Ivy": [0, 2, 0, 1],
        "Jon": [0, 1, 1, 0],
        "Kim": [0, 1, 0, 1],
    }
    weekly = dashboard.table(chart.table)
    assert weekly.columns == ["Week", "Ivy", "Jon", "Kim"]
    assert weekly.rows[1] == ["2024-W10", 2, 1, 1]
    assert all(dashboard.table(c.table) is not None for c in dashboard.charts)


def test_weeks_follow_the_organizations_time_zone(acme):
    # given: Monday 02:00 UTC is still Sunday evening in New York
    acme.org.time_zone = "America/New_York"
    acme.org.save()
    room = InterviewFactory(organization=acme.org, scheduled_at=datetime(2024, 3, 11, 2, tzinfo=UTC))
    ParticipantFactory(interview=room, user=UserFactory(full_name="Ny"))
    # when
    chart = interviewers_dashboard(ReportFilters(organization=acme.org)).charts[0]
    # then
    assert chart.labels == ["2024-W10"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"team": "Data"}, {"Jon": 1}),
        ({"team": "Platform"}, {"Ivy": 3, "Jon": 1, "Kim": 2}),
        ({"source": "linkedin"}, {"Ivy": 1, "Kim": 1}),
        ({"start": date(2024, 3, 11), "end": date(2024, 3, 17)}, {"Jon": 1}),
        ({"start": date(2024, 3, 5), "end": date(2024, 3, 18)}, {"Ivy": 2, "Jon": 1, "Kim": 2}),
    ],
)
def test_filters_change_the_figures(world, filters, expected):
    # when
    rows = rows_of(interviewers_dashboard(ReportFilters(organization=world["org"], **filters)))
    # then
    assert {name: row["Interviews"] for name, row in rows.items()} == expected


def test_a_narrower_scope_changes_leniency_and_agreement(world):
    # when: only position B's and then only LinkedIn's interviews
    only_b = rows_of(interviewers_dashboard(ReportFilters(organization=world["org"], positions=(world["b"].pk,))))
    linkedin = rows_of(interviewers_dashboard(ReportFilters(organization=world["org"], source="linkedin")))
    # then
    assert set(only_b) == {"Jon"}
    assert only_b["Jon"]["Scorecards"] == 1
    assert only_b["Jon"]["Leniency (vs panel mean)"] is None
    assert only_b["Jon"]["Decided recommendations"] == 0  # c3 withdrew: not a decision
    assert only_b["Jon"]["Agreement with decisions (%)"] is None
    assert linkedin["Ivy"]["Leniency (vs panel mean)"] == 0.5
    assert (linkedin["Ivy"]["Agreement with decisions (%)"], linkedin["Kim"]["Agreement with decisions (%)"]) == (
        0.0,
        100.0,
    )


def test_agreement_follows_the_decision_recorded_now(world, acme):
    # given: c1 reopened (back in process), c2 turned from rejected to hired
    recruiter = acme.users["recruiter"]
    candidate_decide(candidate=world["c1"], outcome=Candidate.Outcome.ACTIVE, actor=recruiter)
    candidate_decide(candidate=world["c2"], outcome=Candidate.Outcome.HIRED, actor=recruiter)
    # when
    dashboard = interviewers_dashboard(ReportFilters(organization=world["org"]))
    rows = rows_of(dashboard)
    # then: only i2 is decided — Ivy's yes now agrees, Kim's strong no does not
    agreement = {
        name: (row["Decided recommendations"], row["Agreement with decisions (%)"]) for name, row in rows.items()
    }
    assert agreement == {"Ivy": (1, 100.0), "Jon": (0, None), "Kim": (1, 0.0)}
    assert dict(dashboard.summary)["Agreement with decisions (%)"] == 50.0


def test_another_organizations_interviews_are_never_counted(world, globex):
    # when
    ours = rows_of(interviewers_dashboard(ReportFilters(organization=world["org"])))
    theirs = rows_of(interviewers_dashboard(ReportFilters(organization=globex.org)))
    # then: Ivy's globex interview (3 h, rated 1, 16 days late) is in neither's figures of the other
    assert ours["Ivy"]["Ratings of 1"] == 0
    assert ours["Ivy"]["Interviews"] == 3
    assert theirs["Ivy"]["Interviews"] == 1
    assert theirs["Ivy"]["Ratings of 1"] == 1
    assert theirs["Ivy"]["Actual duration (min)"] == 180.0


def listed(client: Any, url: str | None) -> set[int]:
    """The rows an admin list link opens (200 for the client), by pk."""
    assert url is not None
    response = client.get(url)
    assert response.status_code == 200, url
    cl = response.context["cl"]
    assert cl.result_count <= cl.list_per_page
    return {row.pk for row in cl.result_list}


def links_of(dashboard: Any, name: str) -> dict[str, Any]:
    table = dashboard.table("interviewers")
    index = next(i for i, row in enumerate(table.rows) if row[0] == name)
    return dict(zip(table.columns, table.links[index], strict=True))


def cards(**lookups: Any) -> set[int]:
    return set(Scorecard.objects.filter(submitted_at__isnull=False, **lookups).values_list("pk", flat=True))


def test_an_interviewers_links_are_filters_reflecting_the_dashboards_filters(world, acme):
    # given: position A, 1–10 March: Ivy sat on i1 and i2 (i5 is on the 18th)
    filters = ReportFilters(
        organization=world["org"], positions=(world["a"].pk,), start=date(2024, 3, 1), end=date(2024, 3, 10)
    )
    ivy = links_of(interviewers_dashboard(filters), "Ivy")
    client = acme.client("recruiter")
    # then: her interviews are the interviewer filter with the period and the position
    url = ivy["Interviews"]
    assert url.startswith(f"/admin/interviews/interview/?interviewer={world['ivy'].pk}&position__in={world['a'].pk}&")
    assert "scheduled_at__gte=2024-03-01T00%3A00%3A00%2B00%3A00&scheduled_at__lt=2024-03-11T00%3A00%3A00" in url
    assert ivy["Interviewer"] == url
    assert listed(client, url) == {world["i1"].pk, world["i2"].pk}
    # and her scorecards, which no filter selects (i5 and the cancelled i4 are hers too), by id
    counted = cards(author=world["ivy"], interview__in=[world["i1"], world["i2"]])
    assert ivy["Scorecards"] == "/admin/interviews/scorecard/?id__in=" + "%2C".join(map(str, sorted(counted)))
    assert listed(client, ivy["Scorecards"]) == counted


def test_a_scorecard_filter_is_used_when_it_selects_exactly_the_scorecards_counted(world, acme):
    # given
    dashboard = interviewers_dashboard(ReportFilters(organization=world["org"]))
    client = acme.client("recruiter")
    jon, kim, ivy = (links_of(dashboard, name) for name in ("Jon", "Kim", "Ivy"))
    # then: Jon has no other scorecard; Kim's on i1 (not her panel) is not counted
    assert jon["Scorecards"] == f"/admin/interviews/scorecard/?author__id__exact={world['jon'].pk}"
    assert listed(client, jon["Scorecards"]) == cards(author=world["jon"])
    assert "id__in=" in kim["Scorecards"]
    assert listed(client, kim["Scorecards"]) == cards(author=world["kim"], interview=world["i2"])
    # and the sets no filter expresses are listed by id
    assert listed(client, ivy["Interviews with start and end"]) == {world["i1"].pk, world["i2"].pk, world["i5"].pk}
    assert listed(client, ivy["Interviews with a panel"]) == {world["i1"].pk, world["i2"].pk}
    assert listed(client, ivy["Decided recommendations"]) == cards(
        author=world["ivy"], interview__in=[world["i1"], world["i2"], world["i5"]]
    )


def test_a_source_filter_lists_the_interviews_by_id(world, acme):
    # given: the interview list has no candidate-source filter
    ivy = links_of(interviewers_dashboard(ReportFilters(organization=world["org"], source="linkedin")), "Ivy")
    # then
    assert ivy["Interviews"] == f"/admin/interviews/interview/?id__in={world['i2'].pk}"
    assert listed(acme.client("recruiter"), ivy["Interviews"]) == {world["i2"].pk}


def test_headline_figures_open_what_they_count(world, acme):
    # given
    dashboard = interviewers_dashboard(ReportFilters(organization=world["org"]))
    figures = {label: link for label, _value, link in dashboard.figures()}
    client = acme.client("recruiter")
    rooms = {world[key].pk for key in ("i1", "i2", "i3", "i5")}
    counted = cards(author__in=[world["ivy"], world["jon"], world["kim"]], interview__in=rooms) - cards(
        author=world["kim"], interview=world["i1"]
    )
    # then
    assert figures["Interviewers"] is None
    assert figures["Interviews with an interviewer"] == "/admin/interviews/interview/?status__in=" + "%2C".join(
        ["scheduled", "live", "completed", "no_show"]
    )
    assert listed(client, figures["Interviews with an interviewer"]) == rooms
    assert listed(client, figures["Scorecards"]) == counted
    assert len(listed(client, figures["Median turnaround (h)"])) == 5
    assert len(listed(client, figures["Agreement with decisions (%)"])) == 5


def test_links_stay_short_with_three_hundred_interviews(acme):
    # given: one interviewer on 300 LinkedIn candidates' interviews (a source: no exact filter)
    org = acme.org
    stage = StageFactory(pipeline=PipelineFactory(organization=org))
    position = PositionFactory(organization=org, pipeline=stage.pipeline)
    person = UserFactory(full_name="Lea")
    people = Candidate.objects.bulk_create(
        Candidate(organization=org, full_name=f"C{n}", email=f"c{n}@example.test", position=position, source="linkedin")
        for n in range(300)
    )
    rooms = Interview.objects.bulk_create(
        Interview(
            organization=org, candidate=c, position=position, stage=stage, scheduled_at=at(4, 9), status="completed"
        )
        for c in people
    )
    Participant.objects.bulk_create(
        Participant(
            interview=room,
            user=person,
            role=Participant.Role.INTERVIEWER,
            token_hash=f"t{room.pk}",
            token_expires_at=at(30, 9),
        )
        for room in rooms
    )
    Scorecard.objects.bulk_create(
        Scorecard(interview=room, author=person, ratings={"a": 3}, recommendation="yes", submitted_at=at(4, 11))
        for room in rooms
    )
    # when
    dashboard = interviewers_dashboard(ReportFilters(organization=org, source="linkedin"))
    # then: the nearest filtered lists, under 2,000 characters
    links = [link for row in dashboard.table("interviewers").links for link in row if link]
    links += [link for link in dashboard.summary_links if link]
    assert max(map(len, links)) < 2000
    lea = links_of(dashboard, "Lea")
    assert lea["Interviews"].startswith(f"/admin/interviews/interview/?interviewer={person.pk}&")
    assert lea["Scorecards"] == f"/admin/interviews/scorecard/?author__id__exact={person.pk}"
    client = acme.client("recruiter")
    for url in (lea["Interviews"], lea["Scorecards"]):
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["cl"].result_count == 300


def _population(org: Any, count: int) -> None:
    pipeline = PipelineFactory(organization=org)
    first, second = StageFactory(pipeline=pipeline, order=1), StageFactory(pipeline=pipeline, order=2)
    position = PositionFactory(organization=org, pipeline=pipeline)
    lead, second_seat = UserFactory(), UserFactory()
    for n in range(count):
        candidate = CandidateFactory(organization=org, position=position, current_stage=second)
        StageMove.objects.create(candidate=candidate, from_stage=first, to_stage=second)
        room = interview(org, candidate, first, at(4 + n % 20, 9), 60, started_at=at(4, 9), ended_at=at(4, 10))
        for person, rating in ((lead, 1 + n % 4), (second_seat, 3)):
            ParticipantFactory(interview=room, user=person)
            ScorecardFactory(interview=room, author=person, ratings={"a": rating}, submitted_at=at(4, 11))


def test_query_count_does_not_grow_with_the_interviews(acme, globex):
    # given
    counts = []
    for tenant, size in ((acme, 3), (globex, 30)):
        _population(tenant.org, size)
        # when
        with CaptureQueriesContext(connection) as queries:
            rows = rows_of(interviewers_dashboard(ReportFilters(organization=tenant.org)))
        counts.append(len(queries))
        assert sum(row["Scorecards"] for row in rows.values()) == 2 * size
    # then
    assert counts[0] == counts[1] == 4
