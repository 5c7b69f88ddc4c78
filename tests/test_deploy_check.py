"""Production settings come from the environment, and ``check --deploy`` is clean with them."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # the test run's own recording key (pyproject's pytest env) must not reach these checks
    drop = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "RECORDING_KEY", "RECORDING_OLD_KEYS"}
    base = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "talentsync.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://talentsync.example.com",
    "RECORDING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
}


def test_check_deploy_is_clean_with_production_env(tmp_path):
    # when
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path)
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_about_insecure_switches(tmp_path):
    # when: someone turns HTTPS redirects and secure cookies off in production
    env = {**PRODUCTION, "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    # then
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout
    assert "security.W012" in result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"}
    result = _manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set when DEBUG is off." in result.stderr


def test_check_deploy_requires_a_recording_key(tmp_path):
    # when: production settings without the key recordings are encrypted with
    env = {k: v for k, v in PRODUCTION.items() if k != "RECORDING_KEY"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    # then
    assert result.returncode != 0
    assert "recordings.E002" in result.stdout + result.stderr
