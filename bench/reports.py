"""Reports benchmark (issue 9): dashboards and PDF generation for 1,000 candidates and 5,000 interviews.

What it builds, in a throwaway database (a SQLite file in a temporary folder; with
``BENCH_DATABASE_URL`` or ``DATABASE_URL`` set to a PostgreSQL URL, a fresh database
``talentsync_bench_<pid>`` on that server, dropped afterwards): one organization, 12 interviewers,
20 positions in 4 teams on 2 five-stage pipelines, 1,000 candidates spread over six months and
six sources with their stage history, 5,000 interviews (five each) with their interviewer, a
submitted scorecard for each completed one (about 3,400), and one coding assessment per candidate
(two submissions, three runs).

What it times, and prints (median and p95 of ``--repeat`` runs after two warm-ups):

* each dashboard of ``reporting.dashboards.REGISTRY`` that imports, as a recruiter's GET of
  ``/reports/<key>/`` through Django's test client (the whole request: middleware, admin
  wrapper, queries, template) — target under 300 ms;
* the candidate PDF of a candidate with five interviews (data + WeasyPrint) — target under 1.5 s;
* the hiring-funnel PDF of all 1,000 candidates, and one report job end to end (claim, render,
  private file), for information.

The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DASHBOARD_TARGET_MS = 300.0
PDF_TARGET_MS = 1500.0
CANDIDATES = 1000
INTERVIEWS_EACH = 5
SOURCES = ["careers_site", "referral", "linkedin", "agency", "sourced", "other"]


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000


def _time(action: Callable[[], Any], repeat: int) -> tuple[float, float]:
    for _ in range(2):
        action()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return _stats(samples)


def django_setup(folder: Path) -> str:
    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    # a server is only used to create a database of its own; never a SQLite file that is not ours
    database = server if server.startswith(("postgres://", "postgresql://")) else f"sqlite:///{folder}/bench.sqlite3"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="talentsync.settings",
        DEBUG="0",
        SECRET_KEY="bench-" + "k" * 50,
        ALLOWED_HOSTS="testserver,127.0.0.1",
        SITE_URL="http://127.0.0.1",
        DATABASE_URL=database,
        VAR_DIR=str(folder / "var"),
        PRIVATE_MEDIA_ROOT=str(folder / "private"),
        MEDIA_ROOT=str(folder / "media"),
        SECURE_SSL_REDIRECT="0",
        REDIS_URL="",
        CELERY_BROKER_URL="memory://",
        CELERY_TASK_ALWAYS_EAGER="0",
        CACHE_KEY_PREFIX="talentsync-bench-reports",
    )
    import django

    django.setup()
    # WeasyPrint logs every rendering step at INFO: the figures would drown in it
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    from django.db import connection

    if connection.vendor == "postgresql":
        # a database of its own on the shared server: created here, dropped at the end
        connection.settings_dict["TEST"]["NAME"] = f"talentsync_bench_{os.getpid()}"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    return connection.vendor


def django_teardown(vendor: str, original_name: str) -> None:
    from django.db import connection

    if vendor == "postgresql":
        connection.creation.destroy_test_db(original_name, verbosity=0)


def build(rng: random.Random) -> dict[str, Any]:
    """The organization's data, written with bulk inserts (a few seconds)."""
    from django.utils import timezone

    from accounts.models import Membership, Organization, Role, User
    from assessments.models import CodeRun, DsaSession, Problem, Submission
    from interviews.models import (
        Candidate,
        Interview,
        Participant,
        PipelineStage,
        PipelineTemplate,
        Position,
        Scorecard,
        StageMove,
    )

    now = timezone.now()
    org = Organization.objects.create(name="Bench", slug="bench", time_zone="Europe/Berlin")
    recruiter = User.objects.create_user("recruiter@bench.test", "x")
    Membership.objects.create(user=recruiter, organization=org, role=Role.RECRUITER)
    interviewers = [
        User.objects.create_user(f"interviewer{n}@bench.test", "x", full_name=f"Interviewer {n}") for n in range(12)
    ]
    Membership.objects.bulk_create(Membership(user=u, organization=org, role=Role.INTERVIEWER) for u in interviewers)
    kinds = ["phone_screen", "technical_dsa", "technical_live", "system_design", "behavioral"]
    pipelines, stages = [], {}
    for p in range(2):
        pipeline = PipelineTemplate.objects.create(organization=org, name=f"Pipeline {p}")
        pipelines.append(pipeline)
        stages[pipeline.pk] = PipelineStage.objects.bulk_create(
            PipelineStage(
                pipeline=pipeline,
                order=i + 1,
                name=f"Stage {i + 1}",
                stage_type=k,
                criteria=["Problem solving", "Communication"],
                tools_config={"video": True, "editor": True, "whiteboard": True, "chat": True},
            )
            for i, k in enumerate(kinds)
        )
    positions = Position.objects.bulk_create(
        Position(organization=org, title=f"Engineer {n}", team=f"Team {n % 4}", pipeline=pipelines[n % 2])
        for n in range(20)
    )
    problem = Problem.objects.create(organization=org, title="Meeting rooms", slug="meeting-rooms", statement="…")
    candidates = Candidate.objects.bulk_create(
        Candidate(
            organization=org,
            full_name=f"Candidate {n}",
            email=f"c{n}@bench.test",
            source=SOURCES[n % 6],
            position=positions[n % 20],
        )
        for n in range(CANDIDATES)
    )
    moves, interviews, reached = [], [], {}
    for candidate in candidates:
        candidate.created_at = now - timedelta(days=rng.uniform(1, 180))
        pipeline_stages = stages[candidate.position.pipeline_id]  # type: ignore[union-attr]
        depth = rng.choice([1, 1, 2, 2, 3, 3, 4, 5])
        candidate.current_stage = pipeline_stages[depth - 1]
        reached[candidate.pk] = depth
        previous = None
        for i in range(depth):
            moves.append(
                StageMove(
                    candidate=candidate,
                    from_stage=previous,
                    to_stage=pipeline_stages[i],
                    moved_by=recruiter,
                    moved_at=candidate.created_at + timedelta(days=3 * i),
                )
            )
            previous = pipeline_stages[i]
        for i in range(INTERVIEWS_EACH):
            when = candidate.created_at + timedelta(days=2 + 3 * i, hours=rng.randint(8, 17))
            done = when < now and i < depth + 1
            interviews.append(
                Interview(
                    organization=org,
                    candidate=candidate,
                    position=candidate.position,
                    stage=pipeline_stages[i],
                    scheduled_at=when,
                    duration_minutes=60,
                    status="completed" if done else rng.choice(["scheduled", "cancelled", "no_show"]),
                    started_at=when if done else None,
                    ended_at=when + timedelta(minutes=rng.randint(40, 80)) if done else None,
                )
            )
    Candidate.objects.bulk_update(candidates, ["created_at", "current_stage"], batch_size=500)
    StageMove.objects.bulk_create(moves, batch_size=1000)
    Interview.objects.bulk_create(interviews, batch_size=1000)
    expires = now + timedelta(days=365)
    seats, cards, candidate_seats = [], [], []
    for interview in interviews:
        author = rng.choice(interviewers)
        seats.append(
            Participant(
                interview=interview,
                user=author,
                role="interviewer",
                token_hash=uuid.uuid4().hex,
                token_expires_at=expires,
            )
        )
        if interview.status == "completed":
            cards.append(
                Scorecard(
                    interview=interview,
                    author=author,
                    ratings={"Problem solving": rng.randint(1, 4), "Communication": rng.randint(1, 4)},
                    recommendation=rng.choice(["strong_no", "no", "yes", "strong_yes"]),
                    comments="Bench scorecard.",
                    submitted_at=interview.ended_at + timedelta(hours=rng.randint(1, 72)),
                )
            )  # type: ignore[operator]
        if interview.stage.stage_type == "technical_dsa":
            candidate_seats.append(
                Participant(
                    interview=interview,
                    candidate=interview.candidate,
                    role="candidate",
                    token_hash=uuid.uuid4().hex,
                    token_expires_at=expires,
                )
            )
    Participant.objects.bulk_create(seats + candidate_seats, batch_size=1000)
    Scorecard.objects.bulk_create(cards, batch_size=1000)
    sessions = DsaSession.objects.bulk_create(
        DsaSession(
            interview=seat.interview,
            participant=seat,
            started_at=seat.interview.scheduled_at,
            finished_at=seat.interview.scheduled_at + timedelta(minutes=rng.randint(20, 60)),
        )
        for seat in candidate_seats
    )
    Submission.objects.bulk_create(
        (
            Submission(
                session=s,
                problem=problem,
                language="python",
                code="print(1)",
                passed=p,
                total=4,
                score=p * 25.0,
                created_at=s.started_at + timedelta(minutes=10 * (k + 1)),
            )  # type: ignore[operator]
            for s in sessions
            for k, p in enumerate([rng.randint(0, 3), rng.randint(2, 4)])
        ),
        batch_size=1000,
    )
    CodeRun.objects.bulk_create(
        (
            CodeRun(
                interview=s.interview,
                participant=s.participant,
                problem=problem,
                source="dsa_run",
                language="python",
                code="print(1)",
                verdict="accepted",
                passed=rng.randint(0, 2),
                total=2,
                created_at=s.started_at + timedelta(minutes=3 * k),
            )  # type: ignore[operator]
            for s in sessions
            for k in range(3)
        ),
        batch_size=1000,
    )
    return {
        "org": org,
        "recruiter": recruiter,
        "candidates": candidates,
        "interviews": len(interviews),
        "scorecards": len(cards),
        "sessions": len(sessions),
    }


def report(label: str, figures: tuple[float, float], target: float | None) -> bool:
    median, p95 = figures
    verdict = "" if target is None else ("  ok" if median < target else f"  MISSED (target {target:.0f} ms)")
    print(f"  {label:<44} median {median:8.1f} ms   p95 {p95:8.1f} ms{verdict}")
    return target is None or median < target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per row (default 15)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="talentsync-bench-reports-") as name:
        folder = Path(name)
        vendor = django_setup(folder)
        from django.conf import settings

        original = settings.DATABASES["default"]["NAME"]
        try:
            return run(args.repeat, vendor)
        finally:
            django_teardown(vendor, original)


def _print_queries(*, client_for: Any) -> None:
    """BENCH_QUERIES=1: each dashboard's queries with their times, slowest first (for profiling)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(client_for)
    for key in ("funnel", "candidates", "interviewers"):
        client.get(f"/reports/{key}/")
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            client.get(f"/reports/{key}/")
            total = (time.perf_counter() - began) * 1000
        queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
        in_sql = sum(float(q["time"]) for q in queries) * 1000
        print(f"  {key}: {total:.0f} ms, {len(queries)} queries, {in_sql:.0f} ms in SQL")
        for query in queries[:4]:
            print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:160]}")


def run(repeat: int, vendor: str) -> int:
    from django.test import Client
    from django.urls import reverse

    from reporting import services
    from reporting.dashboards import REGISTRY
    from reporting.filters import ReportFilters
    from reporting.pdf.candidate import candidate_pdf
    from reporting.pdf.funnel import funnel_pdf

    began = time.perf_counter()
    data = build(random.Random(9))  # noqa: S311 - seeded test data, not secrets
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a live database has them
    print(
        f"reports: {len(data['candidates'])} candidates, {data['interviews']} interviews,"
        f" {data['scorecards']} scorecards, {data['sessions']} coding assessments on {vendor}"
        f" (built in {time.perf_counter() - began:.1f} s)"
    )
    print(f"  Python {sys.version.split()[0]}, {repeat} timed runs a row after 2 warm-ups")
    if os.environ.get("BENCH_QUERIES"):
        _print_queries(client_for=data["recruiter"])
    client = Client()
    client.force_login(data["recruiter"])
    ok = True
    for key in list(REGISTRY):
        url = reverse("reports_dashboard", args=[key])
        status = client.get(url).status_code
        if status != 200:
            print(f"  dashboard {key:<34} answered {status}: not timed")
            ok = False
            continue
        ok &= report(f"GET {url}", _time(lambda url=url: client.get(url), repeat), DASHBOARD_TARGET_MS)
    candidate = max(data["candidates"][:50], key=lambda c: c.pk)
    ok &= report(
        "candidate PDF (5 interviews)", _time(lambda: candidate_pdf(candidate), max(5, repeat // 2)), PDF_TARGET_MS
    )
    size = len(candidate_pdf(candidate))
    funnel = _time(lambda: funnel_pdf(ReportFilters(organization=data["org"])), max(3, repeat // 5))
    report("hiring-funnel PDF (1,000 candidates)", funnel, None)

    def job() -> None:
        created = services.report_request(
            actor=data["recruiter"], organization=data["org"], kind="candidate", params={"candidate": candidate.pk}
        )
        services.report_job_run(job_id=created.pk)

    report("candidate report job end to end", _time(job, max(3, repeat // 5)), None)
    print(f"  candidate PDF size: {size / 1024:.0f} KiB")
    print("targets met" if ok else "target missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
