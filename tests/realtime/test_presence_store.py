"""The Redis presence store keeps the entries of a live process alive, and only those."""

from __future__ import annotations

import time

import pytest

from lms.realtime import presence as presence_module
from lms.realtime.presence import Presence, RedisPresence

pytestmark = pytest.mark.asyncio


def user(user_id: int) -> dict:
    return {"id": user_id, "name": f"User {user_id}", "avatar": ""}


async def test_one_refresh_renews_every_local_entry_of_every_topic(
    redis_url, settings, monkeypatch
):
    settings.REALTIME_PRESENCE_TTL = 30
    monkeypatch.setattr(presence_module, "REFRESH_CHUNK", 1)  # a round trip per topic
    store = RedisPresence(redis_url)
    presence = Presence(store)
    try:
        await presence.track("probe:1", "socket-a", user(1), {})
        await presence.track("probe:1", "socket-b", user(2), {})
        await presence.track("probe:2", "socket-a", user(1), {})
        before = time.time()
        await presence.refresh_local()
        for topic, keys in (("probe:1", {"socket-a", "socket-b"}), ("probe:2", {"socket-a"})):
            entries = await store.entries(topic)
            assert set(entries) == keys
            assert all(entry["ts"] >= before for entry in entries.values())
            entries_key, times_key = RedisPresence._keys(topic)
            for key in (entries_key, times_key):
                assert 0 < await store.redis.ttl(key) <= 30 * 4 + 1
    finally:
        await store.redis.delete(*RedisPresence._keys("probe:1"), *RedisPresence._keys("probe:2"))
        await store.close()


async def test_a_refresh_never_brings_back_an_entry_another_process_removed(redis_url, settings):
    store = RedisPresence(redis_url)
    presence = Presence(store)
    other_process = RedisPresence(redis_url)
    try:
        await presence.track("probe:3", "socket-a", user(1), {})
        await presence.track("probe:3", "socket-b", user(2), {})
        await other_process.delete("probe:3", "socket-a")  # swept as vanished elsewhere
        await presence.refresh_local()
        assert set(await store.entries("probe:3")) == {"socket-b"}
    finally:
        await store.redis.delete(*RedisPresence._keys("probe:3"))
        await store.close()
        await other_process.close()
