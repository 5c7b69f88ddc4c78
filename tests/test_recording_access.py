"""Who may stream a recording and read a transcript; signed URLs; HTTP Range over real requests."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path

import av
import pytest
import requests
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.core import signing
from django.test import AsyncClient, Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from interviews.factories import InterviewFactory, ParticipantFactory
from interviews.models import Interview, Participant
from recordings import crypto, storage
from recordings.factories import RecordingFactory, TranscriptSegmentFactory
from recordings.models import Recording
from recordings.selectors import (
    interview_media_get,
    recording_list_visible,
    transcript_list_visible,
)
from recordings.urls_signing import _SALT, recording_signed_url
from recordings.views import BLOCK_SIZE
from tests.conftest import Tenant
from tests.live_asgi import daphne_server
from tests.test_pages_fixtures import add_member
from tests.test_recording_storage import KEY_A, webm_bytes

MEDIA = webm_bytes(seconds=2.0)


@dataclass
class Scene:
    interview: Interview
    recording: Recording
    interviewer: User
    candidate_user: User


@pytest.fixture
def recordings_root(settings, tmp_path: Path) -> Path:
    settings.RECORDINGS_ROOT = tmp_path / "recordings"
    settings.RECORDING_KEY = KEY_A
    return settings.RECORDINGS_ROOT


@pytest.fixture
def scene(acme: Tenant, recordings_root: Path) -> Scene:
    candidate_user = acme.users[Role.CANDIDATE]
    interview = InterviewFactory(
        organization=acme.org,
        status=Interview.Status.COMPLETED,
        candidate__full_name="Grace Hopper",
        candidate__email=candidate_user.email,
        candidate__user=candidate_user,
    )
    lead = ParticipantFactory(interview=interview, user=acme.users[Role.INTERVIEWER])
    ParticipantFactory(interview=interview, user=None, candidate=interview.candidate, role=Participant.Role.CANDIDATE)
    recording = RecordingFactory.with_file(
        plain=MEDIA, session__interview=interview, participant=lead, duration_ms=2000
    )
    TranscriptSegmentFactory(recording=recording, text="I would use a hash map")
    return Scene(interview=interview, recording=recording, interviewer=lead.user, candidate_user=candidate_user)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- who may see ---------------------------------------------------------------------------
ALLOWED = ["panel interviewer", "panel observer", "acme recruiter", "acme admin"]
REFUSED = [
    "acme interviewer not on the panel",
    "acme interviewer of another interview",
    "acme candidate (this interview's)",
    "acme candidate (another one)",
    "globex admin",
    "globex recruiter",
    "globex interviewer",
]


def user_called(who: str, acme: Tenant, globex: Tenant, scene: Scene) -> User:
    if who == "panel interviewer":
        return scene.interviewer
    if who == "panel observer":
        user = add_member(acme, Role.INTERVIEWER, "watcher@acme.test")
        ParticipantFactory(interview=scene.interview, user=user, role=Participant.Role.OBSERVER)
        return user
    if who == "acme interviewer not on the panel":
        return add_member(acme, Role.INTERVIEWER, "bystander@acme.test")
    if who == "acme interviewer of another interview":
        user = add_member(acme, Role.INTERVIEWER, "elsewhere@acme.test")
        ParticipantFactory(interview=InterviewFactory(organization=acme.org), user=user)
        return user
    if who == "acme candidate (this interview's)":
        return scene.candidate_user
    if who == "acme candidate (another one)":
        return add_member(acme, Role.CANDIDATE, "someone-else@acme.test")
    tenant = acme if who.startswith("acme") else globex
    return tenant.users[who.split(" ", 1)[1]]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ALLOWED)
def test_the_panel_and_the_hiring_staff_stream_the_recording_and_read_the_transcript(
    acme: Tenant, globex: Tenant, scene: Scene, who: str
) -> None:
    # given
    user = user_called(who, acme, globex, scene)

    # when
    response = logged_in(user).get(recording_signed_url(recording=scene.recording, user=user))

    # then
    assert response.status_code == 200
    assert body(response) == MEDIA
    assert [r.pk for r in recording_list_visible(actor=user, organization=acme.org, interview=scene.interview)] == [
        scene.recording.pk
    ]
    texts = [s.text for s in transcript_list_visible(actor=user, organization=acme.org, interview=scene.interview)]
    assert texts == ["I would use a hash map"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", REFUSED)
def test_anyone_else_is_refused_even_with_a_url_signed_for_them(
    acme: Tenant, globex: Tenant, scene: Scene, who: str
) -> None:
    # given: a correctly signed URL for this very user (as if the page had leaked one)
    user = user_called(who, acme, globex, scene)
    url = recording_signed_url(recording=scene.recording, user=user)

    # when
    response = logged_in(user).get(url)

    # then
    assert response.status_code == 403
    assert MEDIA[:64] not in body(response)
    for org in (acme.org, globex.org):
        assert interview_media_get(actor=user, organization=org, interview_id=scene.interview.pk) is None
        assert not recording_list_visible(actor=user, organization=org, interview=scene.interview).exists()
        assert not transcript_list_visible(actor=user, organization=org, interview=scene.interview).exists()


@pytest.mark.django_db
def test_access_is_checked_again_at_every_request(acme: Tenant, scene: Scene) -> None:
    # given: an observer who streamed the recording once
    user = add_member(acme, Role.INTERVIEWER, "watcher@acme.test")
    seat = ParticipantFactory(interview=scene.interview, user=user, role=Participant.Role.OBSERVER)
    client = logged_in(user)
    url = recording_signed_url(recording=scene.recording, user=user)
    assert client.get(url, HTTP_RANGE="bytes=0-9").status_code == 206

    # when: they are taken off the panel, the URL still within its lifetime
    seat.delete()

    # then
    assert client.get(url, HTTP_RANGE="bytes=10-19").status_code == 403


# --- the signature ---------------------------------------------------------------------------
def _signature_made_at(recording: Recording, user: User, *, seconds_ago: int) -> str:
    class BackdatedSigner(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(timezone.now().timestamp()) - seconds_ago)

    token = BackdatedSigner(salt=_SALT).sign(f"{recording.pk}:{user.pk}")
    return token.split(":", 2)[-1]


@pytest.mark.django_db
def test_signatures_that_are_missing_forged_expired_or_someone_elses_are_refused(
    settings, acme: Tenant, scene: Scene
) -> None:
    # given
    settings.RECORDING_URL_TTL_SECONDS = 600
    recruiter = acme.users[Role.RECRUITER]
    path = reverse("recording_media", kwargs={"pk": scene.recording.pk})
    other = RecordingFactory.with_file(plain=b"other", session__interview=scene.interview)
    valid = _signature_made_at(scene.recording, recruiter, seconds_ago=590)
    unsalted = signing.TimestampSigner().sign(f"{scene.recording.pk}:{recruiter.pk}").split(":", 2)[-1]
    cases = {
        "missing": path,
        "empty": f"{path}?sig=",
        "forged": f"{path}?sig={valid[:-4]}AAAA",
        "expired": f"{path}?sig={_signature_made_at(scene.recording, recruiter, seconds_ago=700)}",
        "someone else's": recording_signed_url(recording=scene.recording, user=scene.interviewer),
        "another recording's": recording_signed_url(recording=other, user=recruiter).replace(
            f"/{other.pk}/", f"/{scene.recording.pk}/"
        ),
        "another salt": f"{path}?sig={unsalted}",
    }
    client = logged_in(recruiter)

    # when
    statuses = {name: client.get(url).status_code for name, url in cases.items()}

    # then
    assert statuses == dict.fromkeys(cases, 403)
    assert client.get(f"{path}?sig={valid}").status_code == 200


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(acme: Tenant, scene: Scene) -> None:
    url = recording_signed_url(recording=scene.recording, user=acme.users[Role.ADMIN])
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_deleted_recordings_are_gone_and_unknown_ones_not_found(acme: Tenant, scene: Scene) -> None:
    # given
    admin = acme.users[Role.ADMIN]
    url = recording_signed_url(recording=scene.recording, user=admin)
    storage.recording_delete(recording=scene.recording, actor=admin)
    unknown = Recording(pk=scene.recording.pk + 1000)

    # when
    gone = logged_in(admin).get(url)
    missing = logged_in(admin).get(recording_signed_url(recording=unknown, user=admin))

    # then
    assert gone.status_code == 410
    assert missing.status_code == 404
    assert not recording_list_visible(actor=admin, organization=acme.org, interview=scene.interview).exists()
    assert not transcript_list_visible(actor=admin, organization=acme.org, interview=scene.interview).exists()


@pytest.mark.django_db
def test_only_get_and_head_are_allowed(acme: Tenant, scene: Scene) -> None:
    admin = acme.users[Role.ADMIN]
    response = logged_in(admin).post(recording_signed_url(recording=scene.recording, user=admin))
    assert response.status_code == 405


# --- HTTP Range ------------------------------------------------------------------------------
@pytest.fixture
def media_client(acme: Tenant, scene: Scene) -> tuple[Client, str]:
    admin = acme.users[Role.ADMIN]
    return logged_in(admin), recording_signed_url(recording=scene.recording, user=admin)


@pytest.mark.django_db
def test_a_whole_file_response_is_private_typed_and_advertises_ranges(media_client: tuple[Client, str]) -> None:
    # when
    client, url = media_client
    response = client.get(url)

    # then
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "video/webm"
    assert response["Content-Length"] == str(len(MEDIA))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Range" not in response
    assert body(response) == MEDIA


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=0-99", 0, 100),
        ("bytes=100-", 100, len(MEDIA)),
        ("bytes=-50", len(MEDIA) - 50, len(MEDIA)),
        (f"bytes=-{len(MEDIA) + 500}", 0, len(MEDIA)),
        (f"bytes={len(MEDIA) - 10}-{len(MEDIA) + 100}", len(MEDIA) - 10, len(MEDIA)),
        (f"bytes={crypto.CHUNK_SIZE - 3}-{crypto.CHUNK_SIZE + 2}", crypto.CHUNK_SIZE - 3, crypto.CHUNK_SIZE + 3),
        ("bytes=7-7", 7, 8),
    ],
)
def test_a_satisfiable_range_is_answered_206_with_exactly_those_bytes(
    media_client: tuple[Client, str], header: str, start: int, stop: int
) -> None:
    # given
    client, url = media_client
    assert len(MEDIA) > crypto.CHUNK_SIZE + 3 or start < len(MEDIA)

    # when
    response = client.get(url, HTTP_RANGE=header)

    # then
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{stop - 1}/{len(MEDIA)}"
    assert response["Content-Length"] == str(stop - start)
    assert body(response) == MEDIA[start:stop]


@pytest.mark.django_db
@pytest.mark.parametrize("header", [f"bytes={len(MEDIA)}-", f"bytes={len(MEDIA) + 10}-{len(MEDIA) + 20}", "bytes=-0"])
def test_a_range_past_the_end_is_416(media_client: tuple[Client, str], header: str) -> None:
    client, url = media_client
    response = client.get(url, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(MEDIA)}"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=abc", "bytes=-"])
def test_a_range_this_server_does_not_handle_is_ignored_and_the_whole_file_sent(
    media_client: tuple[Client, str], header: str
) -> None:
    client, url = media_client
    response = client.get(url, HTTP_RANGE=header)
    assert response.status_code == 200
    assert body(response) == MEDIA


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [f"bytes={'9' * 5000}-", f"bytes=-{'9' * 5000}", f"bytes=0-{'9' * 5000}"],
)
def test_a_range_with_numbers_longer_than_any_offset_is_ignored_and_the_whole_file_sent(
    media_client: tuple[Client, str], header: str
) -> None:
    # given: offsets of thousands of digits (int() refuses more than 4300)
    client, url = media_client

    # when
    response = client.get(url, HTTP_RANGE=header)

    # then: ignored, as RFC 9110 allows for a range the server does not handle
    assert response.status_code == 200
    assert "Content-Range" not in response
    assert body(response) == MEDIA


@pytest.mark.django_db
def test_seeking_player_requests_get_the_right_bytes_every_time(media_client: tuple[Client, str]) -> None:
    # given: a player that seeks around the file, across chunk boundaries
    client, url = media_client
    rng = random.Random(8)  # noqa: S311 - where to seek, not a secret
    asked = [(s, min(len(MEDIA), s + rng.randint(1, 3 * crypto.CHUNK_SIZE))) for s in rng.sample(range(len(MEDIA)), 25)]

    # when
    got = [body(client.get(url, HTTP_RANGE=f"bytes={start}-{stop - 1}")) for start, stop in asked]

    # then
    assert got == [MEDIA[start:stop] for start, stop in asked]


@pytest.mark.django_db
def test_if_range_with_a_stale_etag_sends_the_whole_file(media_client: tuple[Client, str]) -> None:
    # given
    client, url = media_client
    etag = client.head(url)["ETag"]

    # when
    fresh = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag)
    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"something-else"')

    # then
    assert (fresh.status_code, body(fresh)) == (206, MEDIA[:10])
    assert (stale.status_code, body(stale)) == (200, MEDIA)


@pytest.mark.django_db
def test_head_answers_the_headers_only(media_client: tuple[Client, str]) -> None:
    client, url = media_client
    response = client.head(url, HTTP_RANGE="bytes=10-19")
    assert response.status_code == 206
    assert response["Content-Length"] == "10"
    assert response.content == b""


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _chunk_offset(index: int) -> int:
    """Where the ciphertext of chunk ``index`` begins in a stored file."""
    return crypto.HEADER_SIZE + index * (crypto.CHUNK_SIZE + crypto.TAG_SIZE)


def _unreadable_logs(caplog: pytest.LogCaptureFixture, recording: Recording) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "recordings.views" and r.levelno == logging.ERROR and f"recording {recording.pk} " in r.message
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("damage", ["last chunk changed", "first chunk changed", "key gone after a rotation"])
def test_a_file_that_cannot_be_read_is_answered_503_privately_and_logged(
    settings, media_client: tuple[Client, str], scene: Scene, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    # given: a damaged file, or one whose key was rotated away without keeping it in the old keys
    client, url = media_client
    path = storage.recording_path(scene.recording)
    if damage == "last chunk changed":
        _flip(path, -5)
    elif damage == "first chunk changed":
        _flip(path, _chunk_offset(0) + 10)
    else:
        settings.RECORDING_KEY = crypto.key_generate()
        settings.RECORDING_OLD_KEYS = []

    # when
    with caplog.at_level(logging.ERROR, logger="recordings.views"):
        response = client.get(url)
        ranged = client.get(url, HTTP_RANGE="bytes=0-99")

    # then: no media byte goes out, nothing is cached, the cause is in the log
    for answer in (response, ranged):
        assert answer.status_code == 503
        assert not answer.streaming
        assert answer.content.decode() == "This recording cannot be read (damaged file or missing key)."
        assert answer["Cache-Control"] == "private, no-store"
        assert answer["X-Content-Type-Options"] == "nosniff"
        assert "Content-Range" not in answer
    assert len(_unreadable_logs(caplog, scene.recording)) == 2


@pytest.mark.django_db
def test_damage_found_mid_stream_ends_the_response_short_and_is_logged_once(
    media_client: tuple[Client, str], scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    # given: chunk 6 damaged; the first block sent (chunks 0 to 3) is intact
    client, url = media_client
    assert len(MEDIA) > _chunk_offset(8)
    _flip(storage.recording_path(scene.recording), _chunk_offset(6) + 10)

    # when
    with caplog.at_level(logging.ERROR, logger="recordings.views"):
        response = client.get(url)
        received = body(response)

    # then: the headers promised the whole file; the stream stopped before the damaged block
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(MEDIA))
    assert received == MEDIA[:BLOCK_SIZE]
    (logged,) = _unreadable_logs(caplog, scene.recording)
    assert f"at byte {BLOCK_SIZE}" in logged.message
    assert logged.exc_info is None  # one line, no traceback


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_damage_found_mid_stream_ends_the_stream_and_is_logged_once(
    acme: Tenant, scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    # given: the request goes through Django's ASGI handler (the async stream); chunk 5 damaged
    admin = acme.users[Role.ADMIN]
    client = AsyncClient()
    await client.aforce_login(admin)
    url = await sync_to_async(recording_signed_url)(recording=scene.recording, user=admin)
    _flip(storage.recording_path(scene.recording), _chunk_offset(5) + 10)

    # when
    with caplog.at_level(logging.ERROR, logger="recordings.views"):
        response = await client.get(url, headers={"Range": "bytes=100-"})
        received = b"".join([piece async for piece in response.streaming_content])

    # then
    assert response.status_code == 206
    assert response["Content-Length"] == str(len(MEDIA) - 100)
    assert received == MEDIA[100 : 100 + BLOCK_SIZE]
    (logged,) = _unreadable_logs(caplog, scene.recording)
    assert f"at byte {100 + BLOCK_SIZE}" in logged.message


# --- over a real ASGI server ---------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_live_asgi_server_streams_ranges_that_pyav_can_play(acme: Tenant, scene: Scene, tmp_path: Path) -> None:
    # given: daphne serving the app, with the same recordings root and key; a signed-in admin
    admin = acme.users[Role.ADMIN]
    login = logged_in(admin)
    cookies = {django_settings.SESSION_COOKIE_NAME: login.cookies[django_settings.SESSION_COOKIE_NAME].value}
    url = recording_signed_url(recording=scene.recording, user=admin)
    env = {"RECORDINGS_ROOT": str(django_settings.RECORDINGS_ROOT), "RECORDING_KEY": KEY_A}

    with daphne_server(env=env) as base, requests.Session() as http:
        http.cookies.update(cookies)
        # when
        whole = http.get(base + url, timeout=30)
        ranged = http.get(base + url, headers={"Range": "bytes=1000-70000"}, timeout=30)
        past = http.get(base + url, headers={"Range": f"bytes={len(MEDIA)}-"}, timeout=30)
        anonymous = requests.get(base + url, timeout=30, allow_redirects=False)
        someone_else = requests.get(
            base + recording_signed_url(recording=scene.recording, user=acme.users[Role.RECRUITER]),
            cookies=cookies,
            timeout=30,
        )

    # then
    assert whole.status_code == 200
    assert whole.content == MEDIA
    assert whole.headers["Cache-Control"] == "private, no-store"
    assert ranged.status_code == 206
    stop = min(70001, len(MEDIA))
    assert ranged.headers["Content-Range"] == f"bytes 1000-{stop - 1}/{len(MEDIA)}"
    assert ranged.content == MEDIA[1000:stop]
    assert past.status_code == 416
    assert anonymous.status_code == 302
    assert someone_else.status_code == 403
    downloaded = tmp_path / "downloaded.webm"
    downloaded.write_bytes(whole.content)
    with av.open(str(downloaded)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 20


def test_recordings_are_configured_outside_the_media_and_static_roots() -> None:
    path = Path(django_settings.RECORDINGS_ROOT).resolve()
    for root in (django_settings.MEDIA_ROOT, django_settings.STATIC_ROOT):
        assert not path.is_relative_to(Path(root).resolve())
        assert not Path(root).resolve().is_relative_to(path)


@pytest.mark.django_db
def test_no_public_url_serves_the_stored_file(acme: Tenant, scene: Scene) -> None:
    # given: the admin, signed in, guessing where the file might be served
    client = logged_in(acme.users[Role.ADMIN])
    name = scene.recording.file_name

    # when
    statuses = {client.get(f"{prefix}{name}").status_code for prefix in ("/media/", "/static/", "/recordings/")}

    # then
    assert statuses == {404}
