"""The per-process fan-out.

Each server process holds one Hub per event loop. The hub owns one channel on
the channel layer and adds it to a topic's group when the first local socket
joins that topic, so an event crosses Redis once per process, not once per
socket. Its frame was serialized once by the publisher; the hub hands the same
string to every local subscriber of the topic.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Protocol

from channels.layers import get_channel_layer
from django.conf import settings

from lms.platform import metrics
from lms.realtime import health
from lms.realtime.db import in_db_thread
from lms.realtime.events import control_group, group_for, site_id
from lms.realtime.limits import UserJoins
from lms.realtime.models import TopicCounter
from lms.realtime.wire import Frame

logger = logging.getLogger(__name__)

# Channels' layers forget group members after a day: the hub renews its memberships.
GROUP_RENEW_SECONDS = 1800


def maintenance_interval() -> float:
    """Presence entries are refreshed three times per TTL, and at least every 5 seconds."""
    return max(0.5, min(5.0, settings.REALTIME_PRESENCE_TTL / 3))


class Subscriber(Protocol):
    async def deliver(self, topic: str, seq: int | None, frame: str, ts: float | None) -> int:
        """Hand over one event; how many frames were written to sockets now."""

    async def control(self, message: dict) -> None: ...


class Hub:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.site = site_id()
        self.channel: str | None = None
        self.subscribers: dict[str, set[Subscriber]] = defaultdict(set)
        self.sockets: set[Subscriber] = set()
        self.maintenance_callbacks: dict[str, Callable[[], Awaitable[None]]] = {}
        self.user_joins = UserJoins()
        self._topic_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._in_group: set[str] = set()
        self._start_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        """Open the hub's channel and start its loops.

        If the channel layer is down, sockets are still served (history comes
        from the database); the receive loop keeps trying to open the channel
        and the maintenance loop joins the groups once it can.
        """
        if self._tasks:
            return
        health.start_reporting()  # a process serving only sockets reports its figures too
        async with self._start_lock:
            if self._tasks:
                return
            try:
                await self._open_channel()
            except Exception as exc:
                logger.warning("channel layer unavailable, will retry: %s", exc)
            self._tasks = [
                asyncio.ensure_future(self._receive_loop()),
                asyncio.ensure_future(self._maintenance_loop()),
            ]

    async def _open_channel(self) -> None:
        channel = await self.layer.new_channel("rt.hub.")
        await self.layer.group_add(control_group(), channel)
        self.channel = channel

    # Sockets and topics

    def add_socket(self, socket: Subscriber) -> None:
        self.sockets.add(socket)

    def remove_socket(self, socket: Subscriber) -> None:
        self.sockets.discard(socket)

    async def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        """Returns once events of `topic` published from now on reach `subscriber`."""
        await self.start()
        async with self._topic_locks[topic]:
            self.subscribers[topic].add(subscriber)
            await self._join_group(topic)

    async def _join_group(self, topic: str) -> None:
        if topic in self._in_group or self.channel is None:
            return
        try:
            await self.layer.group_add(group_for(topic), self.channel)
        except Exception as exc:
            # The maintenance loop tries again; missed events are read from storage.
            logger.warning("group_add for %s failed, will retry: %s", topic, exc)
            return
        self._in_group.add(topic)

    async def unsubscribe(self, topic: str, subscriber: Subscriber) -> None:
        lock = self._topic_locks[topic]
        async with lock:
            subscribers = self.subscribers.get(topic)
            if subscribers is not None:
                subscribers.discard(subscriber)
                if not subscribers:
                    del self.subscribers[topic]
                    await self._leave_group(topic)
        # Forget the lock of a topic nobody here holds, or one per user ever seen piles up.
        if topic not in self.subscribers and not lock.locked() and not lock._waiters:
            self._topic_locks.pop(topic, None)

    async def _leave_group(self, topic: str) -> None:
        if topic not in self._in_group:
            return
        self._in_group.discard(topic)
        try:
            await self.layer.group_discard(group_for(topic), self.channel)
        except Exception:
            logger.exception("group_discard failed for %s", topic)

    async def send_group(self, topic: str, frame: str) -> None:
        """A transient frame (presence, typing) to every process's subscribers of `topic`."""
        await self.layer.group_send(
            group_for(topic),
            {
                "type": "rt.event",
                "topic": topic,
                "id": None,
                "frame": frame,
                "ts": time.time(),
                "site": self.site,
            },
        )

    # Loops

    async def _receive_loop(self) -> None:
        while True:
            if self.channel is None:
                try:
                    await self._open_channel()
                except Exception:
                    await asyncio.sleep(1)
                    continue
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("channel layer receive failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if message.get("site") != self.site:
                # Another deployment on the same Redis server: never ours to deliver.
                metrics.FOREIGN_MESSAGES.inc()
                continue
            try:
                if message.get("type") == "rt.event":
                    await self._dispatch_event(message)
                elif message.get("type") == "rt.control":
                    await self._dispatch_control(message)
            except Exception:
                logger.exception("dispatch failed for %r", message.get("topic"))
                metrics.CONSUMER_ERRORS.inc()

    async def _dispatch_event(self, message: dict) -> None:
        topic = message["topic"]
        subscribers = self.subscribers.get(topic)
        if not subscribers:
            return
        # Framed for the wire once, however many sockets it goes to (lms.realtime.wire).
        seq, frame, ts = message.get("id"), Frame(message["frame"]), message.get("ts")
        delivered = 0
        for subscriber in list(subscribers):
            delivered += await subscriber.deliver(topic, seq, frame, ts)
        if delivered:
            # Once per event: the latency is that of the last local socket written.
            record_delivery(ts, delivered)

    async def _dispatch_control(self, message: dict) -> None:
        user_ids = message.get("user_ids")
        wanted = set(user_ids) if user_ids is not None else None
        for socket in list(self.sockets):
            if wanted is None or getattr(socket, "user_id", None) in wanted:
                await socket.control(message)

    async def _maintenance_loop(self) -> None:
        renewed_at = time.monotonic()
        while True:
            await asyncio.sleep(maintenance_interval())
            try:
                if self.channel and time.monotonic() - renewed_at > GROUP_RENEW_SECONDS:
                    renewed_at = time.monotonic()
                    await self.layer.group_add(control_group(), self.channel)
                    for topic in list(self._in_group):
                        await self.layer.group_add(group_for(topic), self.channel)
                for topic in [t for t, subs in self.subscribers.items() if subs]:
                    async with self._topic_locks[topic]:
                        await self._join_group(topic)
                await self._check_behind()
                for callback in list(self.maintenance_callbacks.values()):
                    await callback()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("realtime maintenance failed")

    async def _check_behind(self) -> None:
        """Safety net for sends the channel layer lost (a Redis restart, say).

        Events are stored before they are sent, so a socket that has fallen
        behind its topic's last committed id can read what it missed. One
        query per round for all the topics this process holds.
        """
        topics = [topic for topic, subscribers in self.subscribers.items() if subscribers]
        if not topics:
            return
        last_ids = await _last_ids(topics)
        for topic, last_id in last_ids.items():
            for subscriber in list(self.subscribers.get(topic, ())):
                behind = getattr(subscriber, "behind", None)
                if behind is not None:
                    await behind(topic, last_id)


@in_db_thread
def _last_ids(topics: list[str]) -> dict[str, int]:
    return dict(TopicCounter.objects.filter(topic__in=topics).values_list("topic", "last_id"))


_hubs: dict[int, tuple[asyncio.AbstractEventLoop, Hub]] = {}


def get_hub() -> Hub:
    """The hub of the running event loop (one per server process in production)."""
    loop = asyncio.get_running_loop()
    entry = _hubs.get(id(loop))
    if entry is None or entry[0] is not loop:
        entry = (loop, Hub())
        _hubs[id(loop)] = entry
    return entry[1]


def reset_for_tests() -> None:
    """Forget hubs of finished event loops (each test runs its own loop)."""
    for loop, hub in list(_hubs.values()):
        for task in hub._tasks:
            if not loop.is_closed():
                task.cancel()
    _hubs.clear()


def record_delivery(ts: float | None, count: int = 1) -> None:
    metrics.EVENTS_DELIVERED.inc(count)
    if ts:
        metrics.DELIVERY_LATENCY.observe(max(0.0, time.time() - ts))
