"""Helpers for browser tests: a real SMTP inbox, headless Chromium and screenshots."""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, never a downloaded one."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def log_in(
    browser: Browser,
    base_url: str,
    user: Any,
    problems: list[str],
    *,
    dark: bool = False,
    viewport: tuple[int, int] = (1280, 900),
) -> Page:
    """A new page signed in as ``user``; page errors and console errors are added to ``problems``.

    A CSP violation is reported on the console as an error, so a page that breaks the policy
    fails the tests that assert ``problems == []`` (the site has no favicon: not ours).
    """
    from accounts.factories import PASSWORD

    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme="dark" if dark else "light")
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self._messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self._messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def wait_for(self, *, to: str, seconds: float = 5.0) -> EmailMessage:
        """The first message addressed to ``to``, waiting up to ``seconds`` for it to arrive."""
        deadline = time.monotonic() + seconds
        while True:
            for message in self.messages():
                if to in message.get("To", ""):
                    return message
            if time.monotonic() > deadline:
                raise AssertionError(f"no e-mail to {to} within {seconds}s; got {[m['To'] for m in self.messages()]}")
            time.sleep(0.05)


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that stores what it receives in ``inbox``."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.host = "127.0.0.1"
        self.port = free_port()
        self._controller = Controller(self.inbox, hostname=self.host, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
