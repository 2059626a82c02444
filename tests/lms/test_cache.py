"""The Redis cache fails open: a Redis outage never turns a write into a server error."""

import pytest
from django.core.cache.backends.base import DEFAULT_TIMEOUT

from lms.platform.cache import FailOpenRedisCache


@pytest.fixture
def dead_redis_cache():
    # Nothing listens on port 1.
    return FailOpenRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {}})


def test_reads_give_their_default_and_writes_are_skipped(dead_redis_cache):
    assert dead_redis_cache.get("k", "fallback") == "fallback"
    assert dead_redis_cache.get_many(["a", "b"]) == {}
    assert dead_redis_cache.set("k", 1) is None
    assert dead_redis_cache.add("k", 1, timeout=1) is True
    assert dead_redis_cache.incr("k", 3) == 3
    assert dead_redis_cache.delete("k") is False


def test_timeouts_are_passed_through_when_redis_answers(redis_url):
    cache = FailOpenRedisCache(redis_url, {"KEY_PREFIX": "fail-open-test", "OPTIONS": {}})
    assert cache.add("window", 1, timeout=DEFAULT_TIMEOUT) is True
    assert cache.add("window", 1, timeout=DEFAULT_TIMEOUT) is False
    cache.set("short", 1, timeout=30)
    assert 0 < cache._cache.get_client("short").ttl(cache.make_and_validate_key("short")) <= 30
    cache.delete("window")
    cache.delete("short")
