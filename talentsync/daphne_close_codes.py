"""Let daphne close WebSockets with the protocol's own status codes (1003, 1008, 1009, 1011).

RFC 6455 §7.4.1 gives servers 1003 (unacceptable data), 1008 (policy violation), 1009 (message
too big) and 1011 (unexpected condition), and DESIGN.md §4.1/§4.2 promise them to clients. daphne
hands the ASGI close code to autobahn's ``sendClose``, which accepts only 1000 and 3000–4999 from
an application and raises for the rest — the socket then dies without its close frame. This
patch sends those four codes through autobahn's lower-level ``sendCloseFrame`` (the method
``sendClose`` ends in) and leaves every other code to daphne. It is applied once, when the ASGI
application is imported inside a daphne process; nothing else changes.
"""

from __future__ import annotations

from typing import Any

PROTOCOL_CODES = frozenset({1003, 1008, 1009, 1011})


def install() -> None:
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:  # not served by daphne
        return
    if getattr(WebSocketProtocol, "_talentsync_close_codes", False):
        return
    original = WebSocketProtocol.serverClose

    def server_close(self: Any, code: int | None = None) -> None:
        if code in PROTOCOL_CODES:
            self.sendCloseFrame(code=code, reasonUtf8=None, isReply=False)
        else:
            original(self, code=code)

    WebSocketProtocol.serverClose = server_close
    WebSocketProtocol._talentsync_close_codes = True
