"""The async coding assessment behind a candidate's token link (DESIGN §4.3).

The token is the candidate participant's join token of an interview whose stage is
``technical_dsa``. The session starts on a POST only — ``/start`` (the page's start button),
``/run`` or ``/submit`` (API integrations post directly), or another token endpoint — never on a
GET: e-mail scanners and link previews fetch the link, and must not start (and burn) the
candidate's time. Its deadline is ``started + dsaConfig.timeLimitMinutes`` capped by the link's
expiry, and every endpoint checks it here, on the server: the page's countdown is only a courtesy.

Decisions (documented in docs/assessments.md):
- ``/run`` grades the visible cases only. A body may narrow them with ``testCaseIds``; an id
  that is not a visible case of the problem (a hidden one, another problem's, made up) is refused
  with 400 and the same message, so the answer does not tell a hidden id from a wrong one.
- ``dsaConfig.maxSubmissions`` counts the session's submissions over all its problems.
- A late grading (submitted before the deadline, graded after) still counts: the request time
  decides.
- Candidates have no account, so audit entries have no actor: their label names the candidate.
- One run or submission per token at a time (a cache guard, 429 while one is going on): grading
  is the expensive part, and N parallel submissions must not all grade past ``maxSubmissions``.
- A submission whose grading met a SANDBOX_ERROR (the runner failed, not the program) is neither
  stored nor counted: 503, try again.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import AuditLog
from accounts.permissions import user_can
from accounts.services import audit_record
from assessments import throttles
from assessments.execution import service
from assessments.execution.base import MAX_CODE_BYTES, canonical_language
from assessments.models import CodeRun, DsaSession, IntegrityEvent, Problem, ProctoringSnapshot, Submission, TestCase
from assessments.services import grading
from interviews.models import Interview, Participant
from interviews.selectors import participant_get_by_token
from interviews.stage_config import DsaConfig, StageType
from talentsync.errors import ApplicationError

logger = logging.getLogger(__name__)

#: the largest primary key a database holds; larger ids name no row
MAX_ROW_ID = 2**63 - 1
#: integrity events: at most this many per request, and this many requests per minute
EVENTS_PER_BATCH = 100
EVENT_BATCHES_PER_MINUTE = 30
#: a client clock may run this far behind: earlier timestamps are clamped to the session start minus it
CLOCK_SKEW = timedelta(minutes=5)
#: snapshots: at most one per this fraction of the configured interval (slow clients catch up)
SNAPSHOT_MIN_GAP_FRACTION = 0.5
SNAPSHOT_FORMATS = {"JPEG", "PNG"}
SNAPSHOT_MAX_PIXELS = 4096 * 4096
OPEN_STATUSES = (Interview.Status.SCHEDULED, Interview.Status.LIVE)
#: how soon to try again after a 429 "busy" (a run of this token is going on) or a 503
BUSY_RETRY_AFTER = 2
RUNNER_RETRY_AFTER = 5


class DsaError(ApplicationError):
    """A refused DSA request; ``status`` is the HTTP status of DESIGN §4.3."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, status: int, code: str, retry_after: int | None = None) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.retry_after = retry_after


def _not_found() -> DsaError:
    return DsaError(_("This assessment link is not valid."), status=404, code="not_found")


def _gone(message: str) -> DsaError:
    return DsaError(message, status=410, code="gone")


def bad_request(message: str) -> DsaError:
    return DsaError(message, status=400, code="bad_request")


@dataclass
class DsaAccess:
    """Who is behind a token link and the assessment they are taking."""

    participant: Participant
    interview: Interview
    session: DsaSession
    config: DsaConfig

    @property
    def throttle_key(self) -> str:
        return f"dsa:{self.participant.pk}"

    @property
    def started(self) -> bool:
        return self.session.started_at is not None


# --- audit --------------------------------------------------------------------------------
def _audit(
    access: DsaAccess, action: str, *, target: Model | None = None, changes: dict[str, Any] | None = None
) -> None:
    entry: AuditLog = audit_record(
        action=action,
        organization=access.interview.organization,
        target=target or access.session,
        changes={"participant": access.participant.pk, **(changes or {})},
    )
    # The candidate has no account: name them, rather than leave "system" as the actor.
    candidate = access.participant.candidate
    entry.actor_label = f"{candidate.email if candidate else access.participant.display_name} (candidate)"[:254]
    entry.save(update_fields=["actor_label"])


# --- access -------------------------------------------------------------------------------
def _deadline(*, started_at: datetime, participant: Participant, config: DsaConfig) -> datetime:
    return min(started_at + timedelta(minutes=config.timeLimitMinutes), participant.token_expires_at)


def _close(session: DsaSession, *, at: datetime) -> None:
    """Mark the session and its interview finished (idempotent)."""
    if session.finished_at is None:
        session.finished_at = at
        session.save(update_fields=["finished_at", "updated_at"])
    Interview.objects.filter(pk=session.interview_id, status__in=OPEN_STATUSES).update(
        status=Interview.Status.COMPLETED, ended_at=at, updated_at=timezone.now()
    )


def dsa_access_by_token(*, token: str, start: bool = True) -> DsaAccess:
    """The assessment a token link opens, started now if it was not (``start``); refuses otherwise.

    GET requests pass ``start=False``: only a deliberate POST starts the clock.

    404 for a token that names no candidate of a ``technical_dsa`` interview; 410 for a revoked or
    expired link, a cancelled or finished interview, or a session past its deadline.
    """
    participant = participant_get_by_token(token=token)
    if (
        participant is None
        or participant.role != Participant.Role.CANDIDATE
        or participant.interview.stage.stage_type != StageType.TECHNICAL_DSA
    ):
        raise _not_found()
    interview = participant.interview
    now = timezone.now()
    if participant.revoked_at is not None or participant.token_expires_at <= now:
        raise _gone(_("This assessment link has expired."))
    if interview.status == Interview.Status.CANCELLED:
        raise _gone(_("This assessment was cancelled."))
    config = interview.stage.config.dsaConfig
    session = DsaSession.objects.filter(interview=interview).first()
    if session is not None and session.is_over(now):
        if session.finished_at is None:
            with transaction.atomic():
                _close(session, at=session.deadline or now)
        raise _gone(_("This assessment has ended."))
    if interview.status not in OPEN_STATUSES:
        raise _gone(_("This assessment has ended."))
    access = DsaAccess(
        participant=participant,
        interview=interview,
        session=session or DsaSession(interview=interview, participant=participant),
        config=config,
    )
    if start and access.session.started_at is None:
        access.session = _start(access)
    return access


@transaction.atomic
def _start(access: DsaAccess) -> DsaSession:
    interview = Interview.objects.select_for_update().get(pk=access.interview.pk)
    session, _created = DsaSession.objects.get_or_create(
        interview=interview, defaults={"participant": access.participant}
    )
    if session.started_at is None:
        now = timezone.now()
        session.started_at = now
        session.deadline = _deadline(started_at=now, participant=access.participant, config=access.config)
        session.participant = access.participant
        session.full_clean()
        session.save()
        if interview.status == Interview.Status.SCHEDULED:
            interview.status = Interview.Status.LIVE
            interview.started_at = now
            interview.save(update_fields=["status", "started_at", "updated_at"])
        access.interview.status, access.interview.started_at = interview.status, interview.started_at
        access.session = session
        _audit(access, "dsa.start", changes={"deadline": session.deadline.isoformat()})
    return session


def dsa_start(*, access: DsaAccess) -> DsaSession:
    """Start the clock (the page's start button); starting a started session changes nothing."""
    _check_open(access)
    dsa_problem_get(access=access)  # 409 without a problem: no clock for an assessment not ready
    if not access.started:
        access.session = _start(access)
    return access.session


def dsa_problems(*, access: DsaAccess) -> list[Problem]:
    """The assessment's problems in ``dsaConfig.problems`` order (only the organization's own)."""
    ids = [pk for pk in access.config.problems if 0 < pk <= MAX_ROW_ID]
    found = {p.pk: p for p in Problem.objects.filter(organization=access.interview.organization, pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def dsa_problem_get(*, access: DsaAccess, problem_id: Any = None) -> Problem:
    """The problem a request names (``problemId``), by default the first one of the assessment."""
    problems = dsa_problems(access=access)
    if not problems:
        raise DsaError(_("This assessment has no problem yet. Contact the recruiter."), status=409, code="no_problem")
    if problem_id is None:
        return problems[0]
    if not isinstance(problem_id, int) or isinstance(problem_id, bool):
        raise bad_request(_("problemId must be the id of one of this assessment's problems."))
    for problem in problems:
        if problem.pk == problem_id:
            return problem
    raise bad_request(_("problemId must be the id of one of this assessment's problems."))


def submissions_left(*, access: DsaAccess) -> int:
    if access.session.pk is None:
        return access.config.maxSubmissions
    return max(0, access.config.maxSubmissions - access.session.submissions.count())


def _limit_reached(access: DsaAccess) -> DsaError:
    return DsaError(
        _("You have used all %(n)s submissions of this assessment.") % {"n": access.config.maxSubmissions},
        status=409,
        code="submission_limit",
    )


# --- requests -----------------------------------------------------------------------------
def parse_json(body: bytes) -> Any:
    """A request body parsed as JSON, or 400."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: deep nesting ("[[[[…") exhausts the parser's stack; it is no ValueError
        raise bad_request(_("The body is not valid JSON.")) from None


@dataclass(frozen=True)
class CodeBody:
    language: str
    code: str
    problem_id: int | None
    case_ids: list[int] | None


def parse_code_body(*, body: bytes, allowed_languages: list[str], allow_case_ids: bool) -> CodeBody:
    """Check a ``/run`` or ``/submit`` JSON body: 400 for a bad body or language, 413 for big code."""
    if len(body) > 4 * MAX_CODE_BYTES + 4096:  # JSON escapes at most quadruple the code
        raise DsaError(_("The code is larger than 64 KiB."), status=413, code="too_large")
    data = parse_json(body)
    if not isinstance(data, dict):
        raise bad_request(_('The body must be a JSON object like {"language": "python", "code": "..."}.'))
    language, code = data.get("language"), data.get("code")
    if not isinstance(code, str):
        raise bad_request(_('"code" must be a string.'))
    if len(code.encode("utf-8", errors="surrogatepass")) > MAX_CODE_BYTES:
        raise DsaError(_("The code is larger than 64 KiB."), status=413, code="too_large")
    if "\x00" in code:
        raise bad_request(_('"code" must not contain NUL characters.'))
    if not isinstance(language, str):
        raise bad_request(_('"language" must be a string, e.g. "python".'))
    canonical = canonical_language(language)
    if canonical is None:
        raise bad_request(_("Unknown language %(language)r.") % {"language": language[:40]})
    if canonical not in allowed_languages:
        raise bad_request(
            _("%(language)s is not allowed in this assessment (allowed: %(allowed)s).")
            % {"language": canonical, "allowed": ", ".join(allowed_languages)}
        )
    problem_id = data.get("problemId")
    if problem_id is not None and (not isinstance(problem_id, int) or isinstance(problem_id, bool)):
        raise bad_request(_("problemId must be the id of one of this assessment's problems."))
    case_ids = data.get("testCaseIds")
    if case_ids is not None:
        if not allow_case_ids:
            raise bad_request(_("A submission runs every test case: testCaseIds is not accepted."))
        if (
            not isinstance(case_ids, list)
            or not case_ids
            or len(case_ids) > 200
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in case_ids)
        ):
            raise bad_request(_("testCaseIds must be a non-empty list of visible test case ids."))
    return CodeBody(language=canonical, code=code, problem_id=problem_id, case_ids=case_ids)


def _check_open(access: DsaAccess) -> None:
    now = timezone.now()
    if access.session.is_over(now):
        raise _gone(_("This assessment has ended."))


def _throttle(access: DsaAccess) -> None:
    try:
        service.throttle_check(key=access.throttle_key, organization_id=access.interview.organization_id)
    except service.Throttled as exc:
        raise DsaError(
            _("Too many runs. Try again in %(n)s seconds.") % {"n": exc.retry_after},
            status=429,
            code="throttled",
            retry_after=max(1, int(exc.retry_after)),
        ) from None


@contextmanager
def _one_at_a_time(access: DsaAccess, *, seconds: int) -> Iterator[None]:
    """Hold the token's "busy" guard for the block, or refuse with 429 if a run holds it already.

    ``seconds`` bounds the grading: the guard expires by itself if this process dies meanwhile.
    """
    key = f"dsa-busy:{access.participant.pk}"
    mine = uuid.uuid4().hex
    if not cache.add(key, mine, timeout=seconds):
        raise DsaError(
            _("A run is already in progress for this assessment. Wait for its results, then try again."),
            status=429,
            code="busy",
            retry_after=BUSY_RETRY_AFTER,
        )
    try:
        yield
    finally:
        if cache.get(key) == mine:  # past its timeout, the guard may be another run's by now
            cache.delete(key)


def _visible_cases(problem: Problem, case_ids: list[int] | None) -> list[TestCase]:
    cases = grading.selected_cases(problem=problem, include_hidden=False)
    if case_ids is None:
        return cases
    by_id = {c.pk: c for c in cases}
    if any(i not in by_id for i in case_ids):
        raise bad_request(_("testCaseIds may name only visible test cases of this problem."))
    wanted = set(case_ids)
    return [c for c in cases if c.pk in wanted]


def dsa_run(*, access: DsaAccess, body: CodeBody) -> grading.CandidateAnswer:
    """Grade code against the problem's visible cases (``/run``); kept as a code run for history."""
    _check_open(access)
    problem = dsa_problem_get(access=access, problem_id=body.problem_id)
    cases = _visible_cases(problem, body.case_ids)
    with _one_at_a_time(access, seconds=grading.budget_seconds(problem=problem, cases=len(cases))):
        _throttle(access)
        outcome = grading.grade(
            problem=problem,
            language=body.language,
            code=body.code,
            include_hidden=False,
            priority=service.Priority.DEFAULT,
            cases=cases,
        )
    with transaction.atomic():
        run = CodeRun.objects.create(
            interview=access.interview,
            participant=access.participant,
            problem=problem,
            source=CodeRun.Source.DSA_RUN,
            language=body.language,
            code=body.code,
            verdict="COMPILE_ERROR"
            if not outcome.compile_ok
            else ("OK" if outcome.passed == outcome.total else "FAIL"),
            stderr=outcome.compile_stderr,
            passed=outcome.passed,
            total=outcome.total,
            results=[r.as_json() for r in outcome.results],
        )
        _audit(access, "dsa.run", target=run, changes={"problem": problem.pk, "language": body.language})
    return grading.redact_for_candidate(outcome)


def dsa_submit(*, access: DsaAccess, body: CodeBody) -> tuple[Submission, grading.CandidateAnswer]:
    """Grade code against every case of the problem (``/submit``) and store the submission.

    The token's busy guard lets one grading run at a time, and the budget is checked again under
    the interview's row lock before grading (and once more before storing), so parallel requests
    cannot grade past ``maxSubmissions``. The score goes to the submission and to
    ``Interview.stage_data["dsaSubmissions"]`` under that lock, so two submissions cannot lose
    each other's entry. A grading the runner failed is not stored: 503.
    """
    _check_open(access)
    problem = dsa_problem_get(access=access, problem_id=body.problem_id)
    if submissions_left(access=access) <= 0:
        raise _limit_reached(access)
    cases = grading.selected_cases(problem=problem, include_hidden=True)
    with _one_at_a_time(access, seconds=grading.budget_seconds(problem=problem, cases=len(cases))):
        with transaction.atomic():
            Interview.objects.select_for_update().get(pk=access.interview.pk)
            if DsaSession.objects.get(pk=access.session.pk).submissions.count() >= access.config.maxSubmissions:
                raise _limit_reached(access)
        _throttle(access)
        outcome = grading.grade(
            problem=problem,
            language=body.language,
            code=body.code,
            include_hidden=True,
            priority=service.Priority.DEFAULT,
            cases=cases,
        )
        if outcome.sandbox_failed:
            # Not the candidate's fault: charging a submission for it would be unfair. (The run
            # throttle above did count, which bounds retries of a program that tries to cause it.)
            logger.warning("DSA submission of session %s not stored: the runner failed", access.session.pk)
            raise DsaError(
                _("The code runner is busy; your submission was not counted. Try again."),
                status=503,
                code="runner_busy",
                retry_after=RUNNER_RETRY_AFTER,
            )
        return _submission_store(access=access, problem=problem, body=body, outcome=outcome)


def _submission_store(
    *, access: DsaAccess, problem: Problem, body: CodeBody, outcome: grading.Grade
) -> tuple[Submission, grading.CandidateAnswer]:
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=access.interview.pk)
        session = DsaSession.objects.get(pk=access.session.pk)
        if session.submissions.count() >= access.config.maxSubmissions:
            raise _limit_reached(access)
        submission = Submission(
            session=session,
            problem=problem,
            language=body.language,
            code=body.code,
            compile_ok=outcome.compile_ok,
            compile_stderr=outcome.compile_stderr,
            results=[r.as_json() for r in outcome.results],
            passed=outcome.passed,
            total=outcome.total,
            score=outcome.score,
        )
        submission.full_clean()
        submission.save()
        data = dict(interview.stage_data or {})
        entries = list(data.get("dsaSubmissions") or [])
        entries.append(
            {
                "submissionId": submission.pk,
                "problemId": problem.pk,
                "language": body.language,
                "score": submission.score,
                "passed": submission.passed,
                "total": submission.total,
                "submittedAt": submission.created_at.isoformat(),
            }
        )
        data["dsaSubmissions"] = entries
        interview.stage_data = data
        interview.save(update_fields=["stage_data", "updated_at"])
        _audit(access, "dsa.submit", target=submission, changes={"problem": problem.pk, "language": body.language})
        transaction.on_commit(lambda: _enqueue_plagiarism(submission.pk))
    return submission, grading.redact_for_candidate(outcome)


def _enqueue_plagiarism(submission_id: int) -> None:
    from assessments.tasks import submission_plagiarism_check_task

    try:
        submission_plagiarism_check_task.apply_async(args=(submission_id,), queue="batch")
    except Exception:  # the submission is stored; a broker outage must not fail the candidate
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.exception("could not enqueue the plagiarism check of submission %s", submission_id)


@transaction.atomic
def dsa_finish(*, access: DsaAccess) -> DsaSession:
    """End the session now, at the candidate's request."""
    _check_open(access)
    session = DsaSession.objects.select_for_update().get(pk=access.session.pk)
    _close(session, at=timezone.now())
    access.session = session
    _audit(access, "dsa.finish")
    return session


def dsa_consent(*, access: DsaAccess) -> None:
    """Record that the candidate accepted the proctoring notice."""
    _check_open(access)
    if not access.config.proctoringEnabled:
        raise DsaError(_("This assessment is not proctored."), status=409, code="not_proctored")
    _audit(access, "dsa.proctoring_consent")


# --- proctoring -----------------------------------------------------------------------------
def snapshot_store(*, access: DsaAccess, data: bytes) -> ProctoringSnapshot:
    """Validate an uploaded webcam frame (a real JPEG or PNG, not too big) and keep it privately."""
    from PIL import Image, UnidentifiedImageError

    _check_open(access)
    if not access.config.proctoringEnabled:
        raise DsaError(_("This assessment is not proctored."), status=409, code="not_proctored")
    if not data:
        raise bad_request(_("The snapshot is empty."))
    if len(data) > ProctoringSnapshot.MAX_BYTES:
        raise DsaError(
            _("The snapshot is larger than %(n)s KiB.") % {"n": ProctoringSnapshot.MAX_BYTES // 1024},
            status=413,
            code="too_large",
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            width, height = image.size
            if image_format not in SNAPSHOT_FORMATS or width * height > SNAPSHOT_MAX_PIXELS:
                raise bad_request(_("The snapshot must be a JPEG or PNG image."))
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise bad_request(_("The snapshot must be a JPEG or PNG image.")) from None
    gap = max(1, int(settings.DSA_SNAPSHOT_INTERVAL_SECONDS * SNAPSHOT_MIN_GAP_FRACTION))
    if not cache.add(f"dsa-snapshot:{access.session.pk}", 1, timeout=gap):
        raise DsaError(
            _("Snapshots are taken every %(n)s seconds.") % {"n": settings.DSA_SNAPSHOT_INTERVAL_SECONDS},
            status=429,
            code="throttled",
            retry_after=gap,
        )
    extension = "png" if image_format == "PNG" else "jpg"
    with transaction.atomic():
        snapshot = ProctoringSnapshot(session=access.session, size=len(data), taken_at=timezone.now())
        snapshot.image.save(f"snapshot.{extension}", ContentFile(data), save=False)
        snapshot.save()
        _audit(access, "dsa.snapshot", target=snapshot, changes={"bytes": len(data)})
    return snapshot


def _event_time(value: Any, *, received: datetime, floor: datetime) -> datetime:
    """A client timestamp (ISO 8601 or epoch milliseconds), clamped to [floor, received]."""
    when: datetime | None = None
    if isinstance(value, bool):
        when = None
    elif isinstance(value, int | float):
        try:
            when = datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            when = None
    elif isinstance(value, str) and len(value) <= 40:
        try:
            when = parse_datetime(value)
        except ValueError:
            when = None
        if when is not None and timezone.is_naive(when):
            when = timezone.make_aware(when, UTC)
    if when is None:
        return received
    if when > received:  # a clock running ahead (or a made-up future): the receive time
        return received
    return max(when, floor - CLOCK_SKEW)


def integrity_record(*, access: DsaAccess, events: Any) -> list[IntegrityEvent]:
    """Store a batch of integrity events the page saw; timestamps are the client's, clamped."""
    _check_open(access)
    if not isinstance(events, list) or not events:
        raise bad_request(_('The body must be {"events": [{"kind": "...", "at": "..."}]}.'))
    if len(events) > EVENTS_PER_BATCH:
        raise bad_request(_("Send at most %(n)s events at a time.") % {"n": EVENTS_PER_BATCH})
    retry_after = throttles.rate_hit(
        scope="dsa-events", key=str(access.participant.pk), rate=throttles.Rate(EVENT_BATCHES_PER_MINUTE, 60)
    )
    if retry_after is not None:
        raise DsaError(_("Too many event reports."), status=429, code="throttled", retry_after=retry_after)
    kinds = set(IntegrityEvent.Kind.values)
    received = timezone.now()
    floor = access.session.started_at or received
    rows: list[IntegrityEvent] = []
    for item in events:
        if not isinstance(item, dict) or item.get("kind") not in kinds:
            raise bad_request(_("Unknown event kind; known: %(kinds)s.") % {"kinds": ", ".join(sorted(kinds))})
        detail: dict[str, Any] = {}
        if item["kind"] == IntegrityEvent.Kind.PASTE:
            length = item.get("length")
            if not isinstance(length, int) or isinstance(length, bool) or not 0 <= length <= 10_000_000:
                raise bad_request(_("A paste event carries its length (a number of characters), nothing else."))
            detail["length"] = length
        rows.append(
            IntegrityEvent(
                interview=access.interview,
                participant=access.participant,
                kind=item["kind"],
                detail=detail,
                occurred_at=_event_time(item.get("at"), received=received, floor=floor),
            )
        )
    with transaction.atomic():
        created = IntegrityEvent.objects.bulk_create(rows)
        _audit(access, "dsa.integrity_events", changes={"events": len(created)})
    return created


# --- recruiters -----------------------------------------------------------------------------
def can_view_dsa(user: Any, interview: Interview) -> bool:
    """Who may see an assessment's results, snapshots and integrity events: admins and recruiters
    of the interview's organization (``assessments.view_dsasession``), or whoever may see the
    interview itself (an object grant on it)."""
    return user_can(user, "assessments.view_dsasession", organization=interview.organization) or user_can(
        user, "interviews.view_interview", interview
    )


def dsa_sessions_close_expired(*, now: datetime | None = None) -> int:
    """Close the sessions whose deadline passed without the candidate coming back (periodic)."""
    now = now or timezone.now()
    count = 0
    for session in DsaSession.objects.filter(finished_at__isnull=True, deadline__lte=now).select_related("interview"):
        with transaction.atomic():
            _close(session, at=session.deadline or now)
        count += 1
    return count
