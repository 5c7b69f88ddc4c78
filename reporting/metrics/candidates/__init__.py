"""Candidate performance: coding results, scorecard ratings and speed, against the position.

Definitions (docs/reports.md repeats them):

Scope
    Candidates of the organization whose *candidate* position matches the position and team
    filters and whose source matches the source filter. The period filter keeps the interviews
    scheduled in it (organization time zone); cancelled interviews never count. A candidate
    appears when at least one interview is left; every figure comes from those interviews.

Ratings (submitted scorecards only, drafts never count; each criterion rating 1–4 weighs the same)
    communication — criteria whose name contains "communicat" (any case);
    technical — the other criteria of technical stages (live coding, async coding, system
    design), and a criterion whose name contains "technic" or "coding" on any stage;
    overall — every rating. Criteria such as "Motivation" or "Ownership" on a phone screen or a
    behavioural stage count towards overall only.

Coding
    tests passed — a session can hold several problems (the stage's dsa_config): per (session,
    problem) its best submission (highest score, then the earliest), as the candidate PDF's
    assessment rows; passed / total cases (hidden ones included) summed over the problems and
    sessions, so 4/4 on one problem and 1/5 on another read 5/9. A problem never submitted
    has no best submission and counts nothing (the PDF shows "—" for it): its case count is
    not in any row read here;
    runs — code runs made by the candidate (room runs, test-case runs, assessment Run button);
    submissions — assessment submissions;
    time to first pass — minutes from the start (the assessment session's start, or the live
    interview's start) to the first run or submission, for *any* of the session's problems,
    that passed every case it ran (the Run button runs the visible cases; a test-case run and
    a submission run all cases); the mean over the candidate's coding interviews that have one.
    "Any problem", not "all problems": it measures how soon the candidate had a first working
    solution, it means the same for a one-problem and a three-problem session, and a session
    with one unsolved problem still has a time; how much got solved is what tests passed says;
    time used — assessment time used against the time allowed: (finished, or the deadline when
    not finished, capped at the deadline) − start, over deadline − start, summed over sessions, %.

Comparison with the position (the candidates in scope with the same position)
    position mean — the mean of the position's candidates' overall ratings (one value per
    candidate); rank — 1 for the best overall rating, ties share a rank; percentile — the share
    of the position's other rated candidates with a lower overall rating (None alone).

Drill-down (admin lists through their filters; ``common.AdminLinks.behind``)
    name — the candidate's admin page; interviews — ``candidate__id__exact`` with the period
    and the counted statuses: exactly the interviews counted; scorecards — ``?candidate=``,
    exact when the candidate has no other submitted scorecard (on a cancelled interview or
    outside the period), else the ids counted (``id__in``). Position — the position's candidates
    (``position__id__exact``, with ``source__exact`` when a source is chosen). The admin cannot
    select "interviewed in the period", so the candidates behind a position's figures (positions
    table: position, candidates, rated; candidates table: position mean, for a position of at
    most ``ROW_LIMIT`` candidates, the list repeating on each of its rows) are listed by id when
    there are at most ``ID_LIMIT`` (200), else the link opens that nearest list, a superset. The
    headline figures link the same way to the candidates they count.

Queries: five, whatever the number of candidates (interviews, scorecards, submissions, runs,
and each candidate's submitted scorecards the drill-down compares with); ``figures`` computes,
this module lays the figures out as tables and charts.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interviews.models import Candidate, Interview, Scorecard
from reporting.dashboards import Chart, Dashboard, Table
from reporting.filters import ReportFilters
from reporting.metrics.candidates.figures import candidate_performance, performance
from reporting.metrics.common import (
    COUNTED_STATUSES,
    AdminLinks,
    mean,
    median,
    period_lookups,
    position_lookups,
    scoped_interviews,
)

__all__ = ["candidate_performance", "candidates_dashboard"]

CHART_LIMIT = 40  # bars a chart can show legibly; the table lists everyone
ROW_LIMIT = 20  # a position's candidates listed by id in each of its rows (rows × ids stays small)

COLUMNS = [
    ("name", gettext_lazy("Candidate")),
    ("position", gettext_lazy("Position")),
    ("source_label", gettext_lazy("Source")),
    ("interviews", gettext_lazy("Interviews")),
    ("scorecards", gettext_lazy("Scorecards")),
    ("communication", gettext_lazy("Communication (1–4)")),
    ("technical", gettext_lazy("Technical (1–4)")),
    ("overall", gettext_lazy("Overall (1–4)")),
    ("position_mean", gettext_lazy("Position mean (1–4)")),
    ("rank", gettext_lazy("Rank in position")),
    ("percentile", gettext_lazy("Percentile in position")),
    ("tests_passed", gettext_lazy("Tests passed")),
    ("tests_total", gettext_lazy("Tests total")),
    ("tests_passed_pct", gettext_lazy("Tests passed (%)")),
    ("runs", gettext_lazy("Runs")),
    ("submissions", gettext_lazy("Submissions")),
    ("time_to_first_pass_min", gettext_lazy("Time to first pass (min)")),
    ("time_used_pct", gettext_lazy("Assessment time used (%)")),
]
POSITION_COLUMNS = [
    ("position", gettext_lazy("Position")),
    ("candidates", gettext_lazy("Candidates")),
    ("rated", gettext_lazy("Rated candidates")),
    ("mean_communication", gettext_lazy("Communication (1–4)")),
    ("mean_technical", gettext_lazy("Technical (1–4)")),
    ("mean_overall", gettext_lazy("Overall (1–4)")),
    ("mean_tests_passed_pct", gettext_lazy("Tests passed (%)")),
    ("mean_time_to_first_pass_min", gettext_lazy("Time to first pass (min)")),
]


def _scorecard_totals(filters: ReportFilters, interviews: QuerySet[Interview]) -> dict[int, int]:
    """Each candidate's submitted scorecards, all of them: what the admin's ``?candidate=`` lists."""
    rows = (
        Scorecard.objects.filter(
            interview__organization=filters.organization,
            interview__candidate__in=interviews.values("candidate_id"),
            submitted_at__isnull=False,
        )
        .values("interview__candidate_id")
        .annotate(n=Count("pk"))
        .values_list("interview__candidate_id", "n")
        .order_by()
    )
    return dict(rows)


class _Links:
    """The drill-down links of one candidates dashboard (definitions in the module docstring)."""

    def __init__(self, filters: ReportFilters, figures: list[dict[str, Any]]) -> None:
        self.admin = AdminLinks()
        self.period = [("status__in", COUNTED_STATUSES), *period_lookups(filters)]
        source = [("source__exact", filters.source)] if filters.source else []
        self.source = source
        self.everyone = [*position_lookups(filters, (f["position_id"] for f in figures)), *source]

    def position(self, pk: int | None) -> list[tuple[str, Any]]:
        return [("position__id__exact", pk), *self.source] if pk else [("position__isnull", "True"), *self.source]

    def candidates(self, ids: list[int], lookups: list[tuple[str, Any]] | None = None) -> str | None:
        return self.admin.behind("candidate", ids, self.everyone if lookups is None else lookups, exact=False)


def _candidate_links(
    figures: list[dict[str, Any]], peers: dict[int | None, list[dict[str, Any]]], links: _Links, totals: dict[int, int]
) -> list[list[str | None]]:
    keys = [key for key, _title in COLUMNS]
    admin = links.admin
    at = {key: keys.index(key) for key in ("name", "position", "position_mean", "interviews", "scorecards")}
    positions: dict[int | None, tuple[str, str | None]] = {}
    for pk, members in peers.items():
        nearest = links.position(pk)
        rated = [f["candidate_id"] for f in members if f["overall"] is not None]
        shared = links.candidates(rated, nearest) if len(members) <= ROW_LIMIT else admin.filtered("candidate", nearest)
        positions[pk] = (admin.filtered("candidate", nearest), shared if rated else None)
    rows: list[list[str | None]] = []
    for f in figures:
        pk = f["candidate_id"]
        row: list[str | None] = [None] * len(keys)
        row[at["name"]] = admin.change("candidate", pk)
        row[at["position"]], row[at["position_mean"]] = positions[f["position_id"]]
        row[at["interviews"]] = admin.behind(
            "interview", f["interview_ids"], [("candidate__id__exact", pk), *links.period], exact=True
        )
        row[at["scorecards"]] = admin.behind(
            "scorecard",
            f["scorecard_ids"],
            [("candidate", pk)],
            exact=totals.get(pk, 0) == len(f["scorecard_ids"]),
        )
        rows.append(row)
    return rows


def _position_links(members: list[dict[str, Any]], links: _Links) -> list[str | None]:
    nearest = links.position(members[0]["position_id"])
    everyone = links.candidates([f["candidate_id"] for f in members], nearest)
    rated = links.candidates([f["candidate_id"] for f in members if f["overall"] is not None], nearest)
    cells = {"position": everyone, "candidates": everyone, "rated": rated, "mean_overall": rated}
    return [cells.get(key) for key, _title in POSITION_COLUMNS]


def _bar(key: str, title: str, labels: list[str], series: dict[str, list[Any]], *, table: str, unit: str) -> Chart:
    return Chart(
        key=key,
        title=title,
        kind="bar",
        labels=labels,
        series=[{"name": name, "values": values} for name, values in series.items()],
        table=table,
        unit=unit,
    )


def _label(f: dict[str, Any]) -> str:
    return f"{f['name']} ({f['position']})" if f["position"] else f["name"]


def candidates_dashboard(filters: ReportFilters) -> Dashboard:
    """Candidate performance within the filters (definitions in the module docstring)."""
    interviews = scoped_interviews(filters, by="candidate")
    figures, positions = performance(interviews)
    peers: dict[int | None, list[dict[str, Any]]] = defaultdict(list)  # the candidates behind a position
    for f in figures:
        peers[f["position_id"]].append(f)
    links = _Links(filters, figures)
    position_rows = sorted(positions.values(), key=lambda p: p["position"])
    no_position = _("(no position)")
    for p in position_rows:
        p["position"] = p["position"] or no_position
    sources = {value: str(label) for value, label in Candidate.Source.choices}
    for f in figures:
        f["source_label"] = sources.get(f["source"], f["source"])
    candidates = Table(
        key="candidates",
        title=_("Candidates"),
        columns=[str(title) for _key, title in COLUMNS],
        rows=[[f[key] for key, _title in COLUMNS] for f in figures],
        links=_candidate_links(figures, peers, links, _scorecard_totals(filters, interviews)),
    )
    by_position = Table(
        key="positions",
        title=_("Positions"),
        columns=[str(title) for _key, title in POSITION_COLUMNS],
        rows=[[p[key] for key, _title in POSITION_COLUMNS] for p in position_rows],
        links=[_position_links(peers[p["position_id"]], links) for p in position_rows],
    )
    rated = sorted((f for f in figures if f["overall"] is not None), key=lambda f: (-f["overall"], f["name"]))
    coded = sorted(
        (f for f in figures if f["tests_passed_pct"] is not None), key=lambda f: (-f["tests_passed_pct"], f["name"])
    )
    coding_means = {p["position_id"]: p["mean_tests_passed_pct"] for p in positions.values()}
    top_rated, top_coded = rated[:CHART_LIMIT], coded[:CHART_LIMIT]
    charts = [
        _bar(
            "ratings",
            _("Overall rating per candidate against the position mean"),
            [_label(f) for f in top_rated],
            {
                _("Overall rating"): [f["overall"] for f in top_rated],
                _("Position mean"): [f["position_mean"] for f in top_rated],
            },
            table="candidates",
            unit="1–4",
        ),
        _bar(
            "coding",
            _("Tests passed per candidate against the position mean"),
            [_label(f) for f in top_coded],
            {
                _("Tests passed"): [f["tests_passed_pct"] for f in top_coded],
                _("Position mean"): [coding_means[f["position_id"]] for f in top_coded],
            },
            table="candidates",
            unit="%",
        ),
        _bar(
            "positions",
            _("Communication and technical ratings per position"),
            [p["position"] for p in position_rows],
            {
                _("Communication"): [p["mean_communication"] for p in position_rows],
                _("Technical"): [p["mean_technical"] for p in position_rows],
            },
            table="positions",
            unit="1–4",
        ),
    ]
    firsts = [f["time_to_first_pass_min"] for f in figures if f["time_to_first_pass_min"] is not None]
    timed = [f["candidate_id"] for f in figures if f["time_to_first_pass_min"] is not None]
    summary: list[tuple[str, Any]] = [
        (_("Candidates"), len(figures)),
        (_("Average overall rating (1–4)"), mean(f["overall"] for f in rated)),
        (_("Average tests passed (%)"), mean(f["tests_passed_pct"] for f in coded)),
        (_("Median time to first pass (min)"), median(firsts, 1)),
    ]
    return Dashboard(
        key="candidates",
        title=_("Candidate performance"),
        summary=summary,
        charts=charts,
        tables=[candidates, by_position],
        summary_links=[
            links.candidates([f["candidate_id"] for f in figures]),
            links.candidates([f["candidate_id"] for f in rated]),
            links.candidates([f["candidate_id"] for f in coded]),
            links.candidates(timed),
        ],
    )
