"""The media process's loop: which rooms to record, a :class:`RoomRecorder` in each.

Every ``MEDIA_POLL_SECONDS`` it reads the rooms where recording is allowed now (open interview,
stage with recording on, someone present, everyone present consenting; ``rooms_to_record``) and
joins those it is not in yet, at most ``MEDIA_MAX_ROOMS`` at once. A recorder in a room where it
is no longer allowed is told to leave; a recorder also leaves by itself as soon as it sees a
peer without consent, a withdrawal, the end of the interview or an empty room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from asgiref.sync import sync_to_async
from django.conf import settings

from recordings.consent import room_recording_allowed
from recordings.recorder.peer import RoomRecorder
from recordings.recorder.services import rooms_to_record

logger = logging.getLogger(__name__)


class MediaWatcher:
    """Starts and stops room recorders as the rooms' state says."""

    def __init__(self, *, base_url: str | None = None, poll_seconds: float | None = None) -> None:
        self.base_url = base_url or settings.MEDIA_ROOM_URL
        self.poll_seconds = poll_seconds if poll_seconds is not None else settings.MEDIA_POLL_SECONDS
        self.recorders: dict[int, tuple[RoomRecorder, asyncio.Task[int | None]]] = {}
        self.stopping = asyncio.Event()
        #: session ids stored so far (tests and logs read them)
        self.sessions: list[int] = []

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> None:
        """Watch until :meth:`stop`; then every recorder leaves and stores its files."""
        try:
            while not self.stopping.is_set():
                try:
                    await self.poll()
                except Exception:  # the database may hiccup: the next poll retries
                    logger.exception("media: polling the rooms failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), self.poll_seconds)
        finally:
            for recorder, _task in self.recorders.values():
                recorder.stop("the media process is stopping")
            await asyncio.gather(*(task for _r, task in self.recorders.values()), return_exceptions=True)
            self._reap()

    async def poll(self) -> None:
        """One look at the rooms: reap finished recorders, stop those not allowed, start new ones."""
        self._reap()
        for interview_id, (recorder, _task) in list(self.recorders.items()):
            if not await sync_to_async(room_recording_allowed)(interview_id=interview_id):
                recorder.stop("recording is no longer allowed in this room")
        free = settings.MEDIA_MAX_ROOMS - len(self.recorders)
        rooms = await sync_to_async(rooms_to_record)(limit=free, busy=set(self.recorders))
        for room in rooms:
            self.start(interview_id=room.interview_id, room_id=room.room_id)

    def start(self, *, interview_id: int, room_id: uuid.UUID) -> RoomRecorder:
        recorder = RoomRecorder(interview_id=interview_id, room_id=room_id, base_url=self.base_url)
        task = asyncio.ensure_future(recorder.run())
        self.recorders[interview_id] = (recorder, task)
        logger.info("media: recording room %s (interview %s)", room_id, interview_id)
        return recorder

    def _reap(self) -> None:
        for interview_id, (_recorder, task) in list(self.recorders.items()):
            if not task.done():
                continue
            del self.recorders[interview_id]
            if task.cancelled():
                continue
            if task.exception() is not None:
                logger.error("media: the recorder of interview %s failed", interview_id, exc_info=task.exception())
            elif task.result() is not None:
                self.sessions.append(task.result())  # type: ignore[arg-type]
