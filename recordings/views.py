"""The media stream of one recording: signed, re-authorized at every request, with HTTP Range.

``GET /recordings/<pk>/media/?sig=...`` (URL name ``recording_media``). A request is served only
when the user is signed in, the signature was made for this recording and this user and has not
expired (``recordings.urls_signing``), and the user may still see the interview now. Video
players fetch with ``Range`` and seek with more requests; only the chunks that cover the asked
range are decrypted. Nothing is cached on the way (``private, no-store``).
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
from recordings.crypto import DecryptingReader
from recordings.models import Recording
from recordings.selectors import recording_get_visible
from recordings.urls_signing import recording_signature_valid

logger = logging.getLogger(__name__)

#: bytes read (and sent) per step: four encrypted chunks
BLOCK_SIZE = 256 * 1024
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


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


class _Stream:
    """Plaintext bytes ``[start, stop)`` of an open recording; closes the reader when done."""

    def __init__(self, reader: DecryptingReader, start: int, stop: int) -> None:
        self.reader, self.start, self.stop = reader, start, stop

    def _piece(self, position: int) -> bytes:
        self.reader.seek(position)
        return self.reader.read(min(BLOCK_SIZE, self.stop - position)) or b""

    def close(self) -> None:
        self.reader.close()


class _SyncStream(_Stream):
    def __iter__(self) -> Iterator[bytes]:
        position = self.start
        while position < self.stop:
            piece = self._piece(position)
            if not piece:
                return
            position += len(piece)
            yield piece


class _AsyncStream(_Stream):
    """Under ASGI: decrypt in a worker thread, one block at a time (never the whole range in memory)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        read = sync_to_async(self._piece, thread_sensitive=False)
        position = self.start
        while position < self.stop:
            piece = await read(position)
            if not piece:
                return
            position += len(piece)
            yield piece


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
            stream_class = _AsyncStream if isinstance(request, ASGIRequest) else _SyncStream
            response = StreamingHttpResponse(stream_class(reader, start, stop), content_type=recording.content_type)
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
