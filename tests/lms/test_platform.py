"""Health check, static files and settings from the environment."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run Python in a fresh process with exactly the settings variables given."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "lms.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_healthz_reports_database_and_channel_layer():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["database"]["ok"] is True
    assert body["database"]["engine"] in {"sqlite", "postgresql"}
    assert body["channel_layer"]["backend"]


@pytest.mark.django_db
def test_healthz_is_get_only():
    assert Client().post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_reports_broken_database_as_503(monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def fail(self, sql, params=None):
        raise RuntimeError("database is down")

    monkeypatch.setattr(CursorWrapper, "execute", fail)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == {
        "engine": response.json()["database"]["engine"],
        "ok": False,
    }


@pytest.mark.django_db
def test_stylesheet_is_served():
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200
    assert b"--font: system-ui" in b"".join(response.streaming_content)


def test_debug_off_without_secret_key_refuses_to_start():
    result = run_python("import django; django.setup()", DEBUG="0", ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start():
    result = run_python("import django; django.setup()", DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_debug_on_without_secret_key_starts_with_a_warning():
    result = run_python(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, bool(settings.SECRET_KEY))",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True"
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_passes_with_production_variables(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERRORS" not in output
    assert "security." not in output, "deployment security warnings"


def test_every_environment_variable_of_the_settings_is_documented():
    source = (ROOT / "lms" / "settings.py").read_text()
    names = set(re.findall(r'(?:environ\.get|env_bool|env_int)\(\s*"([A-Z_]+)"', source))
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= names
    documented = (ROOT / "docs" / "configuration.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in documented)
    assert not missing, f"add to docs/configuration.md: {missing}"
