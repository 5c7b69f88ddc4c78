"""WebSocket adapters of the interview room (DESIGN.md §4.1); the rules live in services.rooms."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import InMemoryChannelLayer
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.services import live_runs
from interviews import events
from interviews.models import Participant
from interviews.realtime import recorder, yjs
from interviews.realtime.limits import FloodGuard
from interviews.realtime.runs import LiveRun, StdinRefused, in_run_thread
from interviews.services import documents, rooms
from interviews.services.rooms import RoomRefused
from talentsync.errors import ApplicationError

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]


async def authenticate(scope: dict[str, Any], room_id: uuid.UUID) -> Participant:
    """The participant a socket's token (or, without one, its session) admits to the room."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    token = (query.get("token") or [""])[0]
    if token:
        return await database_sync_to_async(rooms.room_access_by_token)(room_id=room_id, token=token)
    user = scope.get("user")
    if user is not None and user.is_authenticated:
        return await database_sync_to_async(rooms.room_access_by_session)(room_id=room_id, user=user)
    raise RoomRefused(
        _("Open the room from your join link, or sign in."),
        code="unauthenticated",
        close_code=events.CLOSE_NOT_AUTHENTICATED,
    )


class RealtimeConsumer(AsyncWebsocketConsumer):
    """Base of the room's consumers: dispatch without a database round trip per message.

    Channels runs ``close_old_connections`` in the database thread before *every* message a
    consumer handles — a thread hop per signaling frame, 14% of the server's CPU under load in
    ``bench/signaling.py``. These consumers reach the ORM only through ``database_sync_to_async``,
    which closes stale connections around each call itself, so the per-message hop is skipped.
    """

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class RoomConsumer(RealtimeConsumer):
    """Signaling, presence, pushed questions and chat of one interview room.

    One socket may be the media process's recorder (``interviews.realtime.recorder``): it is
    admitted by its own credential, not as a participant, may only signal, and is shown to the
    others as a peer of role ``recorder`` while RECORDING_STATE tells them it records.
    """

    participant: Participant
    peer: str
    room_id: uuid.UUID
    is_recorder: bool = False
    recorder_seat: recorder.RecorderSeat | None = None
    joined: bool = False
    leaving: bool = False
    room_is_closed: bool = False
    heartbeat: asyncio.Task[None] | None = None
    live_run: LiveRun | None = None

    # --- connection --------------------------------------------------------------------
    async def connect(self) -> None:
        self.guard = FloodGuard(settings.ROOM_RATE_PER_SECOND, settings.ROOM_RATE_BURST)
        self.peers: set[str] = set()
        self.peers_joined_at: dict[str, str] = {}
        self.groups_joined: list[str] = []
        try:
            self.room_id = uuid.UUID(self.scope["url_route"]["kwargs"]["room_id"])
            credential = _header(self.scope, recorder.HEADER)
            if credential is not None:
                self.peer = await sync_to_async(recorder.credential_check, thread_sensitive=False)(
                    room_id=self.room_id, value=credential
                )
                self.is_recorder = True
                self.may_lead = False
                await self.accept()
                return
            participant = await self._authenticate()
        except RoomRefused as refusal:
            await self.accept()
            await self.send_error(refusal.code, refusal.message)
            await self.close(code=refusal.close_code or events.CLOSE_NOT_ALLOWED)
            return
        except ValueError:
            await self.close(code=events.CLOSE_NOT_ALLOWED)
            return
        self.participant = participant
        self.peer = rooms.peer_id(participant)
        self.may_lead = await database_sync_to_async(rooms.participant_may_lead)(participant)
        await self.accept()

    async def _authenticate(self) -> Participant:
        return await authenticate(self.scope, self.room_id)

    async def disconnect(self, code: int) -> None:
        await self._stop_heartbeat()
        if self.live_run is not None and not self.live_run.done.is_set():
            await self.live_run.stop()  # nobody would see its output, nor be able to stop it
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.is_recorder:
            await self._recorder_leave()
            return
        if self.joined:
            self.joined = False
            # after a cancel the presence rows are still there: drop this socket's row, but
            # announce nothing to a room that is closing
            left = await database_sync_to_async(rooms.room_leave)(
                participant_id=self.participant.pk, channel_name=self.channel_name
            )
            if left and not self.room_is_closed:
                await self._to_room(events.USER_LEFT, {"userId": self.peer}, exclude_self=True)

    # --- frames from the client ----------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.leaving:
            return
        if not self.guard.admit():
            if self.guard.exhausted:
                self.leaving = True
                await self.send_error("rate_limited", _("Too many messages; the connection is closed."))
                await self.close(code=events.CLOSE_POLICY)
            elif self.guard.should_warn():
                await self.send_error("rate_limited", _("Too many messages; slow down."))
            return
        if text_data is None:
            await self.send_error("bad_frame", _("Binary frames are not accepted here; send JSON text."))
            return
        limit = settings.ROOM_MAX_FRAME_BYTES
        if len(text_data) > limit or (len(text_data) * 4 > limit and len(text_data.encode()) > limit):
            await self.send_error("frame_too_large", _("Frames are limited to %(n)s bytes.") % {"n": limit})
            return
        try:
            frame = _parse(text_data)
        except ValueError:
            await self.send_error("bad_frame", _("The frame is not valid JSON."))
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_error("bad_frame", _('A frame is an object {"type": ..., "payload": {...}}.'))
            return
        payload = frame.get("payload", {})
        if not isinstance(payload, dict):
            await self.send_error("bad_frame", _("payload must be an object."))
            return
        handler = self.handlers().get(frame["type"])
        if handler is None:
            await self.send_error("unknown_type", _("Unknown message type: %(t)s") % {"t": frame["type"][:40]})
            return
        if self.is_recorder and frame["type"] not in recorder.ALLOWED_FRAMES:
            await self.send_error("forbidden", _("The recorder only signals."))
            return
        if not self.joined and frame["type"] not in (events.JOIN_ROOM, events.PING):
            await self.send_error("not_joined", _("Send JOIN_ROOM first."))
            return
        try:
            await handler(payload)
        except ApplicationError as error:
            await self.send_error(error.code, error.message)
        except ValidationError as error:
            await self.send_error("bad_frame", "; ".join(error.messages))
        except Exception:  # a bug must not take the room down: log it, tell the client, go on
            logger.exception("room %s: handling %s failed", self.room_id, frame["type"])
            await self.send_error("server_error", _("Something went wrong on the server."))

    def handlers(self) -> dict[str, Handler]:
        return {
            events.JOIN_ROOM: self.on_join,
            events.OFFER: self.on_relay(events.OFFER, "sdp"),
            events.ANSWER: self.on_relay(events.ANSWER, "sdp"),
            events.ICE_CANDIDATE: self.on_relay(events.ICE_CANDIDATE, "candidate"),
            events.PUSH_QUESTION: self.on_push_question,
            events.CHAT: self.on_chat,
            events.MEDIA_STATE: self.on_media_state,
            events.END_INTERVIEW: self.on_end,
            events.PING: self.on_ping,
            events.EDITOR_STATE: self.on_editor_state,
            events.GUESS_LANGUAGE: self.on_guess_language,
            events.RUN_CODE: self.on_run_code,
            events.RUN_STDIN: self.on_run_stdin,
            events.RUN_STOP: self.on_run_stop,
            events.RUN_TESTS: self.on_run_tests,
            events.RUN_HISTORY: self.on_run_history,
        }

    async def on_join(self, payload: dict[str, Any]) -> None:
        room = payload.get("roomId")
        if not isinstance(room, str) or _as_uuid(room) != self.room_id:
            raise RoomRefused(_("roomId does not match this room."), code="forbidden")
        info = payload.get("userInfo") or {}
        if not isinstance(info, dict):
            raise RoomRefused(_("userInfo must be an object."), code="bad_frame")
        if self.is_recorder:
            await self._recorder_join()
            return
        # Listen before reading who is there, so nobody who joins in between is missed.
        groups = [events.room_group(self.room_id), events.peer_group(self.room_id, self.peer)]
        if self.may_lead:
            groups.append(events.leads_group(self.room_id))
        for group in groups:
            if group not in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups_joined.append(group)
        try:
            joined = await database_sync_to_async(rooms.room_join)(
                participant=self.participant,
                channel_name=self.channel_name,
                audio=info.get("audio") is True,
                video=info.get("video") is True,
            )
        except RoomRefused as refusal:
            self.leaving = True
            await self.send_error(refusal.code, refusal.message)
            await self.close(code=refusal.close_code or events.CLOSE_NOT_ALLOWED)
            return
        self.joined = True
        if self.heartbeat is None:
            self.heartbeat = asyncio.create_task(self._keep_present())
        if joined.replaced_channel:
            await self.channel_layer.send(joined.replaced_channel, {"type": "room.replaced"})
        peers = list(joined.peers)
        self.peers_joined_at = dict(joined.peers_joined_at or {})
        seat = await sync_to_async(recorder.seat_get, thread_sensitive=False)(room_id=self.room_id)
        if seat is not None:  # the recorder is a peer to send media to (the page shows no tile)
            peers.append(recorder.peer_entry(seat))
            self.peers_joined_at[seat.peer] = seat.joined_at
        self.peers = {peer["userId"] for peer in peers}
        await self.send_event(events.ROOM_PEERS, {"selfId": self.peer, "peers": peers})
        history = await database_sync_to_async(rooms.chat_history)(participant=self.participant)
        if history:
            await self.send_event(events.CHAT_HISTORY, {"messages": history})
        if seat is not None:
            state: events.RecordingState = {"recording": True}
            await self.send_event(events.RECORDING_STATE, dict(state))
        await self._to_room(
            events.USER_JOINED,
            {"userId": self.peer, "userInfo": joined.user_info},
            exclude_self=True,
            joined_at=joined.joined_at,
        )

    # --- the recorder's socket -------------------------------------------------------------
    async def _recorder_join(self) -> None:
        groups = [
            events.room_group(self.room_id),
            events.peer_group(self.room_id, self.peer),
            events.recorder_group(self.room_id),
        ]
        for group in groups:
            if group not in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups_joined.append(group)
        try:
            joined = await database_sync_to_async(rooms.room_join_recorder)(room_id=self.room_id)
            seat = self.recorder_seat or recorder.RecorderSeat(
                peer=self.peer, channel_name=self.channel_name, joined_at=timezone.now().isoformat()
            )
            if not await sync_to_async(recorder.seat_claim, thread_sensitive=False)(room_id=self.room_id, seat=seat):
                raise RoomRefused(
                    _("Another recorder is in this room."), code="recorder_busy", close_code=events.CLOSE_NOT_ALLOWED
                )
        except RoomRefused as refusal:
            self.leaving = True
            await self.send_error(refusal.code, refusal.message)
            await self.close(code=refusal.close_code or events.CLOSE_NOT_ALLOWED)
            return
        first = self.recorder_seat is None
        self.recorder_seat = seat
        self.joined = True
        if self.heartbeat is None:
            self.heartbeat = asyncio.create_task(self._keep_present())
        self.peers = {peer["userId"] for peer in joined.peers}
        self.peers_joined_at = dict(joined.peers_joined_at)
        await self.send_event(events.ROOM_PEERS, {"selfId": self.peer, "peers": joined.peers})
        if first:
            info = recorder.user_info()
            await self._to_room(
                events.USER_JOINED, {"userId": self.peer, "userInfo": info}, exclude_self=True, joined_at=seat.joined_at
            )
            state: events.RecordingState = {"recording": True}
            await self._to_room(events.RECORDING_STATE, dict(state), exclude_self=True)

    async def _recorder_leave(self) -> None:
        seat, self.recorder_seat = self.recorder_seat, None
        self.joined = False
        if seat is None:
            return
        released = await sync_to_async(recorder.seat_release, thread_sensitive=False)(
            room_id=self.room_id, channel_name=self.channel_name
        )
        if released and not self.room_is_closed:
            await self._to_room(events.USER_LEFT, {"userId": self.peer}, exclude_self=True)
            state: events.RecordingState = {"recording": False}
            await self._to_room(events.RECORDING_STATE, dict(state), exclude_self=True)

    def on_relay(self, kind: str, body: str) -> Handler:
        async def relay(payload: dict[str, Any]) -> None:
            target = self._target(payload.get("targetId"))
            if body not in payload or not isinstance(payload[body], str | dict | None):
                raise RoomRefused(_("%(kind)s needs %(field)s.") % {"kind": kind, "field": body}, code="bad_frame")
            delivered = {body: payload[body], "targetId": target, "fromId": self.peer}
            await self.channel_layer.group_send(
                events.peer_group(self.room_id, target), {"type": "room.event", "event": kind, "payload": delivered}
            )

        return relay

    async def on_push_question(self, payload: dict[str, Any]) -> None:
        if not self.may_lead:  # refused before any database work
            raise RoomRefused(_("Only interviewers can push questions."), code="forbidden")
        question = await database_sync_to_async(rooms.question_push)(
            participant=self.participant, question_id=payload.get("questionId")
        )
        await self._to_room(events.PUSH_QUESTION, {**question, "fromId": self.peer}, exclude_self=True)

    async def on_chat(self, payload: dict[str, Any]) -> None:
        target_id = payload.get("targetId")
        target = None
        if target_id is not None:
            target_id = self._target(target_id)
            target = await database_sync_to_async(rooms.participant_in_room)(
                interview_id=self.participant.interview_id, peer=target_id
            )
            if target is None:
                raise RoomRefused(_("targetId must name a peer in this room."), code="invalid_target")
        message = await database_sync_to_async(rooms.chat_post)(
            participant=self.participant, text=payload.get("text"), target=target
        )
        delivered = rooms.chat_payload(message, sender=self.participant, target=target)
        if target is None:
            await self._to_room(events.CHAT, dict(delivered), exclude_self=False)
        else:
            await self.channel_layer.group_send(
                events.peer_group(self.room_id, target.peer_id),
                {"type": "room.event", "event": events.CHAT, "payload": dict(delivered)},
            )
            await self.send_event(events.CHAT, dict(delivered))

    async def on_media_state(self, payload: dict[str, Any]) -> None:
        state = {key: payload.get(key) is True for key in ("audio", "video", "screen")}
        await self._to_room(events.MEDIA_STATE, {**state, "fromId": self.peer}, exclude_self=True)

    async def on_end(self, payload: dict[str, Any]) -> None:
        if not self.may_lead:
            raise RoomRefused(_("Only interviewers can end the interview."), code="forbidden")
        # the service broadcasts room.closed after commit; this socket closes when it arrives
        await database_sync_to_async(rooms.interview_end)(participant=self.participant)

    async def on_ping(self, payload: dict[str, Any]) -> None:
        await self.send_event(events.PONG, {})

    async def on_editor_state(self, payload: dict[str, Any]) -> None:
        if not payload:  # a question: what is the state now? (e.g. after a reconnect)
            state = await database_sync_to_async(documents.editor_state_for_participant)(participant=self.participant)
            if state is None:
                raise RoomRefused(_("This interview's stage does not use the editor."), code="tool_off")
            await self.send_event(events.EDITOR_STATE, {**state, "fromId": None})
            return
        # the service broadcasts the new state to the room (this socket too) after commit
        await database_sync_to_async(documents.editor_state_set)(participant=self.participant, changes=payload)

    async def on_guess_language(self, payload: dict[str, Any]) -> None:
        language = await database_sync_to_async(documents.language_guess, thread_sensitive=False)(
            code=payload.get("code")
        )
        await self.send_event(events.LANGUAGE_GUESS, {"language": language})

    # --- the Run button ------------------------------------------------------------------
    def _run_lock(self) -> str:
        return f"room-run:{self.room_id.hex}"

    async def on_run_code(self, payload: dict[str, Any]) -> None:
        run = await database_sync_to_async(live_runs.room_run_prepare)(
            participant=self.participant,
            language=payload.get("language"),
            code=payload.get("code"),
            stdin=payload.get("stdin", ""),
        )
        run_id = uuid.uuid4().hex
        # One program at a time per room, whichever process its participants are on: the panel
        # is shared. The lock outlives a crashed owner by at most the wall clock.
        lock_seconds = run.request.limits.wall_ms // 1000 + run.request.limits.compile_wall_ms // 1000 + 30
        if not await database_sync_to_async(cache.add, thread_sensitive=False)(self._run_lock(), run_id, lock_seconds):
            raise RoomRefused(_("A program is already running in this room; stop it first."), code="run_busy")
        self.live_run = LiveRun(
            run_id=run_id, run=run, broadcast=self._broadcast_run, release=lambda: self._release_run_lock(run_id)
        )
        await self._to_room(
            events.RUN_STARTED,
            {"runId": run_id, "language": run.request.language, "fromId": self.peer},
            exclude_self=False,
        )
        self.live_run.start()

    async def _release_run_lock(self, run_id: str) -> None:
        held = await database_sync_to_async(cache.get, thread_sensitive=False)(self._run_lock())
        if held == run_id:
            await database_sync_to_async(cache.delete, thread_sensitive=False)(self._run_lock())

    async def _broadcast_run(self, kind: str, payload: dict[str, Any]) -> None:
        await self._to_room(kind, payload, exclude_self=False)

    def _run_id(self, payload: dict[str, Any]) -> str:
        run_id = payload.get("runId")
        if not isinstance(run_id, str) or len(run_id) != 32:
            raise RoomRefused(_("runId must name the running program."), code="bad_frame")
        return run_id

    async def on_run_stdin(self, payload: dict[str, Any]) -> None:
        run_id = self._run_id(payload)
        text, eof = payload.get("text", ""), payload.get("eof") is True
        if not isinstance(text, str) or len(text) > 16 * 1024:
            raise RoomRefused(_("text must be at most 16 KiB of text."), code="bad_frame")
        await database_sync_to_async(live_runs.room_stdin_check)(participant=self.participant)
        message = {"type": "run.input", "runId": run_id, "text": text, "eof": eof, "fromId": self.peer}
        await self.channel_layer.group_send(events.room_group(self.room_id), message)

    async def on_run_stop(self, payload: dict[str, Any]) -> None:
        run_id = self._run_id(payload)
        await database_sync_to_async(live_runs.room_stdin_check)(participant=self.participant)
        await self.channel_layer.group_send(events.room_group(self.room_id), {"type": "run.stop", "runId": run_id})

    async def run_input(self, message: dict[str, Any]) -> None:
        live = self.live_run
        if live is not None and live.run_id == message.get("runId"):
            try:
                await live.write_stdin(str(message.get("text", "")), eof=message.get("eof") is True)
            except StdinRefused:
                error = {"code": "stdin_full", "message": _("The program is not reading its input; that was not sent.")}
                await self.channel_layer.group_send(
                    events.peer_group(self.room_id, str(message.get("fromId") or self.peer)),
                    {"type": "room.event", "event": events.ERROR, "payload": error},
                )

    async def run_stop(self, message: dict[str, Any]) -> None:
        live = self.live_run
        if live is not None and live.run_id == message.get("runId"):
            await live.stop()

    async def on_run_tests(self, payload: dict[str, Any]) -> None:
        if not self.may_lead:  # refused before any database or sandbox work
            raise RoomRefused(_("Only interviewers run the code against the test cases."), code="forbidden")
        # grading takes seconds: in a run thread, not the loop's shared default executor
        result = await in_run_thread(
            live_runs.room_tests_run,
            participant=self.participant,
            problem_id=payload.get("problemId"),
            language=payload.get("language"),
            code=payload.get("code"),
        )
        await self.channel_layer.group_send(
            events.leads_group(self.room_id),
            {"type": "room.event", "event": events.RUN_TESTS_RESULT, "payload": {**result, "fromId": self.peer}},
        )

    async def on_run_history(self, payload: dict[str, Any]) -> None:
        if not self.may_lead:
            raise RoomRefused(_("Only interviewers see the run history."), code="forbidden")
        history = await database_sync_to_async(live_runs.room_history)(participant=self.participant)
        await self.send_event(events.RUN_HISTORY, history)

    # --- events from the channel layer ---------------------------------------------------
    async def room_event(self, message: dict[str, Any]) -> None:
        if message.get("exclude") == self.peer or self.leaving:
            return
        kind, payload = message["event"], message["payload"]
        if self.is_recorder and kind not in recorder.DELIVERED_EVENTS:
            return  # the recorder signals; chat, questions and runs are not for it
        if kind == events.USER_JOINED:
            joined_at, known = message.get("joined_at", ""), self.peers_joined_at.get(payload["userId"], "")
            if joined_at and known and joined_at <= known:
                return  # published before this socket joined: ROOM_PEERS already listed that peer
            self.peers.add(payload["userId"])
            self.peers_joined_at[payload["userId"]] = joined_at
        elif kind == events.USER_LEFT:
            self.peers.discard(payload["userId"])
        await self.send_event(kind, payload)

    async def room_closed(self, message: dict[str, Any]) -> None:
        self.leaving = True
        self.room_is_closed = True
        await self._stop_heartbeat()
        await self.send_error("room_closed", message.get("reason") or _("The interview has ended."))
        await self.close(code=events.CLOSE_ROOM_CLOSED)

    async def room_replaced(self, message: dict[str, Any]) -> None:
        self.leaving = True
        self.joined = False  # the new socket holds the seat: no USER_LEFT for this one
        await self._stop_heartbeat()
        await self.send_error("replaced", _("You joined this room from another window."))
        await self.close(code=events.CLOSE_REPLACED)

    # --- helpers -------------------------------------------------------------------------
    def _target(self, target_id: Any) -> str:
        if not isinstance(target_id, str) or target_id not in self.peers:
            raise RoomRefused(_("targetId must name a peer in this room."), code="invalid_target")
        return target_id

    async def _to_room(
        self, kind: str, payload: dict[str, Any], *, exclude_self: bool, joined_at: str | None = None
    ) -> None:
        message = {"type": "room.event", "event": kind, "payload": payload}
        if exclude_self:
            message["exclude"] = self.peer
        if joined_at:
            message["joined_at"] = joined_at
        await self.channel_layer.group_send(events.room_group(self.room_id), message)

    async def _keep_present(self) -> None:
        # Presence is refreshed by the server while the socket lives, not by client frames: a
        # client that stays quiet (a candidate thinking, a client that never sends PING) is
        # still in the room, and only a socket whose process died goes stale.
        while True:
            await asyncio.sleep(rooms.PRESENCE_REFRESH_EVERY.total_seconds())
            try:
                if self.recorder_seat is not None:
                    await sync_to_async(recorder.seat_refresh, thread_sensitive=False)(
                        room_id=self.room_id, seat=self.recorder_seat
                    )
                    continue
                await database_sync_to_async(rooms.room_touch)(
                    participant_id=self.participant.pk, channel_name=self.channel_name
                )
            except Exception:  # a database hiccup must not end the heartbeat; the next one retries
                logger.exception("room %s: refreshing presence failed", self.room_id)

    async def _stop_heartbeat(self) -> None:
        task, self.heartbeat = self.heartbeat, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def send_event(self, kind: str, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"type": kind, "payload": payload}))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_event(events.ERROR, {"code": code, "message": str(message)})


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse(text: str) -> Any:
    """The JSON value of a frame; ValueError for anything a browser's ``JSON.parse`` would refuse.

    Python's parser is laxer: it reads NaN and Infinity (relayed, they would break the receiving
    page), raises RecursionError on deep nesting, and turns ``\\ud800`` escapes into lone
    surrogates that neither UTF-8 nor a database accepts.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
        if "\\u" in text:
            json.dumps(value, ensure_ascii=False).encode()  # UnicodeEncodeError is a ValueError
    except RecursionError as error:
        raise ValueError("nested too deeply") from error
    return value


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class YjsConsumer(RealtimeConsumer):
    """One socket of a room's shared document, speaking the y-websocket protocol (DESIGN.md §4.2)."""

    access: documents.DocumentAccess
    shared: yjs.SharedDocument | None = None
    group: str = ""
    locked: bool = False
    closing: bool = False

    async def connect(self) -> None:
        self.guard = FloodGuard(settings.YJS_RATE_PER_SECOND, settings.YJS_RATE_BURST)
        #: awareness client ids this socket speaks for, with their latest clock and frame
        self.clients: dict[int, int] = {}
        self.last_awareness: bytes | None = None
        self.denied_sent = False
        kwargs = self.scope["url_route"]["kwargs"]
        try:
            room_id = uuid.UUID(kwargs["room_id"])
        except ValueError:
            await self.close(code=events.CLOSE_NOT_ALLOWED)
            return
        try:
            participant = await authenticate(self.scope, room_id)
            self.access = await database_sync_to_async(documents.document_access)(
                participant=participant, name=kwargs["doc_name"]
            )
        except RoomRefused as refusal:
            await self.accept()  # then close with a code the client can read (4401 / 4403)
            await self.close(code=refusal.close_code or events.CLOSE_NOT_ALLOWED)
            return
        self.locked = self.access.locked
        self.group = events.document_group(room_id, self.access.name)
        # the process's copy of the document subscribes to the group once for all its sockets
        self.shared = await yjs.acquire(self.access.document_id, group=self.group, layer=self.channel_layer)
        self.shared.local.add(self)
        await self.accept()
        await self.send(bytes_data=yjs.sync_message(yjs.SYNC_STEP1, self.shared.state_vector()))
        await self._ask_awareness()

    async def disconnect(self, code: int) -> None:
        shared, self.shared = self.shared, None
        if shared is not None:
            shared.local.discard(self)
        if self.clients and shared is not None:  # tell the others this socket's cursors are gone
            gone = [yjs.AwarenessEntry(client, clock + 1, None) for client, clock in self.clients.items()]
            self.clients = {}
            await self._fan_out(shared, "yjs.awareness", yjs.awareness_message(yjs.encode_awareness(gone)))
        if shared is not None:
            await yjs.release(shared)

    # --- frames from the client ----------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing or self.shared is None:
            return
        if bytes_data is None:
            return await self._refuse(1003, "text frames are not part of the protocol")
        if len(bytes_data) > settings.YJS_MAX_FRAME_BYTES:
            return await self._refuse(events.CLOSE_TOO_BIG, "frame too large")
        if not self.guard.admit():
            if self.guard.exhausted:
                await self._refuse(events.CLOSE_POLICY, "too many frames")
            return
        try:
            message = yjs.parse(bytes_data)
            await self._handle(message)
        except ValueError as error:  # malformed: this socket goes, the document is untouched
            logger.info("room %s doc %s: refused a frame: %s", self.access.room_id, self.access.name, error)
            await self._refuse(1003, "malformed frame")

    async def _handle(self, message: yjs.Message) -> None:
        if self.shared is None:
            return
        if message.kind == yjs.MESSAGE_SYNC and message.step == yjs.SYNC_STEP1:
            await self.send(bytes_data=yjs.sync_message(yjs.SYNC_STEP2, self.shared.missing(message.body)))
        elif message.kind == yjs.MESSAGE_SYNC:
            if not self._may_write():
                if not self.denied_sent:  # once per lock is enough for the provider to log it
                    self.denied_sent = True
                    await self.send(bytes_data=yjs.permission_denied_message("the editor is locked"))
                return
            changed = self.shared.apply(message.body)
            if changed is not None:
                self.shared.record(author_id=self.access.participant_id, update=changed)
                await self._fan_out(self.shared, "yjs.update", yjs.sync_message(yjs.SYNC_UPDATE, changed), changed)
        elif message.kind == yjs.MESSAGE_AWARENESS:
            await self._on_awareness(message.body)
        elif message.kind == yjs.MESSAGE_QUERY_AWARENESS:
            await self._ask_awareness()
        # MESSAGE_AUTH from a client means nothing to the server

    async def _on_awareness(self, body: bytes) -> None:
        entries = yjs.parse_awareness(body)
        stamped = []
        for entry in entries:
            state = entry.state
            if isinstance(state, dict):
                # names on cursors come from the server, never from the client
                user: dict[str, Any] = state["user"] if isinstance(state.get("user"), dict) else {}
                state = {**state, "user": {**user, "name": self.access.display_name, "peerId": self.access.peer}}
            elif state is not None:
                raise ValueError("an awareness state is an object or null")
            if state is None:
                self.clients.pop(entry.client_id, None)
            else:
                self.clients[entry.client_id] = entry.clock
            stamped.append(yjs.AwarenessEntry(entry.client_id, entry.clock, state))
        frame = yjs.awareness_message(yjs.encode_awareness(stamped))
        live = [e for e in stamped if e.state is not None]
        self.last_awareness = yjs.awareness_message(yjs.encode_awareness(live)) if live else None
        if self.shared is not None:
            await self._fan_out(self.shared, "yjs.awareness", frame)

    def _may_write(self) -> bool:
        if self.access.read_only:
            return False
        return self.access.writes_when_locked or not self.locked

    # --- the channel layer ---------------------------------------------------------------
    # What other processes and the domain send, handed over by yjs.SharedDocument.listen (the
    # process's own frames reach its sockets directly).
    async def send_frame(self, frame: bytes) -> None:
        if self.shared is not None and not self.closing:
            await self.send(bytes_data=frame)

    async def yjs_awareness(self, message: dict[str, Any]) -> None:
        await self.send_frame(message["data"])

    async def yjs_awareness_query(self, message: dict[str, Any]) -> None:
        if self.last_awareness is not None:
            await self.channel_layer.send(
                message["origin"], {"type": "yjs.awareness", "data": self.last_awareness, "origin": self.channel_name}
            )

    async def yjs_state(self, message: dict[str, Any]) -> None:
        self.locked = bool(message["locked"])
        self.denied_sent = False

    async def room_closed(self, message: dict[str, Any]) -> None:
        await self._refuse(events.CLOSE_ROOM_CLOSED, "the interview has ended")

    # --- helpers -------------------------------------------------------------------------
    async def _fan_out(self, shared: yjs.SharedDocument, kind: str, frame: bytes, data: bytes | None = None) -> None:
        """Send ``frame`` to the document's other sockets: this process's directly, the rest via
        the channel layer (``data`` is what travels there; the frame itself by default)."""
        for other in list(shared.local):
            if other is not self and not other.closing:
                try:
                    await other.send_frame(frame)
                except Exception:  # that socket is going away; its disconnect cleans up
                    logger.debug("document %s: a socket went away mid-send", shared.document_id, exc_info=True)
        if not self._single_process():
            await self.channel_layer.group_send(
                self.group,
                {
                    "type": kind,
                    "data": frame if data is None else data,
                    "origin": shared.channel,
                    "process": yjs.PROCESS_ID,
                },
            )

    async def _ask_awareness(self) -> None:
        if self.shared is not None:
            for other in list(self.shared.local):
                if other is not self and other.last_awareness is not None:
                    await self.send(bytes_data=other.last_awareness)
        if not self._single_process() and self.shared is not None:
            # the answers come to the process's channel, which hands them to its sockets
            await self.channel_layer.group_send(
                self.group, {"type": "yjs.awareness.query", "origin": self.shared.channel, "process": yjs.PROCESS_ID}
            )

    def _single_process(self) -> bool:
        # the in-memory layer cannot reach another process: every socket is in shared.local
        return isinstance(self.channel_layer, InMemoryChannelLayer)

    async def _refuse(self, code: int, reason: str) -> None:
        self.closing = True
        await self.close(code=code, reason=reason)
