"""Who is on a topic, shared by every server process.

An entry per tracking socket, keyed `<process>:<socket>`, holds the user, the
client's meta and when it was last refreshed. Processes refresh their own
entries every few seconds; an entry not refreshed within the TTL belongs to a
socket or process that vanished, and the first process to delete it
announces the leave. State and diffs are per user: a user joins with their
first socket on the topic and leaves with their last.

With REDIS_URL set the entries live in one Redis hash per topic; without it,
in this process's memory (one process is all there is then).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.cache import cache

PROCESS_ID = uuid.uuid4().hex[:12]

Entry = dict[str, Any]  # {"user": {id, name, avatar}, "meta": {...}, "ts": float}


# Topics refreshed per round trip to Redis.
REFRESH_CHUNK = 500


def _ttl() -> float:
    return float(settings.REALTIME_PRESENCE_TTL)


def _live(entry: Entry, now: float) -> bool:
    return now - entry["ts"] <= _ttl()


def _sockets_key(user_id: int) -> str:
    # Not a topic name (topics never start with "~"), so no client can join or track it.
    return f"~sockets:{user_id}"


def state_from(entries: dict[str, Entry]) -> dict[str, dict]:
    """Per-user state: {"<user id>": {id, name, avatar, metas: [...]}}."""
    state: dict[str, dict] = {}
    for entry in entries.values():
        user = entry["user"]
        slot = state.setdefault(str(user["id"]), {**user, "metas": []})
        slot["metas"].append(entry["meta"])
    return state


class MemoryPresence:
    def __init__(self) -> None:
        self.topics: dict[str, dict[str, Entry]] = {}

    async def put(self, topic: str, key: str, entry: Entry) -> None:
        self.topics.setdefault(topic, {})[key] = entry

    async def put_and_count(self, topic: str, key: str, entry: Entry, since: float) -> int:
        await self.put(topic, key, entry)
        return sum(1 for e in self.topics.get(topic, {}).values() if e["ts"] >= since)

    async def delete(self, topic: str, key: str) -> Entry | None:
        return self.topics.get(topic, {}).pop(key, None)

    async def entries(self, topic: str) -> dict[str, Entry]:
        return dict(self.topics.get(topic, {}))

    async def refresh(self, keys: list[tuple[str, str]], now: float) -> None:
        for topic, key in keys:
            entry = self.topics.get(topic, {}).get(key)
            if entry is not None:
                entry["ts"] = now


class RedisPresence:
    """Per topic: a hash of entries (user and meta) and a sorted set of their refresh times.

    Refreshing only touches the sorted set with ZADD XX, which never re-creates an
    entry that another process removed in the meantime.
    """

    def __init__(self, url: str) -> None:
        from redis import asyncio as aioredis

        # A bounded pool: a storm of sockets waits for a connection instead of opening
        # one each (a thousand sockets connecting would open a thousand).
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=32, timeout=10)
        self.redis = aioredis.Redis(connection_pool=pool)

    @staticmethod
    def _keys(topic: str) -> tuple[str, str]:
        base = f"{settings.REALTIME_NAMESPACE}:presence:{topic}"
        return base, base + ":ts"

    def _expire(self, pipe, topic: str) -> None:
        # Nothing outlives its topic by much: both keys expire if no process refreshes them.
        for key in self._keys(topic):
            pipe.expire(key, int(_ttl() * 4) + 1)

    async def put(self, topic: str, key: str, entry: Entry) -> None:
        await self._put(topic, key, entry).execute()

    async def put_and_count(self, topic: str, key: str, entry: Entry, since: float) -> int:
        """Put, then count the entries refreshed at or after `since`, in one round trip.

        A count of the sorted set (logarithmic), never a read of every entry.
        """
        _entries, times = self._keys(topic)
        pipe = self._put(topic, key, entry)
        pipe.zcount(times, since, "+inf")
        *_, count = await pipe.execute()
        return count

    def _put(self, topic: str, key: str, entry: Entry):
        entries, times = self._keys(topic)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(entries, key, json.dumps({"user": entry["user"], "meta": entry["meta"]}))
        pipe.zadd(times, {key: entry["ts"]})
        self._expire(pipe, topic)
        return pipe

    async def delete(self, topic: str, key: str) -> Entry | None:
        entries, times = self._keys(topic)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hget(entries, key)
        pipe.hdel(entries, key)
        pipe.zscore(times, key)
        pipe.zrem(times, key)
        raw, deleted, ts, _ = await pipe.execute()
        if not raw or not deleted:
            return None  # another process removed it first, and announces it
        return {**json.loads(raw), "ts": ts or 0.0}

    async def entries(self, topic: str) -> dict[str, Entry]:
        entries, times = self._keys(topic)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hgetall(entries)
        pipe.zrange(times, 0, -1, withscores=True)
        raw, scored = await pipe.execute()
        return self._decode(raw, scored)

    @staticmethod
    def _decode(raw: dict, scored: list) -> dict[str, Entry]:
        stamps = {k.decode(): ts for k, ts in scored}
        return {
            k.decode(): {**json.loads(v), "ts": stamps.get(k.decode(), 0.0)} for k, v in raw.items()
        }

    async def refresh(self, keys: list[tuple[str, str]], now: float) -> None:
        """One ZADD XX per topic for all its entries here, in round trips of REFRESH_CHUNK
        topics: the event loop delivers events between them, however many sockets the
        process holds (10,000 sockets' entries used to take a third of its time)."""
        by_topic: dict[str, dict[str, float]] = defaultdict(dict)
        for topic, key in keys:
            by_topic[topic][key] = now
        topics = list(by_topic.items())
        for start in range(0, len(topics), REFRESH_CHUNK):
            pipe = self.redis.pipeline(transaction=False)
            for topic, members in topics[start : start + REFRESH_CHUNK]:
                pipe.zadd(self._keys(topic)[1], members, xx=True)
                self._expire(pipe, topic)
            await pipe.execute()

    async def close(self) -> None:
        await self.redis.aclose()


class Presence:
    """Tracking on top of a store; returns the per-user diffs to broadcast."""

    def __init__(self, store) -> None:
        self.store = store
        self.local: dict[tuple[str, str], Entry] = {}

    async def track(self, topic: str, key: str, user: dict, meta: dict) -> dict[str, dict]:
        """Add or update this socket's entry; the joins diff (empty if the user was here)."""
        now = time.time()
        before = await self.store.entries(topic)
        was_here = any(
            e["user"]["id"] == user["id"] and _live(e, now) and k != key for k, e in before.items()
        )
        entry = {"user": user, "meta": meta, "ts": now}
        await self.store.put(topic, key, entry)
        self.local[(topic, key)] = entry
        if was_here:
            return {}
        return {str(user["id"]): {**user, "metas": [meta]}}

    async def untrack(self, topic: str, key: str) -> dict[str, dict]:
        """Remove this socket's entry; the leaves diff (empty if the user is still here)."""
        self.local.pop((topic, key), None)
        removed = await self.store.delete(topic, key)
        if removed is None:
            return {}
        return await self._leaves_for([removed], topic)

    async def state(self, topic: str) -> tuple[dict[str, dict], dict[str, dict]]:
        """(state, leaves of expired entries this call removed)."""
        now = time.time()
        entries = await self.store.entries(topic)
        expired = [k for k, e in entries.items() if not _live(e, now)]
        removed = []
        for key in expired:
            entry = await self.store.delete(topic, key)
            if entry is not None:
                removed.append(entry)
            entries.pop(key, None)
        leaves = await self._leaves_for(removed, topic, entries) if removed else {}
        return state_from(entries), leaves

    async def add_socket(self, user_id: int, key: str, limit: int) -> bool:
        """Count an open socket of `user_id`; False, and not counted, beyond `limit`.

        Sockets are entries of a per-user key that expire like presence, so a
        vanished process's sockets stop counting within the TTL.
        """
        topic = _sockets_key(user_id)
        now = time.time()
        entry = {"user": {"id": user_id}, "meta": {}, "ts": now}
        if await self.store.put_and_count(topic, key, entry, since=now - _ttl()) > limit:
            await self.store.delete(topic, key)
            return False
        self.local[(topic, key)] = entry
        return True

    async def remove_socket(self, user_id: int, key: str) -> None:
        topic = _sockets_key(user_id)
        self.local.pop((topic, key), None)
        await self.store.delete(topic, key)

    async def refresh_local(self) -> None:
        await self.store.refresh(list(self.local), time.time())

    async def _leaves_for(
        self, removed: list[Entry], topic: str, remaining: dict[str, Entry] | None = None
    ) -> dict[str, dict]:
        now = time.time()
        if remaining is None:
            remaining = await self.store.entries(topic)
        present = {e["user"]["id"] for e in remaining.values() if _live(e, now)}
        leaves: dict[str, dict] = {}
        for entry in removed:
            user = entry["user"]
            if user["id"] not in present:
                slot = leaves.setdefault(str(user["id"]), {**user, "metas": []})
                slot["metas"].append(entry["meta"])
        return leaves


_presence: dict[int, Presence] = {}


def get_presence(loop_id: int) -> Presence:
    presence = _presence.get(loop_id)
    if presence is None:
        store = RedisPresence(settings.REDIS_URL) if settings.REDIS_URL else _memory_store()
        presence = _presence[loop_id] = Presence(store)
    return presence


_memory: MemoryPresence | None = None


def _memory_store() -> MemoryPresence:
    global _memory
    if _memory is None:
        _memory = MemoryPresence()
    return _memory


_sync_redis: dict[str, Any] = {}


def _sync_client():
    """The process's synchronous Redis client of REDIS_URL (for synchronous callers)."""
    client = _sync_redis.get(settings.REDIS_URL)
    if client is None:
        import redis

        client = _sync_redis[settings.REDIS_URL] = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
    return client


def user_socket_count(user_id: int) -> int:
    """How many sockets `user_id` has open on every server process, for synchronous callers.

    The same count as the socket cap (`Presence.add_socket`): entries refreshed
    within the presence TTL. Raises the store's error when Redis is unreachable.
    """
    since = time.time() - _ttl()
    topic = _sockets_key(user_id)
    if settings.REDIS_URL:
        _entries, times = RedisPresence._keys(topic)
        return int(_sync_client().zcount(times, since, "+inf"))
    entries = _memory.topics.get(topic, {}) if _memory is not None else {}
    return sum(1 for entry in list(entries.values()) if entry["ts"] >= since)


def _polling_key(user_id: int) -> str:
    return f"realtime:polling:{user_id}"


async def note_polling(user_id: int) -> None:
    """A client on the polling fallback is online: for as long as its poll may be held,
    and the presence TTL after it, as a socket's heartbeat would."""
    await cache.aset(
        _polling_key(user_id),
        1,
        timeout=settings.REALTIME_POLL_MAX_WAIT + settings.REALTIME_PRESENCE_TTL,
    )


def user_is_online(user_id: int) -> bool:
    """Whether `user_id` has an open socket or polls now (on any server process).

    False when that cannot be known (Redis down): better a notification too many
    than a message missed.
    """
    try:
        return user_socket_count(user_id) > 0 or bool(cache.get(_polling_key(user_id)))
    except Exception:
        return False


def users_online(user_ids) -> set[int]:
    """Which of `user_ids` have an open socket or poll now: `user_is_online` for many users in
    one Redis pipeline and one cache read. Empty when that cannot be known (Redis down)."""
    user_ids = list(dict.fromkeys(user_ids))
    if not user_ids:
        return set()
    since = time.time() - _ttl()
    try:
        if settings.REDIS_URL:
            pipe = _sync_client().pipeline(transaction=False)
            for user_id in user_ids:
                pipe.zcount(RedisPresence._keys(_sockets_key(user_id))[1], since, "+inf")
            counts = pipe.execute()
        else:
            topics = _memory.topics if _memory is not None else {}
            counts = [
                sum(1 for e in list(topics.get(_sockets_key(u), {}).values()) if e["ts"] >= since)
                for u in user_ids
            ]
        online = {user_id for user_id, count in zip(user_ids, counts, strict=True) if count}
        polling = cache.get_many([_polling_key(u) for u in user_ids if u not in online])
        return online | {u for u in user_ids if polling.get(_polling_key(u))}
    except Exception:
        return set()


def reset_for_tests() -> None:
    global _memory
    _presence.clear()
    _memory = None
