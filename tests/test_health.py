"""``/healthz`` and ``/readyz`` against the configured backends, and with one backend really down."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from talentsync.celery import app as celery_app

CHECK_NAMES = {"database", "cache", "channel_layer", "broker"}


def closed_local_port() -> int:
    """A local TCP port nothing listens on: bound for a moment to pick it, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dead_redis_url() -> str:
    return f"redis://127.0.0.1:{closed_local_port()}/0"


@pytest.fixture
def broker_down(dead_redis_url: str) -> Iterator[str]:
    """Point the Celery app's producer connection at a closed port, and put it back afterwards.

    The app read its configuration when it was first used, so overriding Django settings would
    not reach it. ``connection_for_write()`` (what the broker check uses) reads
    ``broker_write_url`` first, and unlike ``broker_url`` that one is not overridden by a
    ``CELERY_BROKER_URL`` environment variable.
    """
    saved = {key: celery_app.conf.get(key) for key in ("broker_url", "broker_write_url")}
    celery_app.conf.broker_url = dead_redis_url
    celery_app.conf.broker_write_url = dead_redis_url
    yield dead_redis_url
    for key, value in saved.items():
        setattr(celery_app.conf, key, value)


def test_healthz_answers_ok_without_touching_backends(client: Client) -> None:
    # given: no database access is allowed in this test (no db fixture)

    # when
    response = client.get("/healthz")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_every_check_ok_on_the_configured_backends(client: Client) -> None:
    # given: the backends of this run (embedded default or the services from the environment)

    # when
    response = client.get("/readyz")

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECK_NAMES
    assert all(check == {"status": "ok"} for check in body["checks"].values()), body


@pytest.mark.django_db
def test_readyz_answers_503_naming_the_cache_when_the_cache_is_down(
    client: Client, settings, dead_redis_url: str
) -> None:
    # given: a Redis cache on a port where nothing listens
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead_redis_url}
    }

    # when
    response = client.get("/readyz")

    # then
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["cache"]["status"] == "error"
    assert "ConnectionError" in body["checks"]["cache"]["error"]
    others = {name: check["status"] for name, check in body["checks"].items() if name != "cache"}
    assert others == {"database": "ok", "channel_layer": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_answers_503_naming_the_broker_when_the_broker_is_down(client: Client, broker_down: str) -> None:
    # given: the Celery broker on a port where nothing listens (fixture)

    # when
    response = client.get("/readyz")

    # then
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["broker"]["status"] == "error"
    assert "OperationalError" in body["checks"]["broker"]["error"]
    others = {name: check["status"] for name, check in body["checks"].items() if name != "broker"}
    assert others == {"database": "ok", "cache": "ok", "channel_layer": "ok"}


@pytest.mark.services
@pytest.mark.django_db
def test_readyz_is_ok_against_real_postgresql_and_redis(client: Client) -> None:
    # given: every backend is a real server (PostgreSQL; Redis for cache, channel layer and broker)
    assert connection.vendor == "postgresql"
    assert django_settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert type(get_channel_layer()).__name__ == "RedisPubSubChannelLayer"
    assert celery_app.conf.broker_write_url.startswith("redis://")

    # when
    response = client.get("/readyz")

    # then
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {name: {"status": "ok"} for name in CHECK_NAMES}}
