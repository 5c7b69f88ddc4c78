"""Which local addresses the recorder offers as ICE host candidates (``MEDIA_ICE_ADDRESSES``).

aioice gathers on every interface except loopback and has no option to choose: on a multi-homed
host (or a container whose only route to the browsers is one interface, or the loopback in tests)
the list is replaced here, once, when the media process starts.
"""

from __future__ import annotations

import aioice.ice
from django.conf import settings


def limit_host_addresses(addresses: list[str] | None = None) -> None:
    chosen = list(addresses if addresses is not None else settings.MEDIA_ICE_ADDRESSES)
    if chosen:
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: list(chosen)  # type: ignore[assignment]
