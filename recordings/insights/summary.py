"""The offline summary: guide-point coverage, test runs and notable code events, each claim cited.

Rules (docs/ai-insights.md):

* per question, the candidate's words are those said, chatted or typed inside the question's
  window (:meth:`Evidence.window`); a guide point is covered by the rule of :mod:`guide`;
* strengths: each covered point (citing where its key terms were first said), and the first run
  that passed every test case of the question's problem;
* weaknesses: each point not covered (citing the candidate's longest answers in the window, which
  did not contain it; a point the candidate said nothing about in the window gives no claim, for
  want of something to cite), points only partly covered, test runs that never all passed, runs
  that passed fewer tests than the one before, and runs that ended with an error;
* highlights: the first all-green run, big pastes, and each question's coverage.

A claim is only made with at least one citation: nothing here is said without pointing at the
moment it came from.
"""

from __future__ import annotations

import itertools
from datetime import datetime

from django.utils.translation import gettext as _

from recordings.insights import guide
from recordings.insights.evidence import Evidence, QuestionRow, RunRow, Utterance, iso
from recordings.insights.types import AI_LABEL, Cite, Claim, QuestionSummary, SummaryPayload

MAX_CITES = 3
MAX_HIGHLIGHTS = 6


def _in_window(at: datetime, start: datetime, end: datetime, *, last: bool) -> bool:
    return start <= at < end or (last and at == end)


def _dedupe(cites: list[Cite]) -> list[Cite]:
    seen: set[tuple[str, str, int]] = set()
    kept: list[Cite] = []
    for cite in cites:
        key = (cite["kind"], cite["at"], cite.get("segmentId", cite.get("runId", 0)))
        if key not in seen:
            seen.add(key)
            kept.append(cite)
    return kept[:MAX_CITES]


def _first_with(words: list[Utterance], term: str) -> Utterance | None:
    return next((u for u in words if term in u.stems), None)


def _question_runs(evidence: Evidence, question: QuestionRow, start: datetime, end: datetime) -> list[RunRow]:
    last = end == evidence.end
    return [
        r
        for r in evidence.runs
        if (question.problem_id is not None and r.problem_id == question.problem_id)
        or (r.problem_id is None and question.asked_at is not None and _in_window(r.at, start, end, last=last))
    ]


def _run_claims(runs: list[RunRow]) -> tuple[list[Claim], list[Claim]]:
    strengths: list[Claim] = []
    weaknesses: list[Claim] = []
    tested = [r for r in runs if r.tested]
    green = next((r for r in tested if r.all_passed), None)
    if green is not None:
        strengths.append(
            {
                "text": _("All %(total)s test cases passed (first run passing every test).") % {"total": green.total},
                "cites": [green.cite()],
            }
        )
    elif tested:
        best = max(tested, key=lambda r: (r.passed or 0, r.at))
        weaknesses.append(
            {
                "text": _("No run passed every test case; the best passed %(passed)s of %(total)s.")
                % {"passed": best.passed or 0, "total": best.total or 0},
                "cites": _dedupe([best.cite(), tested[-1].cite()]),
            }
        )
    for before, after in itertools.pairwise(tested):
        if (after.passed or 0) < (before.passed or 0):
            weaknesses.append(
                {
                    "text": _("A later run passed fewer tests (%(after)s after %(before)s).")
                    % {"after": after.passed or 0, "before": before.passed or 0},
                    "cites": [after.cite(), before.cite()],
                }
            )
    errors = [r for r in runs if not r.tested and r.failed]
    if errors:
        verdicts = ", ".join(sorted({r.verdict for r in errors}))
        weaknesses.append(
            {
                "text": _("%(n)s run(s) of the code ended with an error (%(verdicts)s).")
                % {"n": len(errors), "verdicts": verdicts},
                "cites": [r.cite() for r in errors[:MAX_CITES]],
            }
        )
    return strengths, weaknesses


def question_summary(evidence: Evidence, question: QuestionRow) -> tuple[QuestionSummary, list[Claim]]:
    """Strengths and weaknesses of one question (see the module docstring), and its covered points."""
    start, end = evidence.window(question)
    last = end == evidence.end
    words = [u for u in evidence.candidate_words if _in_window(u.at, start, end, last=last)]
    said: set[str] = set().union(*(u.stems for u in words)) if words else set()
    answers = sorted((u for u in words if u.kind in ("transcript", "chat")), key=lambda u: (-len(u.text), u.at))[:2]
    strengths: list[Claim] = []
    weaknesses: list[Claim] = []
    for item in guide.coverage(question.points, said):
        cites = _dedupe([u.cite() for t in item.matched if (u := _first_with(words, t)) is not None])
        if item.covered and cites:
            strengths.append({"text": _("Covered: %(point)s") % {"point": item.point.text}, "cites": cites})
        elif item.matched and cites:
            weaknesses.append(
                {
                    "text": _("Partly covered: %(point)s (mentioned %(terms)s)")
                    % {"point": item.point.text, "terms": ", ".join(item.matched)},
                    "cites": cites,
                }
            )
        elif answers:
            weaknesses.append(
                {
                    "text": _("Not covered: %(point)s") % {"point": item.point.text},
                    "cites": _dedupe([u.cite() for u in answers]),
                }
            )
    run_strengths, run_weaknesses = _run_claims(_question_runs(evidence, question, start, end))
    summary: QuestionSummary = {
        "questionId": question.question_id,
        "questionText": question.text,
        "askedAt": iso(question.asked_at) if question.asked_at else None,
        "strengths": strengths + run_strengths,
        "weaknesses": weaknesses + run_weaknesses,
    }
    return summary, strengths


def _highlights(evidence: Evidence, covered_per_question: list[list[Claim]]) -> list[Claim]:
    highlights: list[Claim] = []
    green = next((r for r in evidence.runs if r.all_passed), None)
    if green is not None:
        highlights.append(
            {
                "text": _("First run passing every test case (%(total)s tests).") % {"total": green.total},
                "cites": [green.cite()],
            }
        )
    for paste in evidence.pastes[:MAX_CITES]:
        highlights.append({"text": paste.text, "cites": [paste.cite()]})
    for n, (question, covered) in enumerate(zip(evidence.questions, covered_per_question, strict=True), start=1):
        total = len(question.points)
        if total and covered:
            highlights.append(
                {
                    "text": _("Question %(n)s: covered %(covered)s of %(total)s guide points.")
                    % {"n": n, "covered": len(covered), "total": total},
                    "cites": _dedupe([cite for claim in covered for cite in claim["cites"]]),
                }
            )
    return highlights[:MAX_HIGHLIGHTS]


def offline_summary(evidence: Evidence) -> SummaryPayload:
    """The summary of an interview from its evidence, without any outside service."""
    results = [question_summary(evidence, q) for q in evidence.questions]
    return {
        "label": AI_LABEL,
        "highlights": _highlights(evidence, [covered for _summary, covered in results]),
        "questions": [summary for summary, _covered in results],
    }
