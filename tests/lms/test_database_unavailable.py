"""A database outage answers 503 "retry shortly", never a 500 traceback.

The outage is simulated by making every query fail with the error the driver
raises when the server cannot be reached. tests/e2e/test_faults.py stops a
real PostgreSQL under a real Daphne.
"""

import contextlib
import sqlite3

import psycopg
import pytest
from django.db import connection
from django.db import utils as db_utils
from django.db.backends.utils import CursorWrapper
from django.test import Client
from rest_framework.authtoken.models import Token

from lms.platform.middleware import DATABASE_UNAVAILABLE, database_unavailable
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def unreachable_error() -> Exception:
    """The real driver error of a database that cannot be reached."""
    if connection.vendor == "postgresql":
        from tests.e2e.servers import free_port

        try:
            psycopg.connect(host="127.0.0.1", port=free_port(), connect_timeout=2)
        except psycopg.OperationalError as exc:
            return exc
    else:
        try:
            sqlite3.connect("file:/nonexistent/folder/db.sqlite3?mode=rw", uri=True)
        except sqlite3.OperationalError as exc:
            return exc
    raise AssertionError("expected the connection to fail")


def broken_query_error() -> Exception:
    """A real driver error that is a bug, not an outage: a table that does not exist."""
    if connection.vendor == "postgresql":
        return psycopg.errors.UndefinedTable('relation "missing" does not exist')
    try:
        sqlite3.connect(":memory:").execute("SELECT * FROM missing")
    except sqlite3.OperationalError as exc:
        return exc
    raise AssertionError("expected the query to fail")


@contextlib.contextmanager
def every_query_fails_with(error: Exception, monkeypatch):
    """Every query on every connection raises `error`, translated as Django does."""

    def fail(self, sql, params=None):
        with self.db.wrap_database_errors:
            raise error

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", fail)
        patch.setattr(CursorWrapper, "executemany", fail)
        yield


@pytest.fixture
def token_user():
    user = UserFactory()
    return user, Token.objects.create(user=user).key


def test_api_answers_json_503_with_retry_after(token_user, monkeypatch):
    _user, key = token_user
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    with every_query_fails_with(unreachable_error(), monkeypatch):
        response = client.get("/api/me/")
        write = client.post("/api/lessons/1/complete/", {}, content_type="application/json")
    for answer in (response, write):
        assert answer.status_code == 503
        assert answer["Content-Type"] == "application/json"
        assert answer.json() == {"detail": DATABASE_UNAVAILABLE}
        assert int(answer["Retry-After"]) > 0
    assert client.get("/api/me/").status_code == 200


def test_anonymous_api_request_gets_the_same_503(monkeypatch):
    with every_query_fails_with(unreachable_error(), monkeypatch):
        response = Client().post(
            "/api/auth/token/",
            {"username": "alice", "password": "alice"},
            content_type="application/json",
        )
    assert response.status_code == 503
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}


def test_polling_fallback_answers_json_503(token_user, monkeypatch):
    _user, key = token_user
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    with every_query_fails_with(unreachable_error(), monkeypatch):
        response = client.post(
            "/api/realtime/poll/", {"topics": {"user:1": 0}, "wait": 0}, "application/json"
        )
    assert response.status_code == 503
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}


def test_pages_answer_a_plain_503_page(monkeypatch):
    signed_in = Client()
    signed_in.force_login(UserFactory())
    with every_query_fails_with(unreachable_error(), monkeypatch):
        catalog = Client().get("/courses/")
        dashboard = signed_in.get("/")
    for page in (catalog, dashboard):
        assert page.status_code == 503
        assert page["Content-Type"].startswith("text/html")
        assert int(page["Retry-After"]) > 0
        html = page.content.decode()
        assert "<h1>Service unavailable</h1>" in html
        assert DATABASE_UNAVAILABLE in html
        assert "Traceback" not in html
    assert Client().get("/courses/").status_code == 200


def test_healthz_reports_the_outage_but_not_the_error(monkeypatch):
    error = unreachable_error()
    with every_query_fails_with(error, monkeypatch):
        response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["database"]["ok"] is False
    assert "error" not in body["database"]  # it names hosts and roles: logged only


def test_a_broken_query_is_still_a_server_error(monkeypatch):
    client = Client(raise_request_exception=False)
    with every_query_fails_with(broken_query_error(), monkeypatch):
        response = client.get("/courses/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def _wrapped(driver_error: Exception, kind=db_utils.OperationalError) -> Exception:
    error = kind(str(driver_error))
    error.__cause__ = driver_error
    return error


@pytest.mark.parametrize(
    ("sqlstate", "unavailable"),
    [
        (None, True),  # refused, reset, lost: no answer from the server
        ("08006", True),  # connection failure
        ("57P01", True),  # administrator shutdown (a restart)
        ("57P03", True),  # still starting up
        ("53300", True),  # too many connections
        ("40P01", False),  # deadlock
        ("40001", False),  # serialization failure
        ("42P01", False),  # undefined table
    ],
)
def test_postgresql_errors_that_mean_unavailable(sqlstate, unavailable):
    driver_error = (
        psycopg.errors.lookup(sqlstate)("x") if sqlstate else psycopg.OperationalError("x")
    )
    assert database_unavailable(_wrapped(driver_error)) is unavailable


def test_sqlite_errors_that_mean_unavailable():
    try:
        sqlite3.connect(":memory:").execute("SELECT * FROM missing")
    except sqlite3.OperationalError as exc:
        missing_table = exc
    assert database_unavailable(_wrapped(missing_table)) is False
    try:
        sqlite3.connect("file:/nonexistent/folder/db.sqlite3?mode=rw", uri=True)
    except sqlite3.OperationalError as exc:
        cannot_open = exc
    assert database_unavailable(_wrapped(cannot_open)) is True


def test_closed_connections_and_other_errors():
    assert database_unavailable(db_utils.InterfaceError("connection already closed")) is True
    assert database_unavailable(db_utils.IntegrityError("duplicate key")) is False
    assert database_unavailable(ValueError("no")) is False
