"""Coalesced `leaderboard.updated` frames: at most one per board per second, on every process.

A board that changed calls `leaderboard_changed(topic)` after commit. The first
call in a window takes a shared key with `cache.add(key, 1, timeout=1)` (Redis
`SET NX EX 1` in production, so the window is shared by every server process)
and schedules one send for the end of the window; calls while the key is held
are covered by that send, which reads the top entries only when it runs, after
every write that found the key held has committed. Sends of consecutive windows
are therefore at least one window apart, however many writes arrive. While a
send of this process is due, further calls return at once without asking Redis.

The send skips the frame when the top entries are the ones last sent (a change
far below the top moves nothing a viewer sees).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import threading
import time
from typing import Any

from asgiref.sync import SyncToAsync
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections

from leaderboard.selectors import leaderboard_top
from leaderboard.topics import board_course_id
from lms.realtime.events import broadcast

logger = logging.getLogger(__name__)

EVENT = "leaderboard.updated"
# The send runs a little after the shared key expires, so every write that saw
# the key held has committed before the send reads the board.
SEND_MARGIN_SECONDS = 0.05
LAST_SENT_TTL_SECONDS = 3600
OVERDUE_SECONDS = 5

_pending: set[Any] = set()  # timers and tasks not done yet
# Window keys of boards with a send due in this process, and when it is overdue (a send
# lost with its event loop must not silence the board).
_scheduled: dict[str, float] = {}
_pending_lock = threading.Lock()


def window_seconds() -> int:
    return max(1, int(getattr(settings, "LEADERBOARD_BROADCAST_WINDOW", 1)))


def broadcast_size() -> int:
    return int(getattr(settings, "LEADERBOARD_BROADCAST_SIZE", settings.LEADERBOARD_DEFAULT_LIMIT))


def _key(kind: str, topic: str) -> str:
    return f"{settings.REALTIME_NAMESPACE}:leaderboard:{kind}:{topic}"


def leaderboard_changed(topic: str) -> bool:
    """A board changed (call after commit). Returns True when this call scheduled the send."""
    window = window_seconds()
    key = _key("window", topic)
    with _pending_lock:
        # A send of this process is due and will read the board after this commit.
        if _scheduled.get(key, 0) > time.monotonic():
            return False
        _scheduled[key] = time.monotonic() + window + OVERDUE_SECONDS
    if not cache.add(key, 1, timeout=window):
        # Another process holds the window: its send reads the board after it expires.
        _release(topic)
        return False
    _schedule(topic, window + SEND_MARGIN_SECONDS)
    return True


def _release(topic: str) -> None:
    with _pending_lock:
        _scheduled.pop(_key("window", topic), None)


def leaderboard_send(topic: str) -> bool:
    """Send the board's current top entries to its subscribers, unless they are unchanged."""
    entries = leaderboard_top(course=board_course_id(topic), limit=broadcast_size())
    data = {"course": board_course_id(topic), "entries": entries}
    encoded = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True)
    digest = hashlib.sha1(encoded.encode(), usedforsecurity=False).hexdigest()
    if cache.get(_key("last", topic)) == digest:
        return False
    broadcast(topic, {"op": "event", "topic": topic, "event": EVENT, "data": data})
    cache.set(_key("last", topic), digest, timeout=LAST_SENT_TTL_SECONDS)
    return True


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the server (or async test) whose worker thread runs this code."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop


def _schedule(topic: str, delay: float) -> None:
    # Under Daphne (and in async tests) the send runs as a task of the server loop, so
    # broadcast() reaches the channel layer from the loop that owns it; elsewhere
    # (management commands, sync code) it runs on a timer thread.
    loop = _server_loop()
    if loop is not None:
        loop.call_soon_threadsafe(_start_task, loop, topic, delay)
        return
    timer = threading.Timer(delay, _send_on_timer, args=(topic,))
    timer.daemon = True
    _track(timer)
    timer.start()


def _start_task(loop: asyncio.AbstractEventLoop, topic: str, delay: float) -> None:
    task = loop.create_task(_send_later(topic, delay))
    _track(task)
    task.add_done_callback(_untrack)


async def _send_later(topic: str, delay: float) -> None:
    await asyncio.sleep(delay)
    # Released before the board is read: a write committing from now on schedules anew.
    _release(topic)
    try:
        await database_sync_to_async(leaderboard_send, thread_sensitive=False)(topic)
    except Exception:
        logger.exception("leaderboard broadcast failed for %s", topic)


def _send_on_timer(topic: str) -> None:
    _release(topic)
    try:
        leaderboard_send(topic)
    except Exception:
        logger.exception("leaderboard broadcast failed for %s", topic)
    finally:
        connections.close_all()
        _untrack(threading.current_thread())


def _track(item: Any) -> None:
    with _pending_lock:
        _pending.add(item)


def _untrack(item: Any) -> None:
    with _pending_lock:
        _pending.discard(item)


def pending_sends() -> int:
    """Scheduled sends not yet done (for tests and graceful shutdown)."""
    with _pending_lock:
        # A task whose event loop has closed will never run.
        for item in [i for i in _pending if isinstance(i, asyncio.Task)]:
            if item.get_loop().is_closed():
                _pending.discard(item)
        return len(_pending)


def wait_for_sends(timeout: float = 5.0) -> bool:
    """Block until every scheduled send of this process ran (sync callers only)."""
    deadline = time.monotonic() + timeout
    while pending_sends():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
