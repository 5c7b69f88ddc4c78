"""PDF reports (candidate, hiring funnel) rendered by real WeasyPrint and read back with poppler."""

from __future__ import annotations

import http.server
import io
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, cast

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Organization, User
from assessments.factories import ProblemFactory
from assessments.models import CodeRun, DsaSession, IntegrityEvent, Submission
from interviews.factories import CandidateFactory, InterviewFactory, ParticipantFactory, ScorecardFactory, StageFactory
from interviews.models import Candidate, Interview, Participant, Scorecard
from recordings.factories import InsightFactory, MediaSettingsFactory
from reporting.pdf.candidate import candidate_pdf
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db

# page 1 of each report, kept to look at
CANDIDATE_PNG = Path(tempfile.gettempdir()) / "r3-candidate.png"
FUNNEL_PNG = Path(tempfile.gettempdir()) / "r3-funnel.png"


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def pdf_pages(pdf: bytes) -> int:
    result = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    line = next(x for x in result.stdout.decode().splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def first_page_png(pdf: bytes, target: Path) -> Path:
    """Page 1 as a PNG (pdftoppm), kept at ``target`` to look at."""
    stem = target.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", "-", str(stem)], input=pdf, check=True
    )
    return target


def png_logo(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def candidate_with_history(
    organization: Organization, interviewer: User, *, name: str = "Ada Lovelace", events: int = 3
) -> Candidate:
    """A candidate with two interviews, scorecards with comments, a coding assessment and integrity events."""
    candidate = cast(
        Candidate, CandidateFactory(organization=organization, full_name=name, position__title="Backend engineer")
    )
    pipeline = candidate.position.pipeline  # type: ignore[union-attr]
    screen = StageFactory(
        pipeline=pipeline, order=1, name="Phone screen", stage_type="phone_screen", criteria=["Communication"]
    )
    coding = StageFactory(pipeline=pipeline, order=2, name="Async coding", stage_type="technical_dsa")
    candidate.current_stage = coding
    candidate.save(update_fields=["current_stage"])
    started = timezone.now() - timedelta(days=3)
    first = cast(
        Interview,
        InterviewFactory(
            organization=organization, candidate=candidate, stage=screen, scheduled_at=started, status="completed"
        ),
    )
    second = cast(
        Interview,
        InterviewFactory(
            organization=organization,
            candidate=candidate,
            stage=coding,
            scheduled_at=started + timedelta(days=1),
            status="completed",
        ),
    )
    ScorecardFactory(
        interview=first,
        author=interviewer,
        ratings={"Communication": 4},
        recommendation="strong_yes",
        comments="Explains trade-offs clearly.",
    )
    ScorecardFactory(
        interview=second,
        author=interviewer,
        ratings={"Problem solving": 3, "Communication": 2},
        recommendation="yes",
        comments="Solved the heap variant after a hint.",
    )
    ScorecardFactory(
        interview=second,
        author=cast(User, ParticipantFactory(interview=second).user),
        comments="DRAFT-NOT-SUBMITTED",
        submitted_at=None,
    )
    seat = cast(
        Participant,
        ParticipantFactory(interview=second, user=None, candidate=candidate, role=Participant.Role.CANDIDATE),
    )
    problem = ProblemFactory(organization=organization, title="Meeting rooms")
    session = DsaSession.objects.create(
        interview=second,
        participant=seat,
        started_at=second.scheduled_at,
        finished_at=second.scheduled_at + timedelta(minutes=42),
    )
    for passed, minute in ((2, 20), (4, 35), (3, 40)):
        Submission.objects.create(
            session=session,
            problem=problem,
            language="python",
            code="print(3)",
            passed=passed,
            total=4,
            score=passed * 25.0,
            created_at=second.scheduled_at + timedelta(minutes=minute),
        )
    for minute in range(5):
        CodeRun.objects.create(
            interview=second,
            participant=seat,
            problem=problem,
            source=CodeRun.Source.DSA_RUN,
            language="python",
            code="print(3)",
            verdict="accepted",
            created_at=second.scheduled_at + timedelta(minutes=minute * 3),
        )
    kinds = [IntegrityEvent.Kind.TAB_HIDDEN, IntegrityEvent.Kind.PASTE, IntegrityEvent.Kind.WINDOW_BLUR]
    for n in range(events):
        IntegrityEvent.objects.create(
            interview=second,
            participant=seat,
            kind=kinds[n % 3],
            detail={"length": 120} if kinds[n % 3] == "paste" else {},
            occurred_at=second.scheduled_at + timedelta(minutes=10 + n),
        )
    return candidate


def with_summary(candidate: Candidate, text: str = "Chose a min-heap of end times and explained why.") -> None:
    interview = candidate.interviews.order_by("scheduled_at").last()
    InsightFactory(
        interview=interview,
        payload={"label": "AI-generated", "highlights": [{"text": text, "cites": []}], "questions": []},
    )


# --- candidate report -----------------------------------------------------------------------
def test_candidate_report_holds_scorecards_assessment_and_integrity_events(
    acme: Tenant, settings: Any, tmp_path: Path
) -> None:
    # given: a branded organization with a logo, AI on and a summary
    settings.MEDIA_ROOT = tmp_path
    acme.org.primary_color = "#b91c1c"
    acme.org.logo.save("logo.png", ContentFile(png_logo()), save=True)
    MediaSettingsFactory(organization=acme.org, ai_enabled=True)
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])
    with_summary(candidate)

    # when
    pdf = candidate_pdf(candidate)

    # then
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Ada Lovelace" in text
    assert "Backend engineer" in text
    assert "Explains trade-offs clearly." in text
    assert "Solved the heap variant after a hint." in text
    assert "DRAFT-NOT-SUBMITTED" not in text
    assert "Strong yes" in text
    assert "Meeting rooms" in text
    assert "4/4" in text  # the best submission
    assert "42 min" in text
    assert "Tab hidden" in text
    assert "Paste" in text
    assert "Window lost focus" in text
    assert "AI-generated" in text
    assert "Chose a min-heap of end times" in text
    assert "Position mean" in text
    assert "Overall rating (1–4)" in text
    assert "Page 1 of" in text
    assert "Confidential — Acme" in text
    first_page_png(pdf, CANDIDATE_PNG)
    assert CANDIDATE_PNG.stat().st_size > 10_000


def test_the_assessment_table_has_a_row_per_problem_with_the_dashboards_best_submission(acme: Tenant) -> None:
    # given: one assessment of three problems (the stage sets two, the candidate also submitted a
    # third); on "Intervals" two submissions tie on the best score, the earlier in Java
    from reporting.pdf.candidate import candidate_report_build

    candidate = candidate_with_history(acme.org, acme.users["interviewer"])
    session = DsaSession.objects.get(interview__candidate=candidate)
    intervals, unused, extra = (
        ProblemFactory(organization=acme.org, title=t) for t in ("Intervals", "Unused", "Extra")
    )
    stage = session.interview.stage
    stage.dsa_config = {**stage.dsa_config, "problems": [intervals.pk, unused.pk]}  # type: ignore[union-attr]
    stage.save()  # type: ignore[union-attr]
    start = session.started_at
    assert start is not None
    for problem, language, passed, minute in (
        (intervals, "python", 1, 5),
        (intervals, "java", 3, 10),
        (intervals, "python", 3, 20),
        (extra, "go", 2, 30),
    ):
        Submission.objects.create(
            session=session,
            problem=problem,
            language=language,
            code="x",
            passed=passed,
            total=3,
            score=round(100 * passed / 3, 2),
            created_at=start + timedelta(minutes=minute),
        )
    seat = session.participant
    interviewer = ParticipantFactory(interview=session.interview, role=Participant.Role.INTERVIEWER)
    for participant in (seat, seat, interviewer):  # the interviewer's run is not the candidate's
        CodeRun.objects.create(
            interview=session.interview,
            participant=participant,
            problem=intervals,
            source=CodeRun.Source.DSA_RUN,
            language="python",
            code="x",
            verdict="accepted",
        )

    # when
    report = candidate_report_build(candidate)
    text = pdf_text(candidate_pdf(candidate))

    # then: the stage's problems in its order, then the others submitted
    rows = {row.problem: row for row in report.assessments}
    assert [row.problem for row in report.assessments] == ["Intervals", "Unused", "Extra", "Meeting rooms"]
    assert [row.first for row in report.assessments] == [True, False, False, False]
    best = rows["Intervals"]
    assert (best.language, best.passed, best.total, best.submissions, best.runs) == ("java", 3, 3, 3, 2)
    assert (rows["Unused"].total, rows["Unused"].submissions) == (None, 0)
    assert (rows["Extra"].language, rows["Extra"].passed, rows["Extra"].runs) == ("go", 2, 0)
    assert (rows["Meeting rooms"].passed, rows["Meeting rooms"].runs) == (4, 5)
    assert "not submitted" in text
    assert "Candidate's" in text
    assert "the earliest of equal scores" in " ".join(text.split())


def test_candidate_report_leaves_the_ai_summary_out_when_ai_is_off(acme: Tenant) -> None:
    # given
    MediaSettingsFactory(organization=acme.org, ai_enabled=False)
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])
    with_summary(candidate, text="SUMMARY-WHILE-AI-OFF")

    # when
    text = pdf_text(candidate_pdf(candidate))

    # then
    assert "AI-generated" not in text
    assert "SUMMARY-WHILE-AI-OFF" not in text
    assert "Explains trade-offs clearly." in text


def test_candidate_report_without_a_summary_has_no_ai_section(acme: Tenant) -> None:
    # given: AI on, but nothing analysed
    MediaSettingsFactory(organization=acme.org, ai_enabled=True)
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])

    # when
    text = pdf_text(candidate_pdf(candidate))

    # then
    assert "AI-generated" not in text


def test_candidate_report_paginates_a_long_history_with_running_headers(acme: Tenant) -> None:
    # given: enough integrity events to fill several pages
    candidate = candidate_with_history(acme.org, acme.users["interviewer"], name="Grace Hopper", events=150)

    # when
    pdf = candidate_pdf(candidate)

    # then
    pages = pdf_pages(pdf)
    assert pages >= 3
    text = pdf_text(pdf)
    assert f"Page {pages} of {pages}" in text
    assert text.count("Candidate report · Grace Hopper") == pages


def test_candidate_report_text_cannot_reach_the_network_or_files(acme: Tenant) -> None:
    # given: a comment that smuggles markup pointing at a file and a URL
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])
    card = Scorecard.objects.get(interview__candidate=candidate, comments="Explains trade-offs clearly.")
    card.comments = '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
    card.save(update_fields=["comments"])

    # when
    text = pdf_text(candidate_pdf(candidate))

    # then: the markup is printed as text, not fetched
    assert '<img src="file:///etc/passwd">' in text.replace("\n", "")


class _Hits(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a PNG, and remembers the paths asked for."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        body = png_logo((30, 200, 30))
        self.send_response(200)
        self.send_header("Content-Type", "text/css" if self.path.endswith(".css") else "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1: its base URL and the paths it was asked for."""
    _Hits.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Hits.hits
    server.shutdown()
    server.server_close()


def pdf_image_count(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "images.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, check=True, text=True).stdout
    return len(listing.splitlines()[2:])  # two header lines, then one line per image


def test_the_renderer_fetches_no_file_and_no_url_even_from_trusted_markup(
    acme: Tenant, http_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    # given: markup a template marks safe (so it reaches WeasyPrint as HTML) pointing at a real
    # image file on disk and at a real local HTTP server that would answer with an image
    from django.utils.safestring import mark_safe

    from reporting.pdf import render_pdf

    base, hits = http_server
    image = tmp_path / "secret.png"
    image.write_bytes(png_logo())
    markup = mark_safe(  # noqa: S308 - the point of the test
        f'<img src="file://{image}"><img src="file:///etc/hostname">'
        f'<img src="{base}/x.png"><link rel="stylesheet" href="{base}/x.css">'
        f'<span style="background: url({base}/bg.png)">styled</span>'
    )

    # when
    pdf = render_pdf(
        template="reporting/pdf/dashboard.html",
        context={"title": "Probe", "subject": markup, "summary": [], "charts": [], "tables": []},
        organization=acme.org,
    )

    # then: the render succeeds, nothing was requested and no image made it into the PDF
    assert pdf.startswith(b"%PDF-")
    assert "Probe" in pdf_text(pdf)
    assert hits == []
    assert pdf_image_count(pdf, tmp_path) == 0


def candidate_with_volume(organization: Organization, interviewer: User, n: int) -> Candidate:
    """A candidate with ``n`` coding interviews, each with a scorecard, an assessment of two
    problems, submissions, runs, an integrity event and an AI summary."""
    candidate = cast(Candidate, CandidateFactory(organization=organization, full_name=f"Volume {n}"))
    pipeline = candidate.position.pipeline  # type: ignore[union-attr]
    stage = StageFactory(pipeline=pipeline, order=1, stage_type="technical_dsa")
    problems = [ProblemFactory(organization=organization) for _ in range(2)]
    at = timezone.now() - timedelta(days=n + 1)
    for i in range(n):
        interview = cast(
            Interview,
            InterviewFactory(
                organization=organization,
                candidate=candidate,
                stage=stage,
                scheduled_at=at + timedelta(days=i),
                status="completed",
            ),
        )
        ScorecardFactory(interview=interview, author=interviewer, ratings={"Problem solving": 3})
        seat = cast(
            Participant,
            ParticipantFactory(interview=interview, user=None, candidate=candidate, role=Participant.Role.CANDIDATE),
        )
        session = DsaSession.objects.create(interview=interview, participant=seat, started_at=interview.scheduled_at)
        for problem in problems:
            Submission.objects.create(
                session=session, problem=problem, language="python", code="x", passed=1, total=2, score=50.0
            )
            CodeRun.objects.create(
                interview=interview,
                participant=seat,
                problem=problem,
                source=CodeRun.Source.DSA_RUN,
                language="python",
                code="x",
                verdict="accepted",
            )
        IntegrityEvent.objects.create(interview=interview, participant=seat, kind=IntegrityEvent.Kind.PASTE)
        InsightFactory(
            interview=interview,
            payload={"label": "AI-generated", "highlights": [{"text": f"Point {i}", "cites": []}], "questions": []},
        )
    return candidate


def test_candidate_report_is_queried_a_fixed_number_of_times(acme: Tenant, django_assert_max_num_queries: Any) -> None:
    # given: AI on, and two candidates, one with ten times the interviews, scorecards, sessions,
    # submissions, runs, integrity events and AI summaries of the other
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reporting.pdf.candidate import candidate_report_build

    MediaSettingsFactory(organization=acme.org, ai_enabled=True)
    small = candidate_with_volume(acme.org, acme.users["interviewer"], 3)
    large = candidate_with_volume(acme.org, acme.users["interviewer"], 30)
    with CaptureQueriesContext(connection) as small_queries:
        few = candidate_report_build(small)

    # when / then
    with django_assert_max_num_queries(len(small_queries)):
        many = candidate_report_build(large)
    assert (len(few.interviews), len(many.interviews)) == (3, 30)
    assert (len(few.scorecards), len(many.scorecards)) == (3, 30)
    assert (len(few.assessments), len(many.assessments)) == (6, 60)
    assert (len(few.integrity), len(many.integrity)) == (3, 30)
    assert (len(few.ai_summaries), len(many.ai_summaries)) == (3, 30)


# --- download views -------------------------------------------------------------------------
def test_recruiter_downloads_a_candidate_pdf_directly(acme: Tenant) -> None:
    # given
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])

    # when
    response = acme.client("recruiter").get(reverse("reporting_candidate_pdf", args=[candidate.pk]))

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"].startswith("private")
    assert "Ada Lovelace" in pdf_text(
        b"".join(response.streaming_content if response.streaming else [response.content])
    )


@pytest.mark.parametrize("role", ["interviewer", "candidate"])
def test_candidate_pdf_is_refused_outside_the_back_office(acme: Tenant, role: str) -> None:
    # given
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])

    # when
    response = acme.client(role).get(reverse("reporting_candidate_pdf", args=[candidate.pk]))

    # then
    assert response.status_code == 403


def test_candidate_pdf_of_another_organization_is_not_found(acme: Tenant, globex: Tenant) -> None:
    # given
    candidate = candidate_with_history(globex.org, globex.users["interviewer"])

    # when
    response = acme.client("admin").get(reverse("reporting_candidate_pdf", args=[candidate.pk]))

    # then
    assert response.status_code == 404


def test_candidate_pdf_sends_anonymous_visitors_to_log_in(acme: Tenant, client: Any) -> None:
    # given
    candidate = candidate_with_history(acme.org, acme.users["interviewer"])

    # when
    response = client.get(reverse("reporting_candidate_pdf", args=[candidate.pk]))

    # then
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_candidate_pdf_download_is_audited(acme: Tenant) -> None:
    # given
    from accounts.models import AuditLog

    candidate = candidate_with_history(acme.org, acme.users["interviewer"])

    # when
    acme.client("recruiter").get(reverse("reporting_candidate_pdf", args=[candidate.pk]))

    # then
    entry = AuditLog.objects.get(action="report.download")
    assert entry.organization == acme.org
    assert entry.actor == acme.users["recruiter"]
    assert entry.target_repr == "Ada Lovelace"


# --- funnel report --------------------------------------------------------------------------
def test_funnel_report_renders_the_dashboards_summary_and_tables(acme: Tenant) -> None:
    # given: four candidates of one pipeline, all at its coding stage
    from reporting.filters import ReportFilters
    from reporting.pdf.funnel import funnel_pdf

    for n in range(4):
        candidate_with_history(acme.org, acme.users["interviewer"], name=f"Funnel Person {n}", events=0)

    # when
    pdf = funnel_pdf(ReportFilters(organization=acme.org))

    # then
    text = pdf_text(pdf)
    assert "Hiring funnel" in text
    # the headline tiles: 4 candidates, all 4 in process, none hired
    assert re.search(r"(?i)candidates\s+in process\s+hired\s*\n\s*4\s+4\s+0\n", text), text[:600]
    # the stages table: its title, its header, and a row per stage with the candidates reached
    assert "Candidates per stage" in text
    assert re.search(r"Pipeline\s+Stage\s+Reached", text)
    assert re.search(r"Phone screen\s+1\b", text)
    assert re.search(r"Async coding\s+1\b", text)
    assert "Hired" in text
    assert "Page 1 of" in text
    assert "Confidential — Acme" in text
    first_page_png(pdf, FUNNEL_PNG)
    assert FUNNEL_PNG.stat().st_size > 10_000


def test_report_pdf_tools_are_installed() -> None:
    # the tests read PDFs back with poppler: without it they would prove nothing
    assert shutil.which("pdftotext")
    assert shutil.which("pdftoppm")
