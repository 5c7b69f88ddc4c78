"""Real daphne processes serving the project's ASGI app on 127.0.0.1 against the test database.

Tests that need a live server with WebSockets (aiortc peers, headless Chromium in the room) start
one or more with :func:`daphne_server`. The test must use ``django_db(transaction=True)`` so the
rows it creates are committed and visible to the server process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url_of_tests() -> str:
    """A ``DATABASE_URL`` naming the database the running tests use (not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"daphne did not listen on {port} within 30 s:\n{log.read_text()[-3000:]}")


@contextmanager
def daphne_server(*, redis: bool = False, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve the app with daphne in a subprocess; yields its base URL ``http://127.0.0.1:<port>``.

    ``redis=True`` gives it the Redis channel layer (``settings.REDIS_URL``), so several servers
    started this way form one cluster; otherwise it has its own in-memory layer.
    """
    port = free_port()
    child_env = {
        **os.environ,
        "DATABASE_URL": database_url_of_tests(),
        "DEBUG": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PYTHONUNBUFFERED": "1",
    }
    child_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if redis:
        child_env["REDIS_URL"] = settings.REDIS_URL
    else:
        child_env["REDIS_URL"] = ""
    child_env.update(env or {})
    log_dir = ROOT / "var" / "test" / "daphne"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # our own interpreter and module, fixed arguments
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "talentsync.asgi:application"],
            cwd=ROOT,
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_listening(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
