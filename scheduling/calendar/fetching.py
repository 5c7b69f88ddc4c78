"""Outgoing requests to URLs that users typed (busy-calendar ICS, CalDAV): scheme, host and size checks.

A user-supplied URL fetched by the server could point at the server's own network (SSRF). Only
http and https are accepted, and unless ``settings.CALENDAR_FETCH_ALLOW_PRIVATE`` is true (it
defaults to ``DEBUG``, so local development and the tests may use 127.0.0.1) every address the
host resolves to must be public. Redirects are followed by hand, re-checking each hop. The check
happens before connecting, so a DNS answer that changes between the check and the connection is
not covered; deployments that need that should also filter egress at the network level.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urljoin, urlparse

import requests
from django.conf import settings
from django.utils.translation import gettext as _

#: connect and read timeouts (seconds)
FETCH_TIMEOUT = (5, 15)
MAX_REDIRECTS = 3
USER_AGENT = "TalentSync calendar import (+https://talentsync.local)"


class FetchRefused(Exception):
    """The URL may not or could not be fetched; the message is for the user."""


def _allow_private() -> bool:
    return bool(getattr(settings, "CALENDAR_FETCH_ALLOW_PRIVATE", settings.DEBUG))


def check_remote_url(url: str, *, purpose: str = "ics") -> None:
    """Refuse URLs that are not http(s) or (in production) point at private addresses."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https"):
        if parsed.scheme == "webcal":
            raise FetchRefused(_("Use the https:// form of the address (replace webcal:// with https://)."))
        raise FetchRefused(_("Only http:// and https:// addresses can be used."))
    if not parsed.hostname:
        raise FetchRefused(_("The address has no host name."))
    if _allow_private():
        return
    if purpose == "caldav" and parsed.scheme != "https":
        raise FetchRefused(_("A CalDAV server must be reached over https:// (the password is sent to it)."))
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80))
    except OSError as exc:
        raise FetchRefused(_("The host name %(host)s could not be found.") % {"host": parsed.hostname}) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchRefused(_("This address points at a private network and cannot be used."))


def fetch_limited(url: str, *, max_bytes: int) -> bytes:
    """GET ``url`` (checked, redirects re-checked) and return at most ``max_bytes``; raises FetchRefused."""
    for _hop in range(MAX_REDIRECTS + 1):
        check_remote_url(url)
        try:
            response = requests.get(
                url,
                timeout=FETCH_TIMEOUT,
                stream=True,
                allow_redirects=False,
                headers={"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"},
            )
        except requests.Timeout as exc:
            raise FetchRefused(_("The calendar server did not answer in time.")) from exc
        except requests.RequestException as exc:
            raise FetchRefused(_("The calendar server could not be reached.")) from exc
        with response:
            if response.is_redirect and response.headers.get("Location"):
                url = urljoin(url, response.headers["Location"])
                continue
            if response.status_code != 200:
                raise FetchRefused(
                    _("The calendar server answered HTTP %(status)d.") % {"status": response.status_code}
                )
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchRefused(_too_big(max_bytes))
            body = bytearray()
            try:
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > max_bytes:
                        raise FetchRefused(_too_big(max_bytes))
            except requests.RequestException as exc:
                raise FetchRefused(_("The calendar download was interrupted.")) from exc
            return bytes(body)
    raise FetchRefused(_("The calendar address redirects too often."))


def _too_big(max_bytes: int) -> str:
    return _("The calendar is larger than %(mib)s MiB.") % {"mib": f"{max_bytes / (1024 * 1024):g}"}
