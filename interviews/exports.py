"""CSV exports of the back office's selections, safe to open in a spreadsheet.

Written by hand on top of the standard ``csv`` module because the one rule that matters here —
neutralising cells that a spreadsheet would run as a formula (CSV/formula injection, OWASP) — is
a few lines, and the export libraries we looked at leave it to the caller anyway.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from interviews.models import Candidate, Interview, InterviewQuestion, Position, Scorecard

#: A spreadsheet treats a cell that starts with one of these as a formula (or as the start of one).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Column = tuple[Any, Callable[[Any], Any]]


def safe_cell(value: Any) -> str:
    """The cell as text, with a leading ``'`` when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if timezone.is_aware(value) else ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_response(*, filename: str, columns: Sequence[Column], rows: Iterable[Any], bom: bool = True) -> HttpResponse:
    """A UTF-8 CSV download; the byte-order mark (the default) makes Excel read accents right,
    ``bom=False`` leaves it out for tools that take it as part of the first header."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if bom:
        response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([safe_cell(str(header)) for header, _getter in columns])
    for row in rows:
        writer.writerow([safe_cell(getter(row)) for _header, getter in columns])
    return response


def _names(related: Iterable[Any]) -> str:
    return ", ".join(str(item) for item in related)


POSITION_COLUMNS: list[Column] = [
    (_("id"), lambda p: p.pk),
    (_("title"), lambda p: p.title),
    (_("team"), lambda p: p.team),
    (_("status"), lambda p: p.get_status_display()),
    (_("hiring manager"), lambda p: p.hiring_manager.email if p.hiring_manager else ""),
    (_("pipeline"), lambda p: p.pipeline.name if p.pipeline else ""),
    (_("candidates"), lambda p: getattr(p, "candidate_count", "")),
    (_("created"), lambda p: p.created_at),
]

CANDIDATE_COLUMNS: list[Column] = [
    (_("id"), lambda c: c.pk),
    (_("name"), lambda c: c.full_name),
    (_("e-mail"), lambda c: c.email),
    (_("phone"), lambda c: c.phone),
    (_("source"), lambda c: c.get_source_display()),
    (_("position"), lambda c: c.position.title if c.position else ""),
    (_("stage"), lambda c: c.current_stage.name if c.current_stage else ""),
    (_("outcome"), lambda c: c.get_outcome_display()),
    (_("decided"), lambda c: c.decided_at),
    (_("tags"), lambda c: _names(c.tags.all())),
    (_("added"), lambda c: c.created_at),
]

INTERVIEW_COLUMNS: list[Column] = [
    (_("id"), lambda i: i.pk),
    (_("candidate"), lambda i: i.candidate.full_name),
    (_("candidate e-mail"), lambda i: i.candidate.email),
    (_("position"), lambda i: i.position.title),
    (_("stage"), lambda i: i.stage.name),
    (_("starts"), lambda i: i.scheduled_at),
    (_("duration (minutes)"), lambda i: i.duration_minutes),
    (_("status"), lambda i: i.get_status_display()),
    (
        _("interviewers"),
        lambda i: _names(p.user.email for p in i.participants.all() if p.role == "interviewer" and p.user),
    ),
]

SCORECARD_COLUMNS: list[Column] = [
    (_("id"), lambda s: s.pk),
    (_("candidate"), lambda s: s.interview.candidate.full_name),
    (_("position"), lambda s: s.interview.position.title),
    (_("stage"), lambda s: s.interview.stage.name),
    (_("interviewer"), lambda s: s.author.email),
    (_("recommendation"), lambda s: s.get_recommendation_display()),
    (_("ratings"), lambda s: "; ".join(f"{name}: {value}" for name, value in (s.ratings or {}).items())),
    (_("comments"), lambda s: s.comments),
    (_("submitted"), lambda s: s.submitted_at),
]

QUESTION_COLUMNS: list[Column] = [
    (_("id"), lambda q: q.pk),
    (_("question"), lambda q: q.question_text),
    (_("difficulty"), lambda q: q.get_difficulty_display()),
    (_("tags"), lambda q: _names(q.tags.all())),
    (_("hints for the interviewer"), lambda q: q.interviewer_hints),
    (_("expected answer guide"), lambda q: q.expected_answer_guide),
    (_("follow-up questions"), lambda q: " | ".join(q.follow_up_questions or [])),
]

COLUMNS: dict[type, list[Column]] = {
    Position: POSITION_COLUMNS,
    Candidate: CANDIDATE_COLUMNS,
    Interview: INTERVIEW_COLUMNS,
    Scorecard: SCORECARD_COLUMNS,
    InterviewQuestion: QUESTION_COLUMNS,
}
