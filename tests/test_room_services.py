"""The room's pure parts: flood control on a fake clock, TURN credentials, ICE servers, presence rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import AuditLog
from interviews.factories import InterviewFactory, ParticipantFactory
from interviews.models import Interview, Participant, RoomPresence
from interviews.realtime.limits import FloodGuard, TokenBucket
from interviews.services import rooms
from tests.conftest import Tenant


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def take_all(bucket: TokenBucket, n: int) -> list[bool]:
    return [bucket.take() for _ in range(n)]


# === TokenBucket =============================================================================
def test_bucket_starts_full_and_admits_a_burst(clock: FakeClock) -> None:
    # given
    bucket = TokenBucket(rate=10, burst=3, clock=clock)

    # when
    taken = take_all(bucket, 4)

    # then
    assert taken == [True, True, True, False]


def test_bucket_refills_at_its_rate(clock: FakeClock) -> None:
    # given: an empty bucket of 10 tokens/s
    bucket = TokenBucket(rate=10, burst=3, clock=clock)
    take_all(bucket, 3)

    # when: 0.2 s pass
    clock.advance(0.2)

    # then: two tokens came back
    assert take_all(bucket, 3) == [True, True, False]


def test_bucket_never_holds_more_than_its_burst(clock: FakeClock) -> None:
    # given
    bucket = TokenBucket(rate=10, burst=3, clock=clock)

    # when: a long quiet time
    clock.advance(3600)

    # then
    assert take_all(bucket, 4) == [True, True, True, False]


# === FloodGuard ==============================================================================
def test_guard_admits_the_burst_then_refuses_without_giving_up(clock: FakeClock) -> None:
    # given
    guard = FloodGuard(rate=50, burst=100, clock=clock)

    # when: one frame more than the burst, all at once
    admitted = [guard.admit() for _ in range(101)]

    # then
    assert admitted == [True] * 100 + [False]
    assert guard.exhausted is False


def test_guard_gives_up_on_a_client_that_keeps_flooding(clock: FakeClock) -> None:
    # given
    guard = FloodGuard(rate=50, burst=100, clock=clock)

    # when: a burst of frames and then a burst of refused ones, all at once
    for _ in range(200):
        guard.admit()
    assert guard.exhausted is False
    guard.admit()

    # then
    assert guard.exhausted is True


def test_guard_keeps_a_client_that_stays_at_the_sustained_rate(clock: FakeClock) -> None:
    # given
    guard = FloodGuard(rate=50, burst=100, clock=clock)

    # when: 50 frames per second for a minute
    admitted = []
    for _ in range(50 * 60):
        admitted.append(guard.admit())
        clock.advance(1 / 50)

    # then
    assert all(admitted)
    assert guard.exhausted is False


def test_guard_survives_a_spike_followed_by_calm(clock: FakeClock) -> None:
    # given: a spike that was refused for a while
    guard = FloodGuard(rate=50, burst=100, clock=clock)
    for _ in range(150):
        guard.admit()

    # when: the client calms down, then spikes again
    clock.advance(60)
    for _ in range(150):
        guard.admit()

    # then: the refusals refilled, so it is still not given up on
    assert guard.exhausted is False


def test_guard_gives_up_on_twice_the_rate_sustained(clock: FakeClock) -> None:
    # given
    guard = FloodGuard(rate=50, burst=100, clock=clock)

    # when: 100 frames per second for a minute
    for _ in range(100 * 60):
        guard.admit()
        clock.advance(1 / 100)

    # then
    assert guard.exhausted is True


def test_guard_warns_at_most_once_a_second(clock: FakeClock) -> None:
    # given
    guard = FloodGuard(rate=50, burst=100, clock=clock)

    # when
    first, second = guard.should_warn(), guard.should_warn()
    clock.advance(0.5)
    third = guard.should_warn()
    clock.advance(0.5)
    fourth = guard.should_warn()

    # then
    assert (first, second, third, fourth) == (True, False, False, True)


# === TURN / ICE ==============================================================================
def test_turn_credentials_follow_the_coturn_rest_format(settings: Any) -> None:
    # given
    settings.ROOM_TURN_SECRET = "north-wind"
    settings.ROOM_TURN_TTL_SECONDS = 600
    peer = "0123456789abcdef0123456789abcdef"

    # when
    username, credential = rooms.turn_credentials(peer=peer, now=1_700_000_000.7)

    # then: "<expiry>:<peer>", password base64(HMAC-SHA1(secret, username))
    assert username == f"{1_700_000_000 + 600}:{peer}"
    expected = base64.b64encode(hmac.new(b"north-wind", username.encode(), hashlib.sha1).digest()).decode()
    assert credential == expected


def test_turn_credentials_expire_one_ttl_from_now(settings: Any) -> None:
    # given
    settings.ROOM_TURN_SECRET = "north-wind"
    settings.ROOM_TURN_TTL_SECONDS = 3600
    before = int(timezone.now().timestamp())

    # when
    username, _ = rooms.turn_credentials(peer="p")

    # then
    expiry = int(username.split(":")[0])
    assert before + 3600 <= expiry <= int(timezone.now().timestamp()) + 3600


@pytest.fixture
def participant(acme: Tenant) -> Participant:
    interview = InterviewFactory(
        organization=acme.org, candidate__organization=acme.org, candidate__position__organization=acme.org
    )
    return ParticipantFactory(interview=interview, user=acme.users["interviewer"])


def test_ice_servers_are_empty_when_none_are_configured(participant: Participant, settings: Any) -> None:
    # given
    settings.ROOM_STUN_URLS = []
    settings.ROOM_TURN_URLS = []
    settings.ROOM_TURN_SECRET = ""

    # when / then
    assert rooms.ice_servers(participant=participant) == []


def test_ice_servers_list_stun_alone(participant: Participant, settings: Any) -> None:
    # given
    settings.ROOM_STUN_URLS = ["stun:stun.example.test:3478"]
    settings.ROOM_TURN_URLS = ["turn:turn.example.test:3478"]
    settings.ROOM_TURN_SECRET = ""  # TURN without its secret is left out

    # when / then
    assert rooms.ice_servers(participant=participant) == [{"urls": ["stun:stun.example.test:3478"]}]


def test_ice_servers_give_turn_credentials_for_the_participants_peer_id(
    participant: Participant, settings: Any
) -> None:
    # given
    settings.ROOM_STUN_URLS = ["stun:stun.example.test:3478"]
    settings.ROOM_TURN_URLS = ["turn:turn.example.test:3478?transport=udp", "turns:turn.example.test:5349"]
    settings.ROOM_TURN_SECRET = "north-wind"

    # when
    stun, turn = rooms.ice_servers(participant=participant)

    # then
    assert stun == {"urls": ["stun:stun.example.test:3478"]}
    assert turn["urls"] == ["turn:turn.example.test:3478?transport=udp", "turns:turn.example.test:5349"]
    assert turn["username"].endswith(":" + participant.peer_id.hex)
    signed = hmac.new(b"north-wind", turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(signed).decode()


# === presence and starting ===================================================================
def _room(acme: Tenant, *, observers: int = 0) -> dict[str, Any]:
    interview = InterviewFactory(
        organization=acme.org,
        candidate__organization=acme.org,
        candidate__position__organization=acme.org,
        scheduled_at=timezone.now() + timedelta(minutes=5),
    )
    people = {
        "lead": ParticipantFactory(interview=interview, user=acme.users["interviewer"]),
        "candidate": ParticipantFactory(
            interview=interview, user=None, candidate=interview.candidate, role=Participant.Role.CANDIDATE
        ),
    }
    for n in range(observers):
        people[f"observer{n}"] = ParticipantFactory(interview=interview, role=Participant.Role.OBSERVER)
    return {"interview": interview, **people}


def _present(participant: Participant, *, seen_ago: timedelta) -> RoomPresence:
    return RoomPresence.objects.create(
        interview=participant.interview,
        participant=participant,
        channel_name=f"test.channel.{participant.pk}",
        seen_at=timezone.now() - seen_ago,
    )


def test_stale_presence_does_not_count_towards_a_full_room(acme: Tenant, settings: Any) -> None:
    # given: a room of two whose other seat is held by a socket that died long ago
    settings.ROOM_MAX_PARTICIPANTS = 2
    room = _room(acme, observers=1)
    _present(room["lead"], seen_ago=timedelta(seconds=1))
    _present(room["observer0"], seen_ago=rooms.PRESENCE_STALE_AFTER + timedelta(seconds=1))

    # when
    joined = rooms.room_join(participant=room["candidate"], channel_name="test.channel.new")

    # then
    assert [p["userId"] for p in joined.peers] == [room["lead"].peer_id.hex]


def test_fresh_presence_fills_the_room(acme: Tenant, settings: Any) -> None:
    # given
    settings.ROOM_MAX_PARTICIPANTS = 2
    room = _room(acme, observers=1)
    _present(room["lead"], seen_ago=timedelta(seconds=1))
    _present(room["observer0"], seen_ago=rooms.PRESENCE_STALE_AFTER - timedelta(seconds=10))

    # when / then
    with pytest.raises(rooms.RoomRefused) as refused:
        rooms.room_join(participant=room["candidate"], channel_name="test.channel.new")
    assert refused.value.code == "room_full"
    assert not RoomPresence.objects.filter(participant=room["candidate"]).exists()


def test_join_drops_stale_presence_rows(acme: Tenant) -> None:
    # given
    room = _room(acme)
    _present(room["lead"], seen_ago=rooms.PRESENCE_STALE_AFTER + timedelta(seconds=1))

    # when
    rooms.room_join(participant=room["candidate"], channel_name="test.channel.new")

    # then
    assert list(RoomPresence.objects.values_list("participant", flat=True)) == [room["candidate"].pk]


def test_rejoin_returns_the_channel_it_replaces(acme: Tenant) -> None:
    # given
    room = _room(acme)
    rooms.room_join(participant=room["candidate"], channel_name="test.channel.first")

    # when
    joined = rooms.room_join(participant=room["candidate"], channel_name="test.channel.second")

    # then
    assert joined.replaced_channel == "test.channel.first"
    assert RoomPresence.objects.get(participant=room["candidate"]).channel_name == "test.channel.second"


def test_leave_of_a_replaced_channel_keeps_the_new_seat(acme: Tenant) -> None:
    # given
    room = _room(acme)
    rooms.room_join(participant=room["candidate"], channel_name="test.channel.first")
    rooms.room_join(participant=room["candidate"], channel_name="test.channel.second")

    # when
    left = rooms.room_leave(participant_id=room["candidate"].pk, channel_name="test.channel.first")

    # then
    assert left is False
    assert RoomPresence.objects.filter(participant=room["candidate"]).exists()


def test_candidate_joining_the_interviewer_marks_the_interview_live(acme: Tenant) -> None:
    # given: the interviewer waits in the room
    room = _room(acme)
    rooms.room_join(participant=room["lead"], channel_name="test.channel.lead")

    # when
    rooms.room_join(participant=room["candidate"], channel_name="test.channel.candidate")

    # then
    interview = Interview.objects.get(pk=room["interview"].pk)
    assert interview.status == Interview.Status.LIVE
    assert interview.started_at is not None
    assert AuditLog.objects.filter(action="interview.start", target_id=str(interview.pk)).count() == 1


def test_interviewer_joining_the_waiting_candidate_marks_the_interview_live(acme: Tenant) -> None:
    # given
    room = _room(acme)
    rooms.room_join(participant=room["candidate"], channel_name="test.channel.candidate")

    # when
    rooms.room_join(participant=room["lead"], channel_name="test.channel.lead")

    # then
    interview = Interview.objects.get(pk=room["interview"].pk)
    assert (interview.status, interview.started_at is not None) == (Interview.Status.LIVE, True)
    assert AuditLog.objects.get(action="interview.start").actor == acme.users["interviewer"]


@pytest.mark.parametrize("who", ["candidate", "lead", "observer0"])
def test_one_person_waiting_alone_does_not_start_the_interview(acme: Tenant, who: str) -> None:
    # given: the room opens before the start; whoever comes first waits
    room = _room(acme, observers=1)

    # when
    rooms.room_join(participant=room[who], channel_name="test.channel.first")

    # then: still scheduled, so it can still be cancelled or moved
    interview = Interview.objects.get(pk=room["interview"].pk)
    assert (interview.status, interview.started_at) == (Interview.Status.SCHEDULED, None)
    assert not AuditLog.objects.filter(action="interview.start").exists()


def test_a_live_interview_is_not_started_again(acme: Tenant) -> None:
    # given: a live interview
    room = _room(acme)
    rooms.room_join(participant=room["lead"], channel_name="test.channel.lead")
    rooms.room_join(participant=room["candidate"], channel_name="test.channel.candidate")
    started_at = Interview.objects.get(pk=room["interview"].pk).started_at

    # when: the candidate reconnects
    rooms.room_join(participant=room["candidate"], channel_name="test.channel.again")

    # then
    assert Interview.objects.get(pk=room["interview"].pk).started_at == started_at
    assert AuditLog.objects.filter(action="interview.start").count() == 1


def test_chat_post_refuses_text_with_a_nul_character(acme: Tenant) -> None:
    # given
    room = _room(acme)

    # when / then: PostgreSQL cannot store it; say so instead of failing on save
    with pytest.raises(rooms.RoomRefused) as refused:
        rooms.chat_post(participant=room["candidate"], text="a\x00b")
    assert refused.value.code == "bad_frame"


@pytest.mark.parametrize("question_id", [2**63, 2**63 - 1, 10**30])
def test_question_push_of_an_id_beyond_any_row_is_unknown_question(acme: Tenant, question_id: int) -> None:
    # given
    room = _room(acme)

    # when / then
    with pytest.raises(rooms.RoomRefused) as refused:
        rooms.question_push(participant=room["lead"], question_id=question_id)
    assert refused.value.code == "unknown_question"
