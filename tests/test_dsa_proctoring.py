"""Proctoring: webcam snapshot uploads, the recruiters' snapshot view, integrity events, the
recruiters' session page."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from PIL import Image

from assessments.models import DsaSession, IntegrityEvent, ProctoringSnapshot, Submission
from tests.conftest import Tenant
from tests.test_dsa_api import OTHER_TOKEN, Dsa, make_dsa


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format=fmt)
    return buffer.getvalue()


def post_json(client: Client, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def dsa(acme: Tenant, settings: Any) -> Iterator[Dsa]:
    settings.DSA_SNAPSHOT_INTERVAL_SECONDS = 30
    yield make_dsa(acme.org, proctoringEnabled=True)
    for snapshot in ProctoringSnapshot.objects.all():
        snapshot.image.delete(save=False)


# --- uploads ----------------------------------------------------------------------------------
def test_a_raw_jpeg_is_stored_privately(dsa: Dsa, client: Client) -> None:
    # when
    response = client.post(dsa.url("snapshot"), data=image_bytes(), content_type="image/jpeg")
    # then
    assert response.status_code == 200
    snapshot = ProctoringSnapshot.objects.get()
    assert response.json()["snapshotId"] == snapshot.pk
    assert snapshot.session.interview_id == dsa.interview.pk
    stored = Path(snapshot.image.path)
    assert stored.read_bytes() == image_bytes()
    assert stored.is_relative_to(Path(django_settings.STORAGES["private"]["OPTIONS"]["location"]).resolve())
    assert not stored.is_relative_to(Path(django_settings.MEDIA_ROOT).resolve())
    assert snapshot.size == len(image_bytes())


def test_a_multipart_png_is_accepted(dsa: Dsa, client: Client) -> None:
    upload = io.BytesIO(image_bytes("PNG"))
    upload.name = "frame.png"
    response = client.post(dsa.url("snapshot/"), data={"image": upload})
    assert response.status_code == 200
    with ProctoringSnapshot.objects.get().image.open("rb") as stored:
        assert stored.read() == image_bytes("PNG")


@pytest.mark.parametrize(
    "data",
    [b"this is not an image at all", image_bytes("GIF"), image_bytes("JPEG")[:40], b"\xff\xd8\xff" + b"\x00" * 200],
    ids=["text", "gif", "truncated", "fake-magic"],
)
def test_something_that_is_not_a_jpeg_or_png_is_400(dsa: Dsa, client: Client, data: bytes) -> None:
    response = client.post(dsa.url("snapshot"), data=data, content_type="image/jpeg")
    assert response.status_code == 400
    assert "JPEG or PNG" in response.json()["error"]
    assert not ProctoringSnapshot.objects.exists()


def test_a_snapshot_over_the_size_cap_is_413(dsa: Dsa, client: Client) -> None:
    big = image_bytes() + b"\x00" * ProctoringSnapshot.MAX_BYTES
    response = client.post(dsa.url("snapshot"), data=big, content_type="image/jpeg")
    assert response.status_code == 413
    upload = io.BytesIO(big)
    upload.name = "big.jpg"
    assert client.post(dsa.url("snapshot"), data={"image": upload}).status_code == 413
    assert not ProctoringSnapshot.objects.exists()


def test_an_other_content_type_is_415(dsa: Dsa, client: Client) -> None:
    response = client.post(dsa.url("snapshot"), data=image_bytes(), content_type="application/octet-stream")
    assert response.status_code == 415


def test_snapshots_are_rate_limited(dsa: Dsa, client: Client) -> None:
    assert client.post(dsa.url("snapshot"), data=image_bytes(), content_type="image/jpeg").status_code == 200
    # when: a second one right away
    response = client.post(dsa.url("snapshot"), data=image_bytes(), content_type="image/jpeg")
    # then
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15
    assert ProctoringSnapshot.objects.count() == 1


def test_snapshots_of_two_tokens_are_limited_and_stored_apart(acme: Tenant, dsa: Dsa, client: Client) -> None:
    other = make_dsa(acme.org, token=OTHER_TOKEN, proctoringEnabled=True)
    assert client.post(dsa.url("snapshot"), data=image_bytes(), content_type="image/jpeg").status_code == 200
    assert client.post(other.url("snapshot"), data=image_bytes(), content_type="image/jpeg").status_code == 200
    sessions = set(ProctoringSnapshot.objects.values_list("session__interview_id", flat=True))
    assert sessions == {dsa.interview.pk, other.interview.pk}


def test_no_snapshot_is_taken_when_proctoring_is_off(acme: Tenant, client: Client) -> None:
    plain = make_dsa(acme.org, token=OTHER_TOKEN, proctoringEnabled=False)
    response = client.post(plain.url("snapshot"), data=image_bytes(), content_type="image/jpeg")
    assert response.status_code == 409
    assert "indicator" not in client.get(plain.url()).content.decode().lower()


def test_the_page_tells_the_candidate_before_the_camera_starts(dsa: Dsa, client: Client) -> None:
    # given: the start screen, and the page once started (the camera asks again on each load)
    start_screen = client.get(dsa.url()).content.decode()
    post_json(client, dsa.url("start"), {})
    started = client.get(dsa.url()).content.decode()
    # then
    for page in (start_screen, started):
        assert "this assessment is proctored" in page.lower()
        assert "a still picture every 30 seconds" in page
        assert "a snapshot every 30 s" in page
        assert 'id="dsa-camera"' in page


def test_snapshots_after_the_end_are_410(dsa: Dsa, client: Client) -> None:
    post_json(client, dsa.url("finish"), {})
    assert client.post(dsa.url("snapshot"), data=image_bytes(), content_type="image/jpeg").status_code == 410


# --- who sees the snapshots -------------------------------------------------------------------
@pytest.fixture
def snapshot(dsa: Dsa, client: Client) -> ProctoringSnapshot:
    assert client.post(dsa.url("snapshot"), data=image_bytes(), content_type="image/jpeg").status_code == 200
    return ProctoringSnapshot.objects.get()


def test_a_recruiter_of_the_organization_sees_a_snapshot(acme: Tenant, snapshot: ProctoringSnapshot) -> None:
    for role in ("recruiter", "admin"):
        response = acme.client(role).get(f"/assessments/snapshots/{snapshot.pk}/image")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content) == image_bytes()


@pytest.mark.parametrize("who", ["anonymous", "candidate-link", "interviewer", "candidate", "other-org-recruiter"])
def test_nobody_else_sees_a_snapshot(
    acme: Tenant, globex: Tenant, snapshot: ProctoringSnapshot, client: Client, who: str
) -> None:
    url = f"/assessments/snapshots/{snapshot.pk}/image"
    if who in ("anonymous", "candidate-link"):
        viewer = client  # the candidate's page has the token, but no session: the same as anyone
    elif who == "other-org-recruiter":
        viewer = globex.client("recruiter")
    else:
        viewer = acme.client(who)
    assert viewer.get(url).status_code == 404


def test_snapshot_files_are_not_under_a_public_url(snapshot: ProctoringSnapshot, client: Client) -> None:
    assert client.get(f"/media/{snapshot.image.name}").status_code == 404
    assert client.get(f"/static/{snapshot.image.name}").status_code == 404


# --- integrity events -------------------------------------------------------------------------
def test_integrity_events_are_stored_with_client_and_server_times(dsa: Dsa, client: Client) -> None:
    # given: the session started a minute ago
    client.get(dsa.url())
    DsaSession.objects.filter(interview=dsa.interview).update(started_at=timezone.now() - timedelta(minutes=1))
    at = (timezone.now() - timedelta(seconds=20)).replace(microsecond=0)
    events = [
        {"kind": "tab_hidden", "at": at.isoformat()},
        {"kind": "tab_visible", "at": int((at + timedelta(seconds=5)).timestamp() * 1000)},
        {"kind": "paste", "at": at.isoformat(), "length": 512, "text": "def solve(): pass"},
        {"kind": "window_blur", "at": (timezone.now() + timedelta(days=3)).isoformat()},
        {"kind": "fullscreen_exit", "at": "2001-01-01T00:00:00Z"},
        {"kind": "window_focus", "at": "not a time"},
    ]
    # when
    response = post_json(client, dsa.url("events"), {"events": events})
    # then
    assert response.status_code == 200
    assert response.json() == {"recorded": 6}
    stored = {e.kind: e for e in IntegrityEvent.objects.filter(interview=dsa.interview)}
    assert stored["tab_hidden"].occurred_at == at
    assert stored["tab_visible"].occurred_at == at + timedelta(seconds=5)
    assert stored["paste"].detail == {"length": 512}  # the length only, never the content
    now = timezone.now()
    assert stored["window_blur"].occurred_at <= now  # a future time is clamped to the receive time
    session = DsaSession.objects.get(interview=dsa.interview)
    assert session.started_at is not None
    assert stored["fullscreen_exit"].occurred_at >= session.started_at - timedelta(minutes=5)
    assert abs((stored["window_focus"].occurred_at - stored["window_focus"].recorded_at).total_seconds()) < 5
    assert all(e.participant_id == dsa.candidate.pk for e in stored.values())


@pytest.mark.parametrize(
    "body",
    [
        {"events": [{"kind": "screenshot"}]},
        {"events": [{"kind": "paste"}]},
        {"events": [{"kind": "paste", "length": "long"}]},
        {"events": []},
        {"events": "tab_hidden"},
        {"kinds": []},
        {"events": [{"kind": "tab_hidden"}] * 101},
    ],
)
def test_bad_event_batches_are_400_and_store_nothing(dsa: Dsa, client: Client, body: Any) -> None:
    response = post_json(client, dsa.url("events"), body)
    assert response.status_code == 400
    assert not IntegrityEvent.objects.exists()


def test_event_batches_are_rate_limited(dsa: Dsa, client: Client, one_throttle_window: float) -> None:
    answers = [post_json(client, dsa.url("events"), {"events": [{"kind": "window_blur"}]}) for _ in range(31)]
    assert [a.status_code for a in answers[:30]] == [200] * 30
    assert answers[30].status_code == 429
    assert answers[30]["Retry-After"]


def test_events_need_json(dsa: Dsa, client: Client) -> None:
    assert client.post(dsa.url("events"), data="kind=paste", content_type="text/plain").status_code == 415


# --- the recruiters' session page --------------------------------------------------------------
def test_the_recruiter_sees_the_session_with_scores_hidden_details_events_and_snapshots(
    acme: Tenant, dsa: Dsa, snapshot: ProctoringSnapshot, client: Client
) -> None:
    # given: a stored submission and an event
    session = snapshot.session
    hidden = dsa.problem.test_cases.filter(hidden=True).first()
    assert hidden is not None
    Submission.objects.create(
        session=session,
        problem=dsa.problem,
        language="python",
        code="print(input().upper())",
        results=[
            {
                "testCaseId": hidden.pk,
                "name": hidden.name,
                "hidden": True,
                "passed": False,
                "verdict": "WRONG_ANSWER",
                "executionTimeMs": 12,
                "memoryUsedKB": 900,
                "stdout": "SECRET-OUT-WRONG",
                "stderr": "",
            }
        ],
        passed=3,
        total=7,
        score=42.86,
    )
    post_json(client, dsa.url("events"), {"events": [{"kind": "paste", "length": 77}]})
    # when
    response = acme.client("recruiter").get(f"/admin/assessments/dsasession/{session.pk}/change/")
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "Score 43%" in page
    assert hidden.input.strip() in page
    assert hidden.expected_output.strip() in page
    assert "SECRET-OUT-WRONG" in page
    assert "Paste" in page
    assert "77 characters" in page
    assert f"/assessments/snapshots/{snapshot.pk}/image" in page
    # and the list shows the best score
    listing = acme.client("recruiter").get("/admin/assessments/dsasession/").content.decode()
    assert "43%" in listing


def test_another_organization_cannot_open_the_session_page(globex: Tenant, snapshot: ProctoringSnapshot) -> None:
    response = globex.client("recruiter").get(f"/admin/assessments/dsasession/{snapshot.session_id}/change/")
    assert response.status_code == 404
