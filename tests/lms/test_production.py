"""Daphne with DEBUG off: static files and API docs are served by the application itself."""

import re
import secrets
import urllib.error
import urllib.request

import pytest

from tests.lms.servers import daphne, manage, server_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def production_site(tmp_path_factory):
    env = server_env(
        tmp_path_factory.mktemp("prod") / "prod.sqlite3",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
    )
    manage(env, "migrate", "--noinput")
    with daphne(env) as base_url:
        yield base_url


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_stylesheet_is_served_with_debug_off(production_site):
    status, headers, body = fetch(f"{production_site}/static/css/app.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert b".progress-bar" in body


def test_missing_static_file_is_404(production_site):
    assert fetch(f"{production_site}/static/css/nope.css")[0] == 404


def test_login_page_renders_with_debug_off(production_site):
    status, _, body = fetch(f"{production_site}/login/")
    assert status == 200
    assert b'href="/static/css/app.css"' in body


def test_api_docs_load_their_assets_from_the_site(production_site):
    status, _, body = fetch(f"{production_site}/api/docs/")
    assert status == 200
    html = body.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("swagger-ui" in asset for asset in assets)
    assert "http://" not in html.replace(production_site, "")
    assert "https://" not in html
    for asset in assets:
        assert fetch(f"{production_site}{asset}")[0] == 200, asset
