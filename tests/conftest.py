"""Shared fixtures.

With CI=true a test that needs PostgreSQL, Redis or a browser fails when the
service is missing; elsewhere it is skipped with the reason.
"""

import copy
import os
import shutil
import uuid

import pytest
from channels.layers import channel_layers
from django.db import connection
from rest_framework.test import APIClient

from tests.e2e.browser import browser  # noqa: F401  (a real Chromium for any test folder)
from tests.factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


def need(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI requires {reason}")
    pytest.skip(f"needs {reason}")


@pytest.fixture(autouse=True)
def _isolated_realtime(settings, worker_id):
    """Each test gets fresh channel layers, and each xdist worker its own Redis namespace."""
    settings.REALTIME_NAMESPACE = f"rt-test-{worker_id}-{os.getpid()}"
    channel_layers.backends.clear()
    from lms.realtime import hub, presence

    hub.reset_for_tests()
    presence.reset_for_tests()
    yield
    channel_layers.backends.clear()
    hub.reset_for_tests()
    presence.reset_for_tests()


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test gets its own cache key space (rate limits, coalescing marks).

    Never clear the cache in tests: on Redis that is FLUSHDB, which would wipe the
    presence and cache state of every other test running at the same time.
    """
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture
def postgres(db):
    need(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def redis_url(settings):
    url = os.environ.get("REDIS_URL", "")
    need(bool(url), "Redis (set REDIS_URL)")
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as exc:
        need(False, f"a reachable Redis at {url} ({exc})")
    return url


@pytest.fixture
def chromium_path():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    need(os.path.exists(path), "Chromium (apt-get install chromium)")
    return path


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def auth_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client
