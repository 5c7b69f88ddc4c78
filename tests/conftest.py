"""Shared fixtures: two organizations with one user per role, and service availability."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client

from accounts.factories import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory
from accounts.models import Membership, Organization, Role, User
from tests.browser import SmtpServer

ROLES = [r.value for r in Role]


@dataclass
class Tenant:
    org: Organization
    users: dict[str, User]

    def client(self, role: str) -> Client:
        client = Client()
        client.force_login(self.users[role])
        return client


def _make_tenant(slug: str) -> Tenant:
    org = OrganizationFactory(name=slug.title(), slug=slug)
    users = {}
    for role in ROLES:
        user = UserFactory(email=f"{role}@{slug}.test", full_name=f"{role.title()} of {slug.title()}")
        MembershipFactory(user=user, organization=org, role=role)
        users[role] = user
    return Tenant(org=org, users=users)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Start every test with an empty cache (rate limits live there), without flushing Redis."""
    from django.core.cache import cache
    from django.core.cache.backends.redis import RedisCache

    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture
def one_throttle_window(monkeypatch: pytest.MonkeyPatch) -> float:
    """Pin the throttles' clock, so a test's hits all fall into one fixed window.

    The windows are fixed (see assessments.throttles): hits sent in real time can straddle a
    window's end and be counted in two windows, which lets the one meant to be refused through.
    """
    from types import SimpleNamespace

    from assessments import throttles

    pinned = 1_800_000_000.0
    monkeypatch.setattr(throttles, "time", SimpleNamespace(time=lambda: pinned))
    return pinned


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd on 127.0.0.1) that Django's SMTP backend delivers to."""
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()


@pytest.fixture
def acme(db) -> Tenant:
    return _make_tenant("acme")


@pytest.fixture
def globex(db) -> Tenant:
    return _make_tenant("globex")


@pytest.fixture
def password() -> str:
    return PASSWORD


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


# --- real services ---------------------------------------------------------------------
def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def services_problem() -> str | None:
    """Why the PostgreSQL + Redis tests cannot run here, or None when they can."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        return "DATABASE_URL does not point at PostgreSQL (embedded SQLite in use)"
    if not settings.REDIS_URL:
        return "REDIS_URL is not set (in-memory channel layer and local cache in use)"
    if not _reachable(settings.REDIS_URL, 6379):
        return f"Redis at {settings.REDIS_URL} is not reachable"
    return None


@pytest.fixture
def real_services() -> None:
    """Skip (or, with REQUIRE_SERVICES=1 as in CI, fail) unless PostgreSQL and Redis are in use."""
    problem = services_problem()
    if problem:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but {problem}")
        pytest.skip(f"needs PostgreSQL and Redis: {problem}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("services") and "real_services" not in getattr(item, "fixturenames", []):
            item.fixturenames.insert(0, "real_services")  # type: ignore[attr-defined]


def membership(user: User, org: Organization) -> Membership:
    return Membership.objects.get(user=user, organization=org)
