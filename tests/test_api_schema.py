"""The OpenAPI schema and its docs: valid, served without a CDN, readable under the CSP, fuzzed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import Tenant
from tests.test_api_support import make_hiring, make_key


def test_schema_validates_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out), stdout=StringIO())
    text = out.read_text()
    for path in (
        "/api/v1/positions/",
        "/api/v1/interviews/{id}/cancel/",
        "/api/v1/candidates/{id}/move-to-next-stage/",
    ):
        assert path in text
    assert "ApiKeyAuth" in text


def test_schema_is_served(db) -> None:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "TalentSync API"


def test_docs_load_only_this_sites_files(db) -> None:
    response = Client().get("/api/docs/")
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert response.status_code == 200
    assert sources
    assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    assert "<script>" not in html  # no inline script: the CSP allows 'self' only
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


# --- in a browser ---------------------------------------------------------------------------
@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    from tests.browser import launch_chromium

    # Playwright's sync API marks an event loop as running on this thread; the test is synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
        connections.close_all()


@pytest.mark.browser
@pytest.mark.slow
def test_docs_render_under_the_csp(live_server, browser: Browser) -> None:
    from tests.browser import screenshot

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    # when
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-tag", timeout=15000)
    # then
    screenshot(page, "api-docs")
    assert page.locator(".opblock").count() > 10
    assert page.get_by_text("interviews", exact=True).first.is_visible()
    assert not problems, problems
    assert not [u for u in outside if not u.startswith("data:")], outside


# --- fuzzing --------------------------------------------------------------------------------
FUZZED = [
    ("/api/v1/positions/", "GET"),
    ("/api/v1/positions/", "POST"),
    ("/api/v1/positions/{id}/", "GET"),
    ("/api/v1/candidates/", "GET"),
    ("/api/v1/candidates/", "POST"),
    ("/api/v1/candidates/{id}/", "PATCH"),
    ("/api/v1/questions/", "POST"),
    ("/api/v1/interviews/", "GET"),
    ("/api/v1/interviews/", "POST"),
    ("/api/v1/interviews/{id}/", "PATCH"),
    ("/api/v1/interviews/{id}/cancel/", "POST"),
    ("/api/v1/pipelines/", "POST"),
]


def _fuzz(operation: Any, label: str, base_url: str, headers: dict[str, str], failures: list[str]) -> None:
    """Call ``operation`` with a few generated requests; note every 5xx."""
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers)
        if response.status_code >= 500:
            failures.append(f"{label} → {response.status_code}: {case.body!r} {case.query!r}")

    run()


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(live_server, acme: Tenant) -> None:
    import schemathesis

    # given: some rows to aim at, and a key
    make_hiring(acme)
    headers = {"Authorization": f"Api-Key {make_key(acme.org)}"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/", headers=headers)
    failures: list[str] = []
    # when
    for path, method in FUZZED:
        _fuzz(schema[path][method], f"{method} {path}", live_server.url, headers, failures)
    # then
    assert not failures, failures
