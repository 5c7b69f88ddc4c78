"""The recordings back office: pages load, one organization's rows only, settings, play, delete, transcribe."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from celery import _state as celery_state
from celery.signals import before_task_publish
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.models import AuditLog, Role
from interviews.factories import InterviewFactory, ParticipantFactory
from interviews.models import Interview
from recordings import storage
from recordings.factories import (
    InsightFactory,
    RecordingConsentFactory,
    RecordingFactory,
    TranscriptSegmentFactory,
)
from recordings.models import (
    Insight,
    MediaSettings,
    Recording,
    RecordingConsent,
    RecordingSession,
    TranscriptSegment,
)
from talentsync.celery import app as celery_app
from tests.conftest import Tenant
from tests.test_recording_storage import KEY_A

MODELS = [MediaSettings, RecordingConsent, RecordingSession, Recording, TranscriptSegment, Insight]


@dataclass
class Side:
    interview: Interview
    recording: Recording
    segment: TranscriptSegment
    consent: RecordingConsent
    insight: Insight


def side_of(tenant: Tenant, words: str) -> Side:
    interview = InterviewFactory(organization=tenant.org, status=Interview.Status.COMPLETED)
    lead = ParticipantFactory(interview=interview, user=tenant.users[Role.INTERVIEWER])
    recording = RecordingFactory.with_file(
        plain=f"{words} media".encode() * 50,
        session__interview=interview,
        participant=lead,
        speaker_name=f"{words} speaker",
    )
    return Side(
        interview=interview,
        recording=recording,
        segment=TranscriptSegmentFactory(recording=recording, text=f"{words} said something"),
        consent=RecordingConsentFactory(participant=lead),
        insight=InsightFactory(interview=interview, payload={"label": "AI-generated", "highlights": [words]}),
    )


@pytest.fixture
def sides(settings, tmp_path: Path, acme: Tenant, globex: Tenant) -> tuple[Side, Side]:
    settings.RECORDINGS_ROOT = tmp_path / "recordings"
    settings.RECORDING_KEY = KEY_A
    return side_of(acme, "ACME-ONLY"), side_of(globex, "GLOBEX-ONLY")


def changelist(model: type) -> str:
    return reverse(f"admin:recordings_{model._meta.model_name}_changelist")


def change(obj: Any) -> str:
    return reverse(f"admin:recordings_{obj._meta.model_name}_change", args=[obj.pk])


def rows_of(side: Side) -> dict[type, Any]:
    return {
        RecordingConsent: side.consent,
        RecordingSession: side.recording.session,
        Recording: side.recording,
        TranscriptSegment: side.segment,
        Insight: side.insight,
        MediaSettings: MediaSettings.objects.get_or_create(organization=side.interview.organization)[0],
    }


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """Tasks published to a private in-memory broker (as tests/test_invite_emails.py does)."""
    sent: list[dict[str, Any]] = []

    def record(sender: str, body: Any, headers: dict[str, Any], routing_key: str = "", **kwargs: Any) -> None:
        args = body[0] if isinstance(body, tuple | list) else body.get("args")
        sent.append({"task": sender, "args": list(args), "queue": routing_key})

    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf["broker_url"] = "memory://"
    before_task_publish.connect(record, weak=False)
    try:
        yield sent
    finally:
        before_task_publish.disconnect(record)
        celery_app.conf.task_always_eager = saved[0]
        celery_app.conf["broker_url"] = saved[1]
        celery_app.close()
        celery_state._register_app(celery_app)


# --- pages and scoping -------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADMIN, Role.RECRUITER])
def test_every_page_loads_with_only_the_current_organizations_rows(
    acme: Tenant, sides: tuple[Side, Side], role: str
) -> None:
    # given
    ours, theirs = sides
    client = acme.client(role)

    # when
    lists = {model: client.get(changelist(model)) for model in MODELS}
    details = {model: client.get(change(obj)) for model, obj in rows_of(ours).items()}
    foreign = {model: client.get(change(obj)) for model, obj in rows_of(theirs).items()}

    # then
    assert {m: r.status_code for m, r in lists.items()} == dict.fromkeys(MODELS, 200)
    assert {m: r.status_code for m, r in details.items()} == dict.fromkeys(MODELS, 200)
    assert {m: r.status_code for m, r in foreign.items()} == dict.fromkeys(MODELS, 404)
    for response in lists.values():
        assert b"GLOBEX-ONLY" not in response.content
        assert b"Globex" not in response.content
    assert b"ACME-ONLY speaker" in lists[Recording].content
    assert b"ACME-ONLY said something" in lists[TranscriptSegment].content


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.INTERVIEWER, Role.CANDIDATE])
def test_interviewers_and_candidates_never_reach_these_pages(acme: Tenant, sides: tuple[Side, Side], role: str) -> None:
    client = acme.client(role)
    for model in MODELS:
        response = client.get(changelist(model))
        assert response.status_code == 302
        assert response["Location"] == reverse("back_office_denied")


@pytest.mark.django_db
def test_the_transcript_list_searches_the_text(acme: Tenant, sides: tuple[Side, Side]) -> None:
    # given
    ours, _ = sides
    TranscriptSegmentFactory(recording=ours.recording, text="we talked about binary heaps")

    # when
    found = acme.client(Role.RECRUITER).get(changelist(TranscriptSegment), {"q": "heaps"})

    # then
    assert b"binary heaps" in found.content
    assert b"ACME-ONLY said something" not in found.content


@pytest.mark.django_db
def test_evidence_is_read_only(acme: Tenant, sides: tuple[Side, Side]) -> None:
    # given
    ours, _ = sides
    client = acme.client(Role.ADMIN)

    # when
    page = client.get(change(ours.recording))
    post = client.post(change(ours.segment), {"text": "rewritten"})
    add = client.get(reverse("admin:recordings_recording_add"))

    # then
    assert b'name="_save"' not in page.content
    assert post.status_code == 403
    assert add.status_code == 403
    assert TranscriptSegment.objects.get(pk=ours.segment.pk).text == "ACME-ONLY said something"


@pytest.mark.django_db
def test_insights_are_labelled_ai_generated(acme: Tenant, sides: tuple[Side, Side]) -> None:
    ours, _ = sides
    client = acme.client(Role.RECRUITER)
    for page in (client.get(changelist(Insight)), client.get(change(ours.insight))):
        assert "AI-generated" in page.content.decode()
    assert "never a scorecard" in client.get(change(ours.insight)).content.decode()


# --- settings --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_admin_changes_the_settings_and_the_change_is_audited(acme: Tenant, sides: tuple[Side, Side]) -> None:
    # given: the settings row exists from the first visit
    client = acme.client(Role.ADMIN)
    assert client.get(changelist(MediaSettings)).status_code == 200
    found = MediaSettings.objects.get(organization=acme.org)

    # when
    response = client.post(
        change(found), {"retention_days": 30, "transcription_enabled": "on", "ai_enabled": "", "_save": "Save"}
    )

    # then
    assert response.status_code == 302
    found.refresh_from_db()
    assert (found.retention_days, found.transcription_enabled, found.ai_enabled) == (30, True, False)
    audit = AuditLog.objects.get(action="mediasettings.update")
    assert audit.actor == acme.users[Role.ADMIN]
    assert audit.changes == {"retention_days": [90, 30], "ai_enabled": [True, False]}


@pytest.mark.django_db
def test_recruiters_read_the_settings_but_cannot_change_them(acme: Tenant, sides: tuple[Side, Side]) -> None:
    # given
    client = acme.client(Role.RECRUITER)
    client.get(changelist(MediaSettings))
    found = MediaSettings.objects.get(organization=acme.org)

    # when
    page = client.get(change(found))
    post = client.post(change(found), {"retention_days": 1, "transcription_enabled": "on", "ai_enabled": "on"})

    # then
    assert page.status_code == 200
    assert b'name="retention_days"' not in page.content
    assert post.status_code == 403
    assert MediaSettings.objects.get(organization=acme.org).retention_days == 90


# --- play ------------------------------------------------------------------------------------
def signed_urls(content: bytes) -> list[str]:
    return [html.unescape(u) for u in re.findall(r'(/recordings/\d+/media/\?sig=[^"]+)', content.decode())]


@pytest.mark.django_db
def test_a_recording_plays_from_the_admin_through_a_url_signed_for_that_user(
    acme: Tenant, sides: tuple[Side, Side]
) -> None:
    # given
    ours, _ = sides
    recruiter, admin = acme.client(Role.RECRUITER), acme.client(Role.ADMIN)

    # when
    detail = recruiter.get(change(ours.recording))
    listing = recruiter.get(changelist(Recording))

    # then: the page embeds a player; its URL streams for the recruiter and for nobody else
    assert b"<video" in detail.content
    urls = set(signed_urls(detail.content) + signed_urls(listing.content))
    assert len(urls) >= 1
    for url in urls:
        streamed = recruiter.get(url)
        assert streamed.status_code == 200
        assert b"".join(streamed.streaming_content) == b"ACME-ONLY media" * 50
        assert admin.get(url).status_code == 403


# --- actions ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_delete_now_asks_first_then_deletes_files_and_transcripts_and_audits(
    acme: Tenant, sides: tuple[Side, Side], published: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    # given
    ours, theirs = sides
    client = acme.client(Role.RECRUITER)
    selection = {"action": "delete_now", ACTION_CHECKBOX_NAME: [ours.recording.pk, theirs.recording.pk]}

    # when: the action is chosen
    asked = client.post(changelist(Recording), selection)

    # then: a confirmation page, nothing deleted yet
    assert asked.status_code == 200
    assert b"cannot be undone" in asked.content
    assert b"GLOBEX-ONLY" not in asked.content
    assert storage.recording_path(ours.recording).exists()

    # when: confirmed (the file goes once the deletion commits)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(changelist(Recording), {**selection, "confirm": "yes"})

    # then: ours deleted, theirs (another organization's, smuggled into the selection) untouched
    assert done.status_code == 302
    ours.recording.refresh_from_db()
    theirs.recording.refresh_from_db()
    assert ours.recording.deleted_at is not None
    assert not storage.recording_path(ours.recording).exists()
    assert not TranscriptSegment.objects.filter(recording=ours.recording).exists()
    assert theirs.recording.deleted_at is None
    assert storage.recording_path(theirs.recording).exists()
    # the AI analysis, which may have quoted the transcript, is made again without it
    assert published == [{"task": "recordings.analyse_interview", "args": [ours.interview.pk], "queue": "batch"}]
    audit = AuditLog.objects.get(action="recording.delete")
    assert (audit.actor, audit.target_id, audit.changes["reason"]) == (
        acme.users[Role.RECRUITER],
        str(ours.recording.pk),
        "admin",
    )


@pytest.mark.django_db
def test_transcribe_again_queues_the_task_after_commit_and_audits(
    acme: Tenant, sides: tuple[Side, Side], published: list[dict[str, Any]], django_capture_on_commit_callbacks
) -> None:
    # given: a transcript that failed
    ours, theirs = sides
    Recording.objects.filter(pk=ours.recording.pk).update(transcript_status="failed", transcript_error="boom")
    client = acme.client(Role.RECRUITER)

    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            changelist(Recording),
            {"action": "transcribe_again", ACTION_CHECKBOX_NAME: [ours.recording.pk, theirs.recording.pk]},
        )
        queued_before_commit = list(published)
    for callback in callbacks:
        callback()

    # then
    assert response.status_code == 302
    assert queued_before_commit == []
    assert published == [{"task": "recordings.transcribe_recording", "args": [ours.recording.pk], "queue": "batch"}]
    ours.recording.refresh_from_db()
    assert (ours.recording.transcript_status, ours.recording.transcript_error) == ("pending", "")
    audit = AuditLog.objects.get(action="recording.transcribe_again")
    assert audit.changes == {"transcript_status": ["failed", "pending"]}


@pytest.mark.django_db
def test_transcribe_again_refuses_a_deleted_recording(
    acme: Tenant, sides: tuple[Side, Side], published: list[dict[str, Any]], django_capture_on_commit_callbacks
) -> None:
    # given
    ours, _ = sides
    storage.recording_delete(recording=ours.recording)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.client(Role.ADMIN).post(
            changelist(Recording),
            {"action": "transcribe_again", ACTION_CHECKBOX_NAME: [ours.recording.pk]},
            follow=True,
        )

    # then
    assert published == []
    assert "was deleted" in response.content.decode()
    assert not AuditLog.objects.filter(action="recording.transcribe_again").exists()


def test_the_interview_and_its_recordings_link_to_the_replay(acme: Tenant, sides: tuple[Side, Side]) -> None:
    # given a finished interview with a recording
    ours, _theirs = sides
    Interview.objects.filter(pk=ours.interview.pk).update(status=Interview.Status.COMPLETED)
    client = acme.client(Role.RECRUITER)
    replay = reverse("interview_replay", args=[ours.interview.pk])

    # when
    interview_page = client.get(reverse("admin:interviews_interview_change", args=[ours.interview.pk]))
    recording_page = client.get(change(ours.recording))

    # then
    assert interview_page.status_code == recording_page.status_code == 200
    assert f'href="{replay}"' in interview_page.content.decode()
    assert "1 recording" in interview_page.content.decode()
    assert f'href="{replay}"' in recording_page.content.decode()
