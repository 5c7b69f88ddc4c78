"""Candidate performance figures against numbers worked out by hand from the fixture below.

Position A (team Platform) has Ada, Bob and Cy; position B (team Data) has Dee.
- Ada (referral): phone screen on 4 March rated Motivation 4 / Communication 3 and 2 / 4 (plus a
  draft that never counts); async coding on 11 March rated Correctness 4, session 10:00–10:40
  of 60 minutes, submissions 2/4 then 4/4, Run button 1/2 at 10:05 then 2/2 at 10:12.
  → communication 3.5, technical 4.0, overall 17/5 = 3.4, tests 4/4, first pass 12 min,
  time used 40/60 = 66.7 %, 2 runs, 2 submissions.
- Bob (LinkedIn): live coding on 5 March started 10:00, test-case runs 3/4 at 10:10, 4/4 at
  10:25, one plain run of his own and one of the interviewer's; rated 2 / 2.
  → communication 2.0, technical 2.0, overall 2.0, first pass 25 min, 3 runs.
- Cy (referral): a cancelled live interview (rated 4 / 4, never counts) and a phone screen on
  2 April rated 3 / 3 → communication 3.0, overall 3.0, no technical rating.
- Dee (referral, position B): phone screen on 6 March rated 1 / 1 → overall 1.0.
Position A's mean of overall ratings: (3.4 + 2.0 + 3.0) / 3 = 2.8; ranks Ada 1, Cy 2, Bob 3.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import set_script_prefix

from accounts.factories import UserFactory
from assessments.factories import ProblemFactory
from assessments.models import CodeRun, DsaSession, Submission
from interviews.factories import (
    CandidateFactory,
    InterviewFactory,
    ParticipantFactory,
    PipelineFactory,
    PositionFactory,
    ScorecardFactory,
    StageFactory,
)
from interviews.models import Candidate, Interview, Participant, PipelineStage, Scorecard
from reporting.filters import ReportFilters
from reporting.metrics.candidates import candidate_performance, candidates_dashboard
from reporting.pdf.candidate import candidate_report_build
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def candidate_participant(interview: Interview) -> Participant:
    return ParticipantFactory(
        interview=interview, user=None, candidate=interview.candidate, role=Participant.Role.CANDIDATE
    )


def by_name(dashboard: Any, table: str = "candidates") -> dict[str, dict[str, Any]]:
    found = dashboard.table(table)
    return {row[0]: dict(zip(found.columns, row, strict=True)) for row in found.rows}


@pytest.fixture
def world(acme: Tenant, globex: Tenant) -> dict[str, Any]:
    org = acme.org
    pipeline = PipelineFactory(organization=org)
    phone = StageFactory(
        pipeline=pipeline, order=1, stage_type=PipelineStage.Type.PHONE_SCREEN, criteria=["Motivation", "Communication"]
    )
    live = StageFactory(
        pipeline=pipeline,
        order=2,
        stage_type=PipelineStage.Type.TECHNICAL_LIVE,
        criteria=["Problem solving", "Communication"],
    )
    dsa = StageFactory(
        pipeline=pipeline, order=3, stage_type=PipelineStage.Type.TECHNICAL_DSA, criteria=["Correctness"]
    )
    a = PositionFactory(organization=org, title="Position A", team="Platform", pipeline=pipeline)
    b = PositionFactory(organization=org, title="Position B", team="Data", pipeline=pipeline)
    i1, i2, i3 = UserFactory(), UserFactory(), UserFactory()
    source = Candidate.Source
    ada = CandidateFactory(organization=org, full_name="Ada", position=a, source=source.REFERRAL)
    bob = CandidateFactory(organization=org, full_name="Bob", position=a, source=source.LINKEDIN)
    cy = CandidateFactory(organization=org, full_name="Cy", position=a, source=source.REFERRAL)
    dee = CandidateFactory(organization=org, full_name="Dee", position=b, source=source.REFERRAL)

    # Ada: phone screen, then the async coding assessment
    ada_phone = InterviewFactory(
        organization=org, candidate=ada, stage=phone, scheduled_at=at(4, 10), status="completed"
    )
    ScorecardFactory(interview=ada_phone, author=i1, ratings={"Motivation": 4, "Communication": 3})
    ScorecardFactory(interview=ada_phone, author=i2, ratings={"Motivation": 2, "Communication": 4})
    ScorecardFactory(interview=ada_phone, author=i3, ratings={"Communication": 1}, submitted_at=None)
    ada_dsa = InterviewFactory(organization=org, candidate=ada, stage=dsa, scheduled_at=at(11, 10), status="completed")
    ScorecardFactory(interview=ada_dsa, author=i1, ratings={"Correctness": 4})
    ada_seat = candidate_participant(ada_dsa)
    session = DsaSession.objects.create(
        interview=ada_dsa, participant=ada_seat, started_at=at(11, 10), deadline=at(11, 11), finished_at=at(11, 10, 40)
    )
    problem = ProblemFactory(organization=org)
    for passed, score, minute in ((2, 50.0, 20), (4, 100.0, 30)):
        Submission.objects.create(
            session=session, problem=problem, language="python", code="print()", passed=passed, total=4,
            score=score, created_at=at(11, 10, minute),
        )  # fmt: skip
    for passed, minute in ((1, 5), (2, 12)):
        CodeRun.objects.create(
            interview=ada_dsa, participant=ada_seat, problem=problem, source=CodeRun.Source.DSA_RUN,
            language="python", code="print()", verdict="OK", passed=passed, total=2, created_at=at(11, 10, minute),
        )  # fmt: skip

    # Bob: live coding with test-case runs
    bob_live = InterviewFactory(
        organization=org, candidate=bob, stage=live, scheduled_at=at(5, 10), started_at=at(5, 10), status="completed"
    )
    ScorecardFactory(interview=bob_live, author=i1, ratings={"Problem solving": 2, "Communication": 2})
    bob_seat = candidate_participant(bob_live)
    lead = ParticipantFactory(interview=bob_live, user=i1)
    runs = [
        (bob_seat, CodeRun.Source.ROOM_TESTS, 3, 4, 10),
        (bob_seat, CodeRun.Source.ROOM_TESTS, 4, 4, 25),
        (bob_seat, CodeRun.Source.ROOM, None, None, 30),
        (lead, CodeRun.Source.ROOM, None, None, 31),
    ]
    for seat, kind, passed, total, minute in runs:
        CodeRun.objects.create(
            interview=bob_live, participant=seat, source=kind, language="python", code="print()",
            verdict="OK", passed=passed, total=total, created_at=at(5, 10, minute),
        )  # fmt: skip

    # Cy: a cancelled interview (never counts), then a phone screen in April
    cancelled = InterviewFactory(organization=org, candidate=cy, stage=live, scheduled_at=at(7, 9), status="cancelled")
    ScorecardFactory(interview=cancelled, author=i1, ratings={"Problem solving": 4, "Communication": 4})
    cy_phone = InterviewFactory(
        organization=org, candidate=cy, stage=phone, scheduled_at=at(2, 9, month=4), status="completed"
    )
    ScorecardFactory(interview=cy_phone, author=i2, ratings={"Motivation": 3, "Communication": 3})

    # Dee, alone in position B
    dee_phone = InterviewFactory(
        organization=org, candidate=dee, stage=phone, scheduled_at=at(6, 9), status="completed"
    )
    ScorecardFactory(interview=dee_phone, author=i1, ratings={"Motivation": 1, "Communication": 1})

    # another organization's candidate, rated and coding, never counted
    other = InterviewFactory(organization=globex.org, scheduled_at=at(4, 12), status="completed")
    ScorecardFactory(interview=other, author=i1, ratings={"Problem solving": 4})
    return {"org": org, "a": a, "b": b, "ada": ada, "bob": bob, "cy": cy, "dee": dee, "ada_phone": ada_phone}


def test_each_candidate_gets_the_hand_computed_figures(world):
    # when
    rows = by_name(candidates_dashboard(ReportFilters(organization=world["org"])))
    # then
    assert set(rows) == {"Ada", "Bob", "Cy", "Dee"}
    ada, bob, cy, dee = rows["Ada"], rows["Bob"], rows["Cy"], rows["Dee"]
    assert (ada["Interviews"], ada["Scorecards"]) == (2, 3)
    assert (ada["Communication (1–4)"], ada["Technical (1–4)"], ada["Overall (1–4)"]) == (3.5, 4.0, 3.4)
    assert (ada["Tests passed"], ada["Tests total"], ada["Tests passed (%)"]) == (4, 4, 100.0)
    assert (ada["Runs"], ada["Submissions"]) == (2, 2)
    assert ada["Time to first pass (min)"] == 12.0
    assert ada["Assessment time used (%)"] == 66.7
    assert (bob["Communication (1–4)"], bob["Technical (1–4)"], bob["Overall (1–4)"]) == (2.0, 2.0, 2.0)
    assert (bob["Runs"], bob["Submissions"], bob["Tests passed"]) == (3, 0, None)
    assert bob["Time to first pass (min)"] == 25.0
    assert bob["Assessment time used (%)"] is None
    assert (cy["Interviews"], cy["Communication (1–4)"], cy["Technical (1–4)"], cy["Overall (1–4)"]) == (
        1,
        3.0,
        None,
        3.0,
    )
    assert dee["Overall (1–4)"] == 1.0


def test_candidates_are_compared_within_their_position(world):
    # when
    dashboard = candidates_dashboard(ReportFilters(organization=world["org"]))
    rows = by_name(dashboard)
    # then
    for name in ("Ada", "Bob", "Cy"):
        assert rows[name]["Position mean (1–4)"] == 2.8
    ranks = {name: (rows[name]["Rank in position"], rows[name]["Percentile in position"]) for name in rows}
    assert ranks == {"Ada": (1, 100.0), "Cy": (2, 50.0), "Bob": (3, 0.0), "Dee": (1, None)}
    positions = by_name(dashboard, "positions")
    assert positions["Position A"]["Candidates"] == 3
    assert positions["Position A"]["Overall (1–4)"] == 2.8
    assert positions["Position A"]["Communication (1–4)"] == round((3.5 + 2.0 + 3.0) / 3, 2)
    assert positions["Position A"]["Technical (1–4)"] == 3.0  # (4.0 + 2.0) / 2, Cy has none
    assert positions["Position B"]["Overall (1–4)"] == 1.0
    ratings = next(c for c in dashboard.charts if c.key == "ratings")
    assert ratings.labels == ["Ada (Position A)", "Cy (Position A)", "Bob (Position A)", "Dee (Position B)"]
    assert ratings.series[0]["values"] == [3.4, 3.0, 2.0, 1.0]
    assert ratings.series[1]["values"] == [2.8, 2.8, 2.8, 1.0]
    assert all(dashboard.table(chart.table) is not None for chart in dashboard.charts)
    assert dict(dashboard.summary)["Candidates"] == 4


def listed(client: Any, url: str | None) -> set[int]:
    """The rows an admin list link opens (200 for the client), by pk."""
    assert url is not None
    response = client.get(url)
    assert response.status_code == 200, url
    cl = response.context["cl"]
    assert cl.result_count <= cl.list_per_page
    return {row.pk for row in cl.result_list}


def cell_links(table: Any, name: str) -> dict[str, Any]:
    index = next(i for i, row in enumerate(table.rows) if row[0] == name)
    return dict(zip(table.columns, table.links[index], strict=True))


def test_a_candidates_links_open_exactly_the_rows_counted(world, acme):
    # given: March only, when Ada had both interviews and Cy's phone screen (April) is out
    dashboard = candidates_dashboard(
        ReportFilters(organization=world["org"], start=date(2024, 3, 1), end=date(2024, 3, 31))
    )
    table = dashboard.table("candidates")
    ada = cell_links(table, "Ada")
    client = acme.client("recruiter")
    # then: the lists are filters, and they hold exactly the interviews and scorecards counted
    assert ada["Candidate"] == f"/admin/interviews/candidate/{world['ada'].pk}/change/"
    assert client.get(ada["Candidate"]).status_code == 200
    assert ada["Interviews"].startswith(f"/admin/interviews/interview/?candidate__id__exact={world['ada'].pk}&")
    assert "scheduled_at__gte=2024-03-01T00%3A00%3A00%2B00%3A00" in ada["Interviews"]
    assert listed(client, ada["Interviews"]) == set(
        Interview.objects.filter(candidate=world["ada"]).values_list("pk", flat=True)
    )
    assert ada["Scorecards"] == f"/admin/interviews/scorecard/?candidate={world['ada'].pk}"
    submitted = Scorecard.objects.filter(interview__candidate=world["ada"], submitted_at__isnull=False)
    assert listed(client, ada["Scorecards"]) == set(submitted.values_list("pk", flat=True))
    assert by_name(dashboard)["Ada"]["Scorecards"] == len(submitted) == 3


def test_a_set_no_filter_expresses_is_listed_by_id(world, acme):
    # given: Cy's scorecard on a cancelled interview is not counted, but ?candidate= would list it
    table = candidates_dashboard(ReportFilters(organization=world["org"])).table("candidates")
    cy = cell_links(table, "Cy")
    client = acme.client("recruiter")
    counted = set(
        Scorecard.objects.filter(interview__candidate=world["cy"], interview__status="completed").values_list(
            "pk", flat=True
        )
    )
    # then
    assert cy["Scorecards"] == "/admin/interviews/scorecard/?id__in=" + "%2C".join(map(str, sorted(counted)))
    assert listed(client, cy["Scorecards"]) == counted
    cy_interviews = listed(client, cy["Interviews"])
    assert cy_interviews == set(
        Interview.objects.filter(candidate=world["cy"]).exclude(status="cancelled").values_list("pk", flat=True)
    )


def test_position_links_keep_the_source_and_open_the_candidates_behind_the_mean(world, acme):
    # given: referrals only — position A's mean is Ada's and Cy's, without Bob
    dashboard = candidates_dashboard(ReportFilters(organization=world["org"], source="referral"))
    ada = cell_links(dashboard.table("candidates"), "Ada")
    client = acme.client("recruiter")
    a = world["a"].pk
    # then
    assert ada["Position"] == f"/admin/interviews/candidate/?position__id__exact={a}&source__exact=referral"
    assert listed(client, ada["Position"]) == {world["ada"].pk, world["cy"].pk}
    behind_mean = {world["ada"].pk, world["cy"].pk}
    assert listed(client, ada["Position mean (1–4)"]) == behind_mean
    positions = cell_links(dashboard.table("positions"), "Position A")
    assert listed(client, positions["Position"]) == listed(client, positions["Candidates"]) == behind_mean
    # and the headline figures open the candidates they count
    figures = {label: link for label, _value, link in dashboard.figures()}
    assert listed(client, figures["Candidates"]) == {world["ada"].pk, world["cy"].pk, world["dee"].pk}
    assert listed(client, figures["Average tests passed (%)"]) == {world["ada"].pk}


def test_links_follow_the_script_prefix(world):
    # given: the site mounted under /ts/ (the admin URLs are resolved once per prefix)
    candidates_dashboard(ReportFilters(organization=world["org"]))
    set_script_prefix("/ts/")
    try:
        # when
        table = candidates_dashboard(ReportFilters(organization=world["org"])).table("candidates")
    finally:
        set_script_prefix("/")
    # then
    links = [link for row in table.links for link in row if link]
    assert links
    assert all(link.startswith("/ts/admin/interviews/") for link in links)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"team": "Data"}, {"Dee": 1.0}),
        ({"team": "Platform"}, {"Ada": 3.4, "Bob": 2.0, "Cy": 3.0}),
        ({"source": "referral"}, {"Ada": 3.4, "Cy": 3.0, "Dee": 1.0}),
        ({"start": date(2024, 3, 1), "end": date(2024, 3, 31)}, {"Ada": 3.4, "Bob": 2.0, "Dee": 1.0}),
        ({"start": date(2024, 3, 10)}, {"Ada": 4.0, "Cy": 3.0}),  # Ada's phone screen is before
    ],
)
def test_filters_change_the_figures(world, filters, expected):
    # when
    rows = by_name(candidates_dashboard(ReportFilters(organization=world["org"], **filters)))
    # then
    assert {name: row["Overall (1–4)"] for name, row in rows.items()} == expected


def test_position_filter_and_comparison_follow_the_scope(world):
    # when
    only_b = by_name(candidates_dashboard(ReportFilters(organization=world["org"], positions=(world["b"].pk,))))
    referrals = by_name(candidates_dashboard(ReportFilters(organization=world["org"], source="referral")))
    # then
    assert set(only_b) == {"Dee"}
    assert referrals["Ada"]["Position mean (1–4)"] == 3.2  # (3.4 + 3.0) / 2, without Bob
    assert (referrals["Ada"]["Percentile in position"], referrals["Cy"]["Percentile in position"]) == (100.0, 0.0)


def test_another_organizations_data_is_never_counted(world, globex):
    # when
    ours = candidates_dashboard(ReportFilters(organization=world["org"]))
    theirs = candidates_dashboard(ReportFilters(organization=globex.org))
    # then
    assert dict(ours.summary)["Candidates"] == 4
    assert len(theirs.table("candidates").rows) == 1
    assert {"Ada", "Bob", "Cy", "Dee"}.isdisjoint(by_name(theirs))


def test_one_candidates_performance_against_the_position(world):
    # when
    ada = candidate_performance(world["ada"])
    bob = candidate_performance(world["bob"])
    # then
    assert (ada["communication"], ada["technical"], ada["overall"]) == (3.5, 4.0, 3.4)
    assert (ada["tests_passed"], ada["tests_total"], ada["time_to_first_pass_min"]) == (4, 4, 12.0)
    assert (ada["rank"], ada["percentile"], ada["position_mean"]) == (1, 100.0, 2.8)
    assert ada["comparison"]["candidates"] == 3
    assert ada["comparison"]["mean_tests_passed_pct"] == 100.0
    assert ada["interview_ids"] == sorted(Interview.objects.filter(candidate=world["ada"]).values_list("pk", flat=True))
    assert (bob["rank"], bob["percentile"]) == (3, 0.0)


def test_a_candidate_without_interviews_gets_empty_figures(world):
    # given
    newcomer = CandidateFactory(organization=world["org"], full_name="Eve", position=world["a"])
    # when
    eve = candidate_performance(newcomer)
    # then
    assert (eve["interviews"], eve["overall"], eve["rank"], eve["tests_passed"]) == (0, None, None, None)
    assert eve["comparison"]["candidates"] == 4
    assert eve["comparison"]["mean_overall"] == 2.8


def test_a_multi_problem_session_sums_each_problems_best_submission(acme):
    # given: Fay's async session 9:00–9:50 of 60 minutes sets problems A (4 cases), B (5) and C;
    # A: 3/4 at 9:20, 4/4 at 9:30, 4/4 again at 9:45; B: 1/5 at 9:40, 0/5 at 9:48; C never submitted;
    # Run button: A 1/2 at 9:05, B 2/3 at 9:08 (neither passes every case it ran)
    # → best A 4/4 + best B 1/5 = 5/9 = 55.6 % (not A's 4/4 alone), C absent;
    #   first pass 30 min (A's 4/4; B never passes), time used 50/60 = 83.3 %, 5 submissions, 2 runs
    org = acme.org
    a, b, c = (ProblemFactory(organization=org, title=title) for title in ("A", "B", "C"))
    stage = StageFactory(
        pipeline=PipelineFactory(organization=org),
        stage_type=PipelineStage.Type.TECHNICAL_DSA,
        dsa_config={"problems": [a.pk, b.pk, c.pk]},
    )
    position = PositionFactory(organization=org, title="Position C", pipeline=stage.pipeline)
    fay = CandidateFactory(organization=org, full_name="Fay", position=position)
    interview = InterviewFactory(
        organization=org, candidate=fay, stage=stage, scheduled_at=at(8, 9), status="completed"
    )
    seat = candidate_participant(interview)
    session = DsaSession.objects.create(
        interview=interview, participant=seat, started_at=at(8, 9), deadline=at(8, 10), finished_at=at(8, 9, 50)
    )
    for problem, passed, total, minute in ((a, 3, 4, 20), (a, 4, 4, 30), (a, 4, 4, 45), (b, 1, 5, 40), (b, 0, 5, 48)):
        Submission.objects.create(
            session=session, problem=problem, language="python", code="x", passed=passed, total=total,
            score=100 * passed / total, created_at=at(8, 9, minute),
        )  # fmt: skip
    for problem, passed, total, minute in ((a, 1, 2, 5), (b, 2, 3, 8)):
        CodeRun.objects.create(
            interview=interview, participant=seat, problem=problem, source=CodeRun.Source.DSA_RUN, language="python",
            code="x", verdict="OK", passed=passed, total=total, created_at=at(8, 9, minute),
        )  # fmt: skip
    # when
    row = by_name(candidates_dashboard(ReportFilters(organization=org)))["Fay"]
    mine = candidate_performance(fay)
    pdf_rows = candidate_report_build(fay).assessments
    # then
    assert (row["Tests passed"], row["Tests total"], row["Tests passed (%)"]) == (5, 9, 55.6)
    assert (row["Submissions"], row["Runs"]) == (5, 2)
    assert row["Time to first pass (min)"] == 30.0
    assert row["Assessment time used (%)"] == 83.3
    assert (mine["tests_passed"], mine["tests_total"], mine["tests_passed_pct"]) == (5, 9, 55.6)
    assert mine["time_to_first_pass_min"] == 30.0
    assert mine["comparison"]["mean_tests_passed_pct"] == 55.6
    # and the candidate PDF's per-problem rows add up to the same figures
    assert [(r.problem, r.passed, r.total) for r in pdf_rows] == [("A", 4, 4), ("B", 1, 5), ("C", None, None)]
    assert sum(r.passed or 0 for r in pdf_rows) == mine["tests_passed"]
    assert sum(r.total or 0 for r in pdf_rows) == mine["tests_total"]


def _population(org: Any, stage: Any, position: Any, count: int) -> None:
    author = UserFactory()
    problem = ProblemFactory(organization=org)
    for n in range(count):
        candidate = CandidateFactory(organization=org, position=position)
        interview = InterviewFactory(
            organization=org, candidate=candidate, stage=stage, scheduled_at=at(4, 9), started_at=at(4, 9)
        )
        ScorecardFactory(interview=interview, author=author, ratings={"Problem solving": 1 + n % 4})
        seat = candidate_participant(interview)
        session = DsaSession.objects.create(
            interview=interview, participant=seat, started_at=at(4, 9), deadline=at(4, 10)
        )
        Submission.objects.create(session=session, problem=problem, language="python", code="x", passed=1, total=2)
        CodeRun.objects.create(
            interview=interview, participant=seat, source=CodeRun.Source.DSA_RUN, language="python", code="x",
            verdict="OK", passed=2, total=2, created_at=at(4, 9, 30),
        )  # fmt: skip


@pytest.mark.parametrize("compute", ["dashboard", "one"])
def test_query_count_does_not_grow_with_the_candidates(acme, globex, compute):
    # given
    counts = []
    for tenant, size in ((acme, 3), (globex, 30)):
        stage = StageFactory(pipeline=PipelineFactory(organization=tenant.org), stage_type="technical_dsa")
        position = PositionFactory(organization=tenant.org, pipeline=stage.pipeline)
        _population(tenant.org, stage, position, size)
        first = Candidate.objects.filter(organization=tenant.org).first()
        # when
        with CaptureQueriesContext(connection) as queries:
            if compute == "dashboard":
                rows = candidates_dashboard(ReportFilters(organization=tenant.org)).table("candidates").rows
                assert len(rows) == size
            else:
                figures = candidate_performance(first)
                assert figures["comparison"]["candidates"] == size
        counts.append(len(queries))
    # then
    assert counts[0] == counts[1] == (5 if compute == "dashboard" else 4)


def test_links_stay_short_with_three_hundred_candidates(acme):
    # given: 300 candidates of one position, each interviewed and rated in March
    org = acme.org
    stage = StageFactory(pipeline=PipelineFactory(organization=org), stage_type="technical_dsa")
    position = PositionFactory(organization=org, pipeline=stage.pipeline)
    author = UserFactory()
    people = Candidate.objects.bulk_create(
        Candidate(organization=org, full_name=f"C{n}", email=f"c{n}@example.test", position=position)
        for n in range(300)
    )
    rooms = Interview.objects.bulk_create(
        Interview(
            organization=org, candidate=c, position=position, stage=stage, scheduled_at=at(4, 9), status="completed"
        )
        for c in people
    )
    Scorecard.objects.bulk_create(
        Scorecard(interview=room, author=author, ratings={"Correctness": 3}, submitted_at=at(4, 11)) for room in rooms
    )
    # when
    dashboard = candidates_dashboard(ReportFilters(organization=org, start=date(2024, 3, 1), end=date(2024, 3, 31)))
    # then: every link is under 2,000 characters; more than 200 candidates link to the filtered list
    links = [link for table in dashboard.tables for row in table.links for link in row if link]
    links += [link for link in dashboard.summary_links if link]
    assert len(links) > 900
    assert max(map(len, links)) < 2000
    assert dashboard.summary_links[0] == "/admin/interviews/candidate/"
    response = acme.client("recruiter").get(dashboard.summary_links[0])
    assert response.status_code == 200
    assert response.context["cl"].result_count == 300
