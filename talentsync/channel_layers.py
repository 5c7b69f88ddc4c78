"""The in-memory channel layer of the embedded default (one web process), made to scale with sockets.

Channels' ``InMemoryChannelLayer`` walks every channel and every group to drop expired messages and
memberships on *each* send, group send and receive: with 200 sockets in 100 rooms that walk was a
quarter of the server's CPU in ``bench/signaling.py``. Expiry is measured in minutes
(``expiry`` 60 s, ``group_expiry`` a day), so doing the walk at most once a second changes nothing
a client can see. Everything else is Channels' own layer.
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer

CLEAN_EVERY_SECONDS = 1.0


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    """Channels' in-memory layer, sweeping expired messages at most once a second."""

    _cleaned_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._cleaned_at < CLEAN_EVERY_SECONDS:
            return
        self._cleaned_at = now
        super()._clean_expired()
