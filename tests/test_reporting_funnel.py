"""The hiring funnel's figures, against numbers worked out by hand from a small scripted history.

Seven candidates of one period walk a three-stage pipeline: one is hired at the end, one is hired
from the middle (skipping the last stage), one is rejected, one withdraws after skipping a stage,
one moves out of the pipeline without a decision, two are still in process; one more joined a year
earlier and one belongs to another organization. Every figure below is written out from that
story, not computed by the code under test. The query count stays the same for 3 and 30
candidates, and the drill-down links open exactly the candidates they count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interviews import services
from interviews.factories import CandidateFactory, PipelineFactory, PositionFactory, StageFactory
from interviews.models import Candidate, PipelineStage, Position, StageMove
from reporting.dashboards import Dashboard, Table
from reporting.filters import ReportFilters
from reporting.metrics.funnel import funnel_dashboard
from tests.conftest import Tenant

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
PERIOD = {"start": date(2025, 3, 1), "end": date(2025, 3, 31)}
HIRED, REJECTED, WITHDRAWN = Candidate.Outcome.HIRED, Candidate.Outcome.REJECTED, Candidate.Outcome.WITHDRAWN


@dataclass
class Story:
    stages: list[PipelineStage]
    platform: Position
    data: Position
    people: dict[str, Candidate]


def _candidate(org: Any, name: str, position: Position, source: str, created: datetime) -> Candidate:
    candidate = CandidateFactory(organization=org, full_name=name, position=position, source=source)
    Candidate.objects.filter(pk=candidate.pk).update(created_at=created)
    return candidate


def _walk(candidate: Candidate, steps: list[tuple[PipelineStage | None, PipelineStage | None, float]]) -> None:
    """Record moves (from, to, days after T0) and leave the candidate where the last one ends."""
    for from_stage, to_stage, days in steps:
        StageMove.objects.create(
            candidate=candidate, from_stage=from_stage, to_stage=to_stage, moved_at=T0 + timedelta(days=days)
        )
    Candidate.objects.filter(pk=candidate.pk).update(current_stage=steps[-1][1])


def _decide(tenant: Tenant, candidate: Candidate, outcome: str, days: float) -> None:
    """The decision through the service (as the admin action makes it), dated ``days`` after T0."""
    services.candidate_decide(candidate=candidate, outcome=outcome, actor=tenant.users["recruiter"])
    Candidate.objects.filter(pk=candidate.pk).update(decided_at=T0 + timedelta(days=days))


def build_story(tenant: Tenant, other: Tenant | None = None) -> Story:
    org = tenant.org
    pipeline = PipelineFactory(organization=org, name="Engineering")
    screen, tech, offer = (
        StageFactory(pipeline=pipeline, order=i, name=name) for i, name in ((1, "Screen"), (2, "Tech"), (3, "Offer"))
    )
    platform = PositionFactory(organization=org, title="Backend engineer", team="Platform", pipeline=pipeline)
    data = PositionFactory(organization=org, title="Data engineer", team="Data", pipeline=pipeline)
    people = {
        "ann": _candidate(org, "Ann", platform, "referral", T0),
        "ben": _candidate(org, "Ben", platform, "linkedin", T0),
        "cat": _candidate(org, "Cat", platform, "referral", T0),
        "dan": _candidate(org, "Dan", data, "careers_site", T0),
        "eve": _candidate(org, "Eve", data, "referral", T0),
        "gus": _candidate(org, "Gus", platform, "referral", T0),
        "hal": _candidate(org, "Hal", data, "linkedin", T0),
        "fay": _candidate(org, "Fay", platform, "linkedin", T0 - timedelta(days=365)),
    }
    _walk(people["ann"], [(None, screen, 0), (screen, tech, 2), (tech, offer, 5)])
    _decide(tenant, people["ann"], HIRED, 7)  # hired at Offer
    _walk(people["ben"], [(None, screen, 0), (screen, tech, 4)])  # in process at Tech
    _walk(people["cat"], [(None, screen, 0)])
    _decide(tenant, people["cat"], REJECTED, 1)  # rejected at Screen
    _walk(people["dan"], [(None, screen, 0), (screen, offer, 3)])  # skipped Tech
    _decide(tenant, people["dan"], WITHDRAWN, 6)  # withdrew at Offer
    _walk(people["eve"], [(None, screen, 0)])  # in process at Screen
    _walk(people["gus"], [(None, screen, 0), (screen, tech, 1)])
    _decide(tenant, people["gus"], HIRED, 5)  # hired at Tech: passed Offer too
    _walk(people["hal"], [(None, screen, 0), (screen, None, 2)])  # out of the pipeline, no decision
    _walk(people["fay"], [(None, screen, -365), (screen, tech, -360)])
    _decide(tenant, people["fay"], REJECTED, -358)  # rejected at Tech, a year ago
    if other is not None:  # another organization's candidate in a one-stage pipeline
        stranger_pipeline = PipelineFactory(organization=other.org)
        stage = StageFactory(pipeline=stranger_pipeline, order=1)
        stranger = _candidate(
            other.org, "Stranger", PositionFactory(organization=other.org, pipeline=stranger_pipeline), "referral", T0
        )
        _walk(stranger, [(None, stage, 0)])
    return Story(stages=[screen, tech, offer], platform=platform, data=data, people=people)


def table(dashboard: Dashboard, key: str) -> Table:
    found = dashboard.table(key)
    assert found is not None, key
    return found


def rows(dashboard: Dashboard, key: str) -> list[list[Any]]:
    return table(dashboard, key).rows


@pytest.fixture
def story(acme: Tenant, globex: Tenant) -> Story:
    return build_story(acme, globex)


def test_stage_figures_match_the_story(acme: Tenant, story: Story) -> None:
    # given the March cohort (Fay joined a year earlier)
    filters = ReportFilters(organization=acme.org, **PERIOD)
    # when
    dashboard = funnel_dashboard(filters)
    # then: reached = entered the stage or a later one (Dan skipped Tech, Gus was hired from Tech);
    # outcomes at the stage the candidate is in; time in stage = stays ended by a move or a decision
    assert table(dashboard, "stages").columns == [
        "Pipeline", "Stage", "Reached", "In process here", "Conversion to the next step (%)",
        "Rejected here", "Withdrew here", "Median days in stage", "Average days in stage",
    ]  # fmt: skip
    assert rows(dashboard, "stages") == [
        # Screen: 7 reached, 4 went on (Ann Ben Dan Gus); Eve here, Cat rejected, Hal out of the
        # pipeline (in process, in no stage); stays Ann 2, Ben 4, Cat 1, Dan 3, Gus 1, Hal 2
        ["Engineering", "Screen", 7, 1, 57.1, 1, 0, 2.0, 2.2],
        # Tech: Ann Ben Dan Gus; 3 went on (Ann, Dan, Gus); Ben here; stays Ann 3, Gus 4 (to his hire)
        ["Engineering", "Tech", 4, 1, 75.0, 0, 0, 3.5, 3.5],
        # Offer: Ann Dan Gus; 2 hired; Dan withdrew; stays Ann 2, Dan 3 (both to their decision)
        ["Engineering", "Offer", 3, 0, 66.7, 0, 1, 2.5, 2.5],
        ["Engineering", "Hired", 2, None, None, None, None, None, None],  # Ann, Gus
    ]
    assert dashboard.summary == [
        ("Candidates", 7),
        ("In process", 3),  # Ben, Eve, Hal
        ("Hired", 2),
        ("Rejected", 1),
        ("Withdrew", 1),
        ("Hire rate (%)", 28.6),
    ]


def test_breakdowns_by_position_and_source(acme: Tenant, story: Story) -> None:
    # given / when
    dashboard = funnel_dashboard(ReportFilters(organization=acme.org, **PERIOD))
    # then: candidates, in process, hired, rejected, withdrew, hire rate
    assert rows(dashboard, "positions") == [
        ["Backend engineer", "Platform", 4, 1, 2, 1, 0, 50.0],  # Ann Ben Cat Gus
        ["Data engineer", "Data", 3, 2, 0, 0, 1, 0.0],  # Dan Eve Hal
    ]
    assert rows(dashboard, "sources") == [
        ["Careers site", 1, 0, 0, 0, 1, 0.0],  # Dan
        ["Referral", 4, 1, 2, 1, 0, 50.0],  # Ann Cat Eve Gus
        ["LinkedIn", 2, 2, 0, 0, 0, 0.0],  # Ben Hal
    ]
    assert rows(dashboard, "stage_sources") == [
        ["Screen", 1, 4, 2],
        ["Tech", 1, 2, 1],
        ["Offer", 1, 2, 0],
        ["Hired", 0, 2, 0],
    ]
    assert table(dashboard, "stage_sources").columns == ["Stage", "Careers site", "Referral", "LinkedIn"]


def test_the_charts_end_the_funnel_with_hired(acme: Tenant, story: Story) -> None:
    # given / when
    charts = {c.key: c for c in funnel_dashboard(ReportFilters(organization=acme.org, **PERIOD)).charts}
    # then
    assert charts["per_stage"].labels == ["Screen", "Tech", "Offer", "Hired"]
    assert charts["per_stage"].series[0]["values"] == [7, 4, 3, 2]
    assert charts["conversion"].labels == ["Screen → Tech", "Tech → Offer", "Offer → Hired"]
    assert charts["conversion"].series[0]["values"] == [57.1, 75.0, 66.7]
    assert [s["values"] for s in charts["outcomes"].series] == [[1, 1, 0], [1, 0, 0], [0, 0, 1]]
    assert [s["name"] for s in charts["positions"].series] == ["In process", "Rejected", "Withdrew", "Hired"]
    assert [s["values"] for s in charts["positions"].series] == [[1, 2], [1, 0], [0, 1], [2, 0]]


@pytest.mark.parametrize(
    ("extra", "candidates", "screen_row"),
    [
        # all time: Fay too (reached Tech, her 5-day Screen stay; rejected at Tech, not Screen)
        ({}, 8, ["Engineering", "Screen", 8, 1, 62.5, 1, 0, 2.0, 2.6]),
        # Ann Cat Eve Gus: Ann and Gus went on; stays Ann 2, Cat 1, Gus 1
        ({"source": "referral", **PERIOD}, 4, ["Engineering", "Screen", 4, 1, 50.0, 1, 0, 1.0, 1.3]),
        # Dan Eve Hal: Dan went on; stays Dan 3, Hal 2
        ({"team": "Data", **PERIOD}, 3, ["Engineering", "Screen", 3, 1, 33.3, 0, 0, 2.5, 2.5]),
    ],
)
def test_filters_narrow_the_cohort(
    acme: Tenant, story: Story, extra: dict[str, Any], candidates: int, screen_row: list[Any]
) -> None:
    # given
    filters = ReportFilters(organization=acme.org, **extra)
    # when
    dashboard = funnel_dashboard(filters)
    # then
    assert dashboard.summary[0] == ("Candidates", candidates)
    assert rows(dashboard, "stages")[0] == screen_row


def test_a_position_filter_keeps_only_that_position(acme: Tenant, story: Story) -> None:
    # given
    filters = ReportFilters(organization=acme.org, positions=(story.data.pk,), **PERIOD)
    # when
    dashboard = funnel_dashboard(filters)
    # then: Dan Eve Hal at Screen, Dan alone further, nobody hired
    assert [row[0] for row in rows(dashboard, "positions")] == ["Data engineer"]
    assert [row[2] for row in rows(dashboard, "stages")] == [3, 1, 1, 0]


def test_another_organization_sees_only_its_own_candidates(globex: Tenant, story: Story) -> None:
    # given / when
    dashboard = funnel_dashboard(ReportFilters(organization=globex.org))
    # then: its one stage, then its (empty) Hired step
    assert dashboard.summary[0] == ("Candidates", 1)
    assert [row[2] for row in rows(dashboard, "stages")] == [1, 0]


def test_a_reopened_candidate_is_back_in_process(acme: Tenant, story: Story) -> None:
    # given Cat's rejection is undone
    services.candidate_decide(candidate=story.people["cat"], outcome="active", actor=acme.users["recruiter"])
    # when
    dashboard = funnel_dashboard(ReportFilters(organization=acme.org, **PERIOD))
    # then: she is in process at Screen again, and her stay there is not over
    assert rows(dashboard, "stages")[0] == ["Engineering", "Screen", 7, 2, 57.1, 0, 0, 2.0, 2.4]
    assert dict(dashboard.summary)["Rejected"] == 0


def _cohort(tenant: Tenant, n: int) -> None:
    """``n`` candidates over two stages, every fourth of them hired, rejected or withdrawn."""
    pipeline = PipelineFactory(organization=tenant.org)
    first, second = StageFactory(pipeline=pipeline, order=1), StageFactory(pipeline=pipeline, order=2)
    position = PositionFactory(organization=tenant.org, pipeline=pipeline)
    outcomes = ["active", HIRED, REJECTED, WITHDRAWN]
    for i in range(n):
        candidate = _candidate(tenant.org, f"C{i}", position, "referral", T0)
        _walk(candidate, [(None, first, 0), (first, second, 1 + i % 3)])
        Candidate.objects.filter(pk=candidate.pk).update(
            outcome=outcomes[i % 4], decided_at=None if i % 4 == 0 else T0 + timedelta(days=5)
        )


def _queries(tenant: Tenant) -> int:
    with CaptureQueriesContext(connection) as captured:
        funnel_dashboard(ReportFilters(organization=tenant.org))
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_candidates(acme: Tenant, globex: Tenant) -> None:
    # given 3 candidates at Acme and 30 at Globex, with every kind of decision
    _cohort(acme, 3)
    _cohort(globex, 30)
    # when
    few, many = _queries(acme), _queries(globex)
    # then
    assert few == many
    assert many <= 3


def _admin_names(client: Any, url: str | None) -> list[str]:
    assert url is not None
    response = client.get(url)
    assert response.status_code == 200, url
    return sorted(str(c.full_name) for c in response.context["cl"].result_list)


def _lookups(url: str | None) -> dict[str, list[str]]:
    assert url is not None
    return parse_qs(urlsplit(url).query)


def test_drill_down_links_open_exactly_the_counted_candidates(acme: Tenant, story: Story) -> None:
    # given
    dashboard = funnel_dashboard(ReportFilters(organization=acme.org, source="referral", **PERIOD))
    stages = table(dashboard, "stages")
    client = acme.client("recruiter")
    # when / then: reached Screen, in process at Screen, rejected at Screen, hired
    assert _admin_names(client, stages.links[0][2]) == ["Ann", "Cat", "Eve", "Gus"]
    assert _admin_names(client, stages.links[0][3]) == ["Eve"]
    assert _admin_names(client, stages.links[0][5]) == ["Cat"]
    assert _admin_names(client, stages.links[3][2]) == ["Ann", "Gus"]
    assert stages.links[0][6] is None  # nobody withdrew at Screen: nothing to open
    assert stages.links[2][6] is None  # Dan withdrew at Offer, but he is no referral


def test_reached_links_use_the_admins_reached_filter_and_open_exactly_the_counted(acme: Tenant, story: Story) -> None:
    # given
    dashboard = funnel_dashboard(ReportFilters(organization=acme.org, **PERIOD))
    stages, by_source = table(dashboard, "stages"), table(dashboard, "stage_sources")
    screen, tech, _offer = story.stages
    referral = by_source.columns.index("Referral")
    client = acme.client("recruiter")
    # when
    reached_tech = _lookups(stages.links[1][2])
    referral_screen = _lookups(by_source.links[0][referral])
    # then: a short link through the list's own "reached stage" filter, with the period
    assert reached_tech["reached"] == [str(tech.pk)]
    assert reached_tech["created_at__gte"] == ["2025-03-01T00:00:00+00:00"]
    assert "id__in" not in reached_tech
    assert referral_screen["reached"] == [str(screen.pk)]
    assert referral_screen["source__exact"] == ["referral"]
    # and the list holds exactly the candidates counted (Dan skipped Tech, Gus was hired from Tech)
    assert stages.rows[1][2] == 4
    assert _admin_names(client, stages.links[1][2]) == ["Ann", "Ben", "Dan", "Gus"]
    assert _admin_names(client, by_source.links[0][referral]) == ["Ann", "Cat", "Eve", "Gus"]
    # but Gus, hired from Tech, never entered Offer: the list's filter would miss him, so the
    # Offer link names the three counted candidates instead
    assert stages.rows[2][2] == 3
    assert "reached" not in _lookups(stages.links[2][2])
    assert _admin_names(client, stages.links[2][2]) == ["Ann", "Dan", "Gus"]
    assert _admin_names(client, by_source.links[2][referral]) == ["Ann", "Gus"]


def test_decision_links_use_the_admins_own_filters(acme: Tenant, story: Story) -> None:
    # given
    dashboard = funnel_dashboard(ReportFilters(organization=acme.org, **PERIOD))
    stages = table(dashboard, "stages")
    offer = story.stages[2]
    # when
    withdrew = _lookups(stages.links[2][6])
    hired = _lookups(stages.links[3][2])
    # then: filters the candidate list offers, so they can be changed there
    assert withdrew["outcome__exact"] == ["withdrawn"]
    assert withdrew["current_stage__id__exact"] == [str(offer.pk)]
    assert withdrew["created_at__gte"] == ["2025-03-01T00:00:00+00:00"]
    assert withdrew["created_at__lt"] == ["2025-04-01T00:00:00+00:00"]
    assert hired["outcome__exact"] == ["hired"]
    assert "id__in" not in hired
    assert _admin_names(acme.client("recruiter"), stages.links[2][6]) == ["Dan"]


def test_headline_and_breakdown_links_open_their_candidates(acme: Tenant, story: Story) -> None:
    # given
    dashboard = funnel_dashboard(ReportFilters(organization=acme.org, **PERIOD))
    client = acme.client("recruiter")
    figures = {label: link for label, _value, link in dashboard.figures()}
    positions, sources = table(dashboard, "positions"), table(dashboard, "sources")
    # when / then
    assert _admin_names(client, figures["Candidates"]) == ["Ann", "Ben", "Cat", "Dan", "Eve", "Gus", "Hal"]
    assert _admin_names(client, figures["In process"]) == ["Ben", "Eve", "Hal"]
    assert _admin_names(client, figures["Hired"]) == ["Ann", "Gus"]
    assert _admin_names(client, figures["Rejected"]) == ["Cat"]
    assert _admin_names(client, figures["Withdrew"]) == ["Dan"]
    assert figures["Hire rate (%)"] is None
    assert _admin_names(client, positions.links[0][4]) == ["Ann", "Gus"]  # Backend engineer, hired
    assert _lookups(positions.links[0][4])["position__id__exact"] == [str(story.platform.pk)]
    assert _admin_names(client, positions.links[1][3]) == ["Eve", "Hal"]  # Data engineer, in process
    assert _admin_names(client, sources.links[2][2]) == ["Ben", "Hal"]  # LinkedIn, in process
    assert _lookups(sources.links[2][2])["source__exact"] == ["linkedin"]


def test_a_team_filter_drills_down_through_its_positions(acme: Tenant, story: Story) -> None:
    # given: the admin has no team filter, so the link names the team's positions
    dashboard = funnel_dashboard(ReportFilters(organization=acme.org, team="Data", **PERIOD))
    stages = table(dashboard, "stages")
    client = acme.client("recruiter")
    # when
    names = _admin_names(client, stages.links[0][3])
    figures = {label: link for label, _value, link in dashboard.figures()}
    # then: in process at Screen, within the Data team and the period (Hal is in no stage)
    assert names == ["Eve"]
    assert _admin_names(client, figures["In process"]) == ["Eve", "Hal"]
    assert _admin_names(client, figures["Withdrew"]) == ["Dan"]


def test_each_pipeline_ends_with_its_own_hired_step(acme: Tenant, story: Story) -> None:
    # given a designer hired from a one-stage pipeline of their own
    pipeline = PipelineFactory(organization=acme.org, name="Design")
    portfolio = StageFactory(pipeline=pipeline, order=1, name="Portfolio")
    designer = PositionFactory(organization=acme.org, title="Designer", team="Design", pipeline=pipeline)
    ivy = _candidate(acme.org, "Ivy", designer, "referral", T0)
    _walk(ivy, [(None, portfolio, 0)])
    _decide(acme, ivy, HIRED, 3)
    # when
    dashboard = funnel_dashboard(ReportFilters(organization=acme.org, **PERIOD))
    stages = table(dashboard, "stages")
    # then: pipelines by name, each with its Hired step; the hired links keep to the pipeline's positions
    assert stages.rows[:2] == [
        ["Design", "Portfolio", 1, 0, 100.0, 0, 0, 3.0, 3.0],
        ["Design", "Hired", 1, None, None, None, None, None, None],
    ]
    assert stages.rows[5] == ["Engineering", "Hired", 2, None, None, None, None, None, None]
    client = acme.client("recruiter")
    assert _admin_names(client, stages.links[1][2]) == ["Ivy"]
    assert _lookups(stages.links[1][2])["position__in"] == [str(designer.pk)]
    assert _admin_names(client, stages.links[5][2]) == ["Ann", "Gus"]
    charts = {c.key: c for c in dashboard.charts}
    assert charts["per_stage"].labels[:3] == ["Design · Portfolio", "Design · Hired", "Engineering · Screen"]
    assert charts["conversion"].labels[0] == "Design · Portfolio → Hired"
