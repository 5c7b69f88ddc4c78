"""The figures behind candidate performance: per candidate, then compared within the position.

The definitions are in ``reporting.metrics.candidates`` (the dashboard's docstring). Everything
is read as flat rows in four queries (interviews, scorecards, submissions, code runs) and
gathered in Python: ratings are JSON per scorecard and the best submission per (session,
problem) needs every submission, so neither can be an SQL aggregate on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import bisect
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Min, Q, QuerySet

from assessments.models import CodeRun, Submission
from interviews.models import Candidate, Interview, PipelineStage, Scorecard
from reporting.metrics.common import mean, percent, valid_ratings

TECHNICAL_STAGES = frozenset(
    {PipelineStage.Type.TECHNICAL_LIVE, PipelineStage.Type.TECHNICAL_DSA, PipelineStage.Type.SYSTEM_DESIGN}
)
PASS_SOURCES = (CodeRun.Source.DSA_RUN, CodeRun.Source.ROOM_TESTS)


@functools.cache
def criterion_kind(name: str, stage_type: str) -> str:
    """ "communication", "technical" or "other" (counted in the overall rating only)."""
    lowered = name.lower()
    if "communicat" in lowered:
        return "communication"
    if stage_type in TECHNICAL_STAGES or "technic" in lowered or "coding" in lowered:
        return "technical"
    return "other"


@dataclass(slots=True)
class _Row:
    pk: int
    name: str
    position_id: int | None
    position: str
    source: str
    interview_ids: list[int] = field(default_factory=list)
    scorecard_ids: list[int] = field(default_factory=list)
    ratings: dict[str, list[int]] = field(default_factory=lambda: {"communication": [], "technical": [], "other": []})
    # (session, problem) → its best submission: (-score, submitted, pk) orders them, then passed, total
    best: dict[tuple[int, int], tuple[float, datetime, int, int, int]] = field(default_factory=dict)
    submissions: int = 0
    runs: int = 0
    first_pass: list[float] = field(default_factory=list)
    used_s: float = 0.0
    allowed_s: float = 0.0

    def figures(self) -> dict[str, Any]:
        passed = sum(b[3] for b in self.best.values()) if self.best else None
        total = sum(b[4] for b in self.best.values()) if self.best else None
        ratings = self.ratings
        return {
            "candidate_id": self.pk,
            "name": self.name,
            "position_id": self.position_id,
            "position": self.position,
            "source": self.source,
            "interviews": len(self.interview_ids),
            "scorecards": len(self.scorecard_ids),
            "interview_ids": sorted(self.interview_ids),
            "scorecard_ids": sorted(self.scorecard_ids),
            "communication": mean(ratings["communication"]),
            "technical": mean(ratings["technical"]),
            "overall": mean(ratings["communication"] + ratings["technical"] + ratings["other"]),
            "tests_passed": passed,
            "tests_total": total,
            "tests_passed_pct": percent(passed, total) if passed is not None and total else None,
            "runs": self.runs,
            "submissions": self.submissions,
            "time_to_first_pass_min": mean(self.first_pass),
            "time_used_pct": percent(self.used_s, self.allowed_s),
        }


INTERVIEW_FIELDS = (
    "pk",
    "candidate_id",
    "candidate__full_name",
    "candidate__position_id",
    "candidate__position__title",
    "candidate__source",
    "started_at",
    "dsa_session__pk",
    "dsa_session__started_at",
    "dsa_session__deadline",
    "dsa_session__finished_at",
)


def _rows(interviews: QuerySet[Interview]) -> dict[int, _Row]:
    """Per candidate figures of these interviews, in four queries of flat rows."""
    rows: dict[int, _Row] = {}
    starts: dict[int, tuple[int, datetime | None]] = {}  # interview → (candidate, coding start)
    sessions: dict[int, int] = {}  # session → candidate
    for (
        pk,
        cid,
        name,
        position_id,
        title,
        source,
        started,
        session,
        opened,
        deadline,
        finished,
    ) in interviews.values_list(*INTERVIEW_FIELDS).order_by():
        row = rows.get(cid)
        if row is None:
            row = rows[cid] = _Row(pk=cid, name=name, position_id=position_id, position=title or "", source=source)
        row.interview_ids.append(pk)
        starts[pk] = (cid, opened or started)
        if session is not None:
            sessions[session] = cid
        if opened is not None and deadline is not None and deadline > opened:
            row.used_s += max((min(finished or deadline, deadline) - opened).total_seconds(), 0.0)
            row.allowed_s += (deadline - opened).total_seconds()
    for pk, interview_id, ratings, stage_type in (
        Scorecard.objects.filter(interview__in=interviews, submitted_at__isnull=False)
        .values_list("pk", "interview_id", "ratings", "interview__stage__stage_type")
        .order_by()
    ):
        row = rows[starts[interview_id][0]]
        row.scorecard_ids.append(pk)
        for criterion, value in valid_ratings(ratings):
            row.ratings[criterion_kind(criterion, stage_type)].append(value)
    first_pass: dict[int, datetime] = {}
    for pk, session, problem_id, interview_id, passed, total, score, created in (
        Submission.objects.filter(session__interview__in=interviews)
        .values_list(
            "pk", "session_id", "problem_id", "session__interview_id", "passed", "total", "score", "created_at"
        )
        .order_by()
    ):
        row = rows[sessions[session]]
        row.submissions += 1
        key = (session, problem_id)
        best = row.best.get(key)
        if best is None or (-score, created, pk) < best[:3]:  # the PDF's ``best_submission`` rule
            row.best[key] = (-score, created, pk, passed, total)
        if total and passed == total:
            _keep_first(first_pass, interview_id, created)
    by_candidate = Q(participant__candidate__isnull=False)
    all_passed = Q(source__in=PASS_SOURCES, total__gt=0, passed=F("total")) & by_candidate
    for interview_id, runs, passed_at in (
        CodeRun.objects.filter(interview__in=interviews)
        .values("interview_id")
        .annotate(runs=Count("pk", filter=by_candidate), first_pass=Min("created_at", filter=all_passed))
        .values_list("interview_id", "runs", "first_pass")
        .order_by()
    ):
        rows[starts[interview_id][0]].runs += runs
        if passed_at is not None:
            _keep_first(first_pass, interview_id, passed_at)
    for interview_id, passed_at in first_pass.items():
        candidate_id, started = starts[interview_id]
        if started is not None and passed_at >= started:
            rows[candidate_id].first_pass.append((passed_at - started).total_seconds() / 60)
    return rows


def _keep_first(first: dict[int, datetime], key: int, at: datetime) -> None:
    if key not in first or at < first[key]:
        first[key] = at


def compare(figures: list[dict[str, Any]]) -> dict[int | None, dict[str, Any]]:
    """Adds each candidate's rank, percentile and position mean; returns per-position figures."""
    by_position: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for f in figures:
        by_position[f["position_id"]].append(f)
    positions: dict[int | None, dict[str, Any]] = {}
    for position_id, members in by_position.items():
        rated = sorted(f["overall"] for f in members if f["overall"] is not None)

        def present(key: str, members: list[dict[str, Any]] = members) -> list[float]:
            return [f[key] for f in members if f[key] is not None]

        positions[position_id] = summary = {
            "position_id": position_id,
            "position": members[0]["position"],
            "candidates": len(members),
            "rated": len(rated),
            "mean_overall": mean(rated),
            "mean_communication": mean(present("communication")),
            "mean_technical": mean(present("technical")),
            "mean_tests_passed_pct": mean(present("tests_passed_pct")),
            "mean_time_to_first_pass_min": mean(present("time_to_first_pass_min")),
        }
        for f in members:
            score = f["overall"]
            f["position_mean"] = summary["mean_overall"]
            f["rank"] = None if score is None else 1 + len(rated) - bisect.bisect_right(rated, score)
            lower = bisect.bisect_left(rated, score) if score is not None else 0
            f["percentile"] = percent(lower, len(rated) - 1) if score is not None and len(rated) > 1 else None
    return positions


def performance(interviews: QuerySet[Interview]) -> tuple[list[dict[str, Any]], dict[int | None, dict[str, Any]]]:
    figures = [row.figures() for row in _rows(interviews).values()]
    positions = compare(figures)
    figures.sort(key=lambda f: (f["position"], f["rank"] or 10**9, f["name"], f["candidate_id"]))
    return figures, positions


def candidate_performance(candidate: Candidate) -> dict[str, Any]:
    """One candidate's figures and the comparison with their position (for the candidate PDF).

    Compared with every candidate of the same position (no period, all sources); a candidate
    without a position is compared with nobody. Keys (None where there is nothing to measure):

    - ``candidate_id`` int, ``name`` str, ``position_id`` int | None, ``position`` str, ``source`` str
    - ``interviews``, ``scorecards``, ``runs``, ``submissions``: int
    - ``interview_ids``, ``scorecard_ids``: list[int] (the interviews and submitted scorecards counted)
    - ``communication``, ``technical``, ``overall``: float | None (mean rating, 1–4, 2 decimals)
    - ``tests_passed``, ``tests_total``: int | None; ``tests_passed_pct``: float | None (0–100)
    - ``time_to_first_pass_min``: float | None (minutes); ``time_used_pct``: float | None (0–100)
    - ``position_mean``: float | None (the position's mean overall rating)
    - ``rank``: int | None (1 = best overall rating); ``percentile``: float | None (0–100)
    - ``comparison``: dict with ``candidates``, ``rated`` (int), ``mean_overall``,
      ``mean_communication``, ``mean_technical``, ``mean_tests_passed_pct``,
      ``mean_time_to_first_pass_min`` (float | None) for the position

    A candidate with no interview gets zero counts and None figures. Four queries.
    """
    org = candidate.organization_id
    interviews = Interview.objects.filter(organization_id=org, candidate__organization_id=org).exclude(
        status=Interview.Status.CANCELLED
    )
    if candidate.position_id is not None:
        interviews = interviews.filter(candidate__position_id=candidate.position_id)
    else:
        interviews = interviews.filter(candidate=candidate)
    figures, positions = performance(interviews)
    mine = next((f for f in figures if f["candidate_id"] == candidate.pk), None)
    if mine is None:
        empty = _Row(
            pk=candidate.pk,
            name=candidate.full_name,
            position_id=candidate.position_id,
            position=candidate.position.title if candidate.position else "",
            source=candidate.source,
        )
        mine = empty.figures()
        peers = [*figures, mine]
        positions = compare(peers)
    mine["comparison"] = positions[candidate.position_id]
    return mine
