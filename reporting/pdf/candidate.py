"""The candidate report: scorecards, assessment results, integrity events, AI summary, comparison.

The data is read in a fixed number of queries whatever the candidate's history (one per kind of
record), so a report of a candidate with forty interviews costs what one with two does. Drafts
of scorecards are the interviewer's own: only submitted ones are reported. The AI summary is
shown only when the organization has AI insights on, and is labelled "AI-generated" as on the
replay page. Reports are for the back office only; nothing here is candidate-facing.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from assessments.models import CodeRun, DsaSession, IntegrityEvent, Problem, Submission
from interviews.models import Candidate, Interview, Scorecard
from recordings.insights.services import ai_enabled
from recordings.models import Insight
from reporting.metrics.candidates import candidate_performance
from reporting.pdf import Progress, _no_progress, render_pdf

TEMPLATE = "reporting/pdf/candidate.html"


@dataclass
class AssessmentRow:
    """One problem of one assessment session; ``first`` marks the session's first row."""

    interview: Interview
    problem: str
    language: str
    passed: int | None
    total: int | None
    score: float | None
    submissions: int
    runs: int
    time_spent: timedelta | None
    first: bool = True


@dataclass
class CandidateReport:
    candidate: Candidate
    time_zone: zoneinfo.ZoneInfo
    interviews: list[Interview]
    scorecards: list[Scorecard]
    assessments: list[AssessmentRow]
    integrity: list[IntegrityEvent]
    integrity_counts: list[tuple[str, int]]
    ai_summaries: list[tuple[Interview, dict[str, Any]]]
    ai_on: bool
    performance: dict[str, Any] | None
    criteria: list[str] = field(default_factory=list)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def best_submission(submissions: list[Submission]) -> Submission | None:
    """The dashboard's rule (reporting.metrics.candidates): highest score, the earliest on a tie."""
    return min(submissions, key=lambda s: (-s.score, s.created_at, s.pk), default=None)


def _assessments(candidate: Candidate) -> list[AssessmentRow]:
    """One row per (session, problem): the problems the stage set and any the candidate submitted."""
    sessions = list(
        DsaSession.objects.filter(interview__candidate=candidate)
        .select_related("interview__stage")
        .order_by("interview__scheduled_at", "pk")
    )
    submissions: dict[tuple[int, int], list[Submission]] = defaultdict(list)
    for submission in Submission.objects.filter(session__in=sessions).order_by():
        submissions[(submission.session_id, submission.problem_id)].append(submission)
    # the candidate's own runs, as the dashboard counts them (a recruiter's runs are not theirs)
    runs = {
        (interview_id, problem_id): n
        for interview_id, problem_id, n in CodeRun.objects.filter(
            interview__candidate=candidate, participant__candidate__isnull=False
        )
        .values_list("interview_id", "problem_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    planned = {
        s.pk: [int(p) for p in (s.interview.stage.dsa_config or {}).get("problems", []) if str(p).isdigit()]
        for s in sessions
        if s.interview.stage is not None
    }
    wanted = {p for ids in planned.values() for p in ids} | {p for _s, p in submissions}
    titles = dict(Problem.objects.filter(pk__in=wanted).values_list("pk", "title")) if wanted else {}
    rows = []
    for session in sessions:
        submitted = [p for s, p in submissions if s == session.pk]
        problems = [p for p in planned.get(session.pk, []) if p in titles]
        problems += sorted({p for p in submitted if p not in problems}, key=lambda p: (titles.get(p, ""), p))
        mine = [sub for p in submitted for sub in submissions[(session.pk, p)]]
        end = session.finished_at or max((s.created_at for s in mine), default=None)
        spent = (end - session.started_at) if (end and session.started_at) else None
        for index, problem in enumerate(problems or [None]):
            of_problem = submissions.get((session.pk, problem), []) if problem is not None else []
            best = best_submission(of_problem)
            rows.append(
                AssessmentRow(
                    interview=session.interview,
                    problem=titles.get(problem, "") if problem is not None else "",
                    language=best.language if best else "",
                    passed=best.passed if best else None,
                    total=best.total if best else None,
                    score=best.score if best else None,
                    submissions=len(of_problem),
                    runs=runs.get((session.interview_id, problem), 0),
                    time_spent=spent,
                    first=index == 0,
                )
            )
    return rows


def _summary_payloads(candidate: Candidate) -> list[tuple[Interview, dict[str, Any]]]:
    insights = (
        Insight.objects.filter(interview__candidate=candidate, kind=Insight.Kind.SUMMARY, status=Insight.Status.READY)
        .select_related("interview__stage")
        .order_by("interview__scheduled_at")
    )
    out = []
    for insight in insights:
        payload = insight.payload or {}
        questions = [
            {
                "text": q.get("questionText", ""),
                "strengths": [c.get("text", "") for c in q.get("strengths", [])],
                "weaknesses": [c.get("text", "") for c in q.get("weaknesses", [])],
            }
            for q in payload.get("questions", [])
        ]
        highlights = [c.get("text", "") for c in payload.get("highlights", [])]
        if highlights or questions:
            out.append((insight.interview, {"highlights": highlights, "questions": questions, "by": insight.provider}))
    return out


def candidate_report_build(candidate: Candidate, *, progress: Progress = _no_progress) -> CandidateReport:
    """Everything the candidate report shows, read in a fixed number of queries."""
    candidate = Candidate.objects.select_related("organization", "position", "current_stage").get(pk=candidate.pk)
    organization = candidate.organization
    interviews = list(
        Interview.objects.filter(candidate=candidate).select_related("stage").order_by("scheduled_at", "pk")
    )
    scorecards = list(
        Scorecard.objects.filter(interview__candidate=candidate, submitted_at__isnull=False)
        .select_related("author", "interview__stage")
        .order_by("interview__scheduled_at", "submitted_at")
    )
    progress(25)
    assessments = _assessments(candidate)
    integrity = list(
        IntegrityEvent.objects.filter(interview__candidate=candidate)
        .select_related("interview__stage")
        .order_by("occurred_at", "pk")
    )
    counts: dict[str, int] = defaultdict(int)
    for event in integrity:
        counts[event.get_kind_display()] += 1
    progress(45)
    ai_on = ai_enabled(organization_id=organization.pk)
    summaries = _summary_payloads(candidate) if ai_on else []
    performance = candidate_performance(candidate)
    progress(60)
    criteria: list[str] = []
    for card in scorecards:
        criteria += [name for name in card.ratings if name not in criteria]
    return CandidateReport(
        candidate=candidate,
        time_zone=_zone(organization.time_zone),
        interviews=interviews,
        scorecards=scorecards,
        assessments=assessments,
        integrity=integrity,
        integrity_counts=sorted(counts.items()),
        ai_summaries=summaries,
        ai_on=ai_on,
        performance=performance,
        criteria=criteria,
    )


def _local(value: datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "—"


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


#: (label, the candidate's key, the position's key in ``comparison``) of candidate_performance()
COMPARED = (
    (_lazy("Overall rating (1–4)"), "overall", "mean_overall"),
    (_lazy("Technical rating (1–4)"), "technical", "mean_technical"),
    (_lazy("Communication rating (1–4)"), "communication", "mean_communication"),
    (_lazy("Tests passed (%)"), "tests_passed_pct", "mean_tests_passed_pct"),
    (_lazy("Time to first passing run (min)"), "time_to_first_pass_min", "mean_time_to_first_pass_min"),
    (_lazy("Share of the time limit used (%)"), "time_used_pct", None),
    (_lazy("Code runs"), "runs", None),
)


def _performance_rows(performance: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(measure, this candidate, the position's mean) for the figures the comparison holds."""
    if not performance:
        return []
    peers = performance.get("comparison") or {}
    rows = [
        (str(label), _cell(performance.get(mine)), _cell(peers.get(theirs)) if theirs else "—")
        for label, mine, theirs in COMPARED
        if mine in performance
    ]
    if performance.get("rank") is not None:
        rank = _("%(rank)s of %(n)s rated") % {"rank": performance["rank"], "n": peers.get("rated", "?")}
        rows.append((_("Rank by overall rating"), rank, "—"))
    if performance.get("percentile") is not None:
        rows.append((_("Percentile"), _cell(performance["percentile"]), "—"))
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def candidate_report_context(report: CandidateReport) -> dict[str, Any]:
    zone = report.time_zone
    candidate = report.candidate
    return {
        "report": report,
        "candidate": candidate,
        "title": _("Candidate report"),
        "subject": candidate.full_name,
        "tz_name": zone.key,
        "interviews": [
            {"interview": i, "when": _local(i.scheduled_at, zone), "status": i.get_status_display()}
            for i in report.interviews
        ],
        "scorecards": [
            {
                "card": card,
                "when": _local(card.submitted_at, zone),
                "ratings": [(name, card.ratings.get(name)) for name in report.criteria if name in card.ratings],
                "recommendation": card.get_recommendation_display() or "—",
            }
            for card in report.scorecards
        ],
        "assessments": [{"row": row, "time": _duration(row.time_spent)} for row in report.assessments],
        "integrity": [
            {"event": e, "when": _local(e.occurred_at, zone), "detail": _integrity_detail(e)} for e in report.integrity
        ],
        "performance_rows": _performance_rows(report.performance),
        "peers": (report.performance or {}).get("comparison") or {},
        "performance_missing": report.performance is None,
    }


def _integrity_detail(event: IntegrityEvent) -> str:
    detail = event.detail or {}
    if event.kind == IntegrityEvent.Kind.PASTE and "length" in detail:
        return _("%(n)s characters") % {"n": detail["length"]}
    return ", ".join(f"{k}: {v}" for k, v in detail.items() if isinstance(v, str | int | float))


def candidate_pdf(candidate: Candidate, *, progress: Progress = _no_progress) -> bytes:
    """The candidate report as PDF bytes."""
    report = candidate_report_build(candidate, progress=progress)
    context = candidate_report_context(report)
    pdf = render_pdf(template=TEMPLATE, context=context, organization=report.candidate.organization)
    progress(95)
    return pdf
