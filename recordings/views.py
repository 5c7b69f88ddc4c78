"""The media stream of one recording: signed, re-authorized at every request, with HTTP Range.

``GET /recordings/<pk>/media/?sig=...`` (URL name ``recording_media``). A request is served only
when the user is signed in, the signature was made for this recording and this user and has not
expired (``recordings.urls_signing``), and the user may still see the interview now. Video
players fetch with ``Range`` and seek with more requests; only the chunks that cover the asked
range are decrypted. Nothing is cached on the way (``private, no-store``).

A file that fails authentication (damaged, cut, or written under a key no longer configured) is
answered 503 and logged, never served: the first block is decrypted before the headers go out.
Damage found further on, once the headers are sent, ends the stream short of its
``Content-Length`` and is logged once, without a traceback. (ASGI has no way to abort a response,
so under daphne the connection stays open: the client learns that it was cut when its read
times out, and its next Range request, starting at the damaged block, is answered 503.)
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from recordings import storage
from recordings.crypto import DecryptingReader, RecordingCryptoError
from recordings.models import Recording
from recordings.selectors import recording_get_visible
from recordings.urls_signing import recording_signature_valid

logger = logging.getLogger(__name__)

#: bytes read (and sent) per step: four encrypted chunks
BLOCK_SIZE = 256 * 1024
#: at most 19 digits (below 2**63): longer numbers are no file's offsets, and int() of thousands
#: of digits raises; such a header is ignored like any other this server does not handle
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d{0,19})\s*-\s*(\d{0,19})\s*$", re.IGNORECASE)


class RangeNotSatisfiable(Exception):
    pass


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The ``[start, stop)`` a ``Range`` header asks for, None to send everything.

    Raises :class:`RangeNotSatisfiable` when it asks only for bytes past the end. A header this
    server does not handle (another unit, several ranges, bad syntax) is ignored, as RFC 9110
    allows: the whole file is sent with 200.
    """
    match = _RANGE.match(header or "")
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - length), size
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable
    stop = min(int(last) + 1, size) if last else size
    return start, stop


def _unreadable_logged(recording_id: int, exc: RecordingCryptoError, *, position: int | None = None) -> None:
    where = "when opened" if position is None else f"at byte {position}, the response cut short"
    logger.error("recording %s cannot be read (%s): %s", recording_id, where, exc)


class _Stream:
    """Plaintext bytes ``[start, stop)`` of an open recording; closes the reader when done.

    ``first`` is the block at ``start``, already decrypted by the view (so a file damaged there is
    refused before any header is sent). Damage found later ends the stream: logged once, no
    exception (it would only reach the server as a traceback after the headers are out).
    """

    def __init__(self, reader: DecryptingReader, start: int, stop: int, *, recording_id: int, first: bytes) -> None:
        self.reader, self.start, self.stop = reader, start, stop
        self.recording_id = recording_id
        self.first = first

    def _piece(self, position: int) -> bytes | None:
        """The block at ``position``; None when it fails authentication (logged)."""
        try:
            self.reader.seek(position)
            return self.reader.read(min(BLOCK_SIZE, self.stop - position)) or b""
        except RecordingCryptoError as exc:
            _unreadable_logged(self.recording_id, exc, position=position)
            return None

    def close(self) -> None:
        self.reader.close()


class _SyncStream(_Stream):
    def __iter__(self) -> Iterator[bytes]:
        piece: bytes | None = self.first
        position = self.start
        while piece:
            position += len(piece)
            yield piece
            piece = self._piece(position) if position < self.stop else None


class _AsyncStream(_Stream):
    """Under ASGI: decrypt in a worker thread, one block at a time (never the whole range in memory)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        read = sync_to_async(self._piece, thread_sensitive=False)
        piece: bytes | None = self.first
        position = self.start
        while piece:
            position += len(piece)
            yield piece
            piece = await read(position) if position < self.stop else None


def _etag(recording: Recording, size: int) -> str:
    digest = hashlib.sha256(f"{recording.file_name}:{size}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def _private(response: HttpResponseBase, recording: Recording) -> HttpResponseBase:
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Content-Disposition"] = f'inline; filename="recording-{recording.pk}.webm"'
    response["Vary"] = "Cookie"
    return response


def _unreadable(recording: Recording, exc: RecordingCryptoError) -> HttpResponseBase:
    _unreadable_logged(recording.pk, exc)
    response = HttpResponse(
        _("This recording cannot be read (damaged file or missing key)."),
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    return _private(response, recording)


@login_required
@require_http_methods(["GET", "HEAD"])
def recording_media(request: HttpRequest, pk: int) -> HttpResponseBase:
    if not recording_signature_valid(signature=request.GET.get("sig", ""), recording_id=pk, user=request.user):
        return HttpResponse(_("This link is not valid (any more). Reload the page."), status=403)
    recording = recording_get_visible(actor=request.user, recording_id=pk)
    if recording is None:
        # The signature was made for this user, but they may not see the interview any more.
        if not Recording.objects.filter(pk=pk).exists():
            raise Http404(_("No such recording."))
        return HttpResponse(_("You may not see this interview's recordings."), status=403)
    try:
        reader = storage.recording_open(recording)
    except storage.RecordingUnavailable:
        return _private(HttpResponse(_("This recording was deleted."), status=410), recording)
    except RecordingCryptoError as exc:
        return _unreadable(recording, exc)

    keep_open = False
    try:
        size = reader.size
        etag = _etag(recording, size)
        wanted: tuple[int, int] | None = None
        if_range = request.headers.get("If-Range")
        if if_range is None or if_range.strip() == etag:
            try:
                wanted = byte_range(request.headers.get("Range", ""), size)
            except RangeNotSatisfiable:
                response: HttpResponseBase = HttpResponse(status=416)
                response["Content-Range"] = f"bytes */{size}"
                response["Accept-Ranges"] = "bytes"
                return _private(response, recording)
        start, stop = wanted if wanted is not None else (0, size)
        if request.method == "HEAD":
            response = HttpResponse(content_type=recording.content_type)
        else:
            try:
                reader.seek(start)
                first = reader.read(min(BLOCK_SIZE, stop - start)) or b""
            except RecordingCryptoError as exc:
                return _unreadable(recording, exc)
            stream_class = _AsyncStream if isinstance(request, ASGIRequest) else _SyncStream
            stream = stream_class(reader, start, stop, recording_id=recording.pk, first=first)
            response = StreamingHttpResponse(stream, content_type=recording.content_type)
            keep_open = True  # the response closes the reader when it is done
        response["Content-Length"] = str(stop - start)
        response["Accept-Ranges"] = "bytes"
        response["ETag"] = etag
        if wanted is not None:
            response.status_code = 206
            response["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
        return _private(response, recording)
    finally:
        if not keep_open:
            reader.close()
