"""Per-request facts (client IP) that services need for the audit log without taking a request.

Middleware sets them for HTTP; consumers and tasks may set them too. A ContextVar is right here:
it is per-thread and per-asyncio-task, so concurrent requests never see each other's values.
"""

from __future__ import annotations

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
