"""The realtime side of the leaderboard: its topics, their coalesced frames, and the
receivers that keep the boards in step with learning, enrollment and accounts.

Topics: `leaderboard` (global) and `leaderboard:course:{id}`, named by `board_topic`.
Both are transient (persistent=False): a board has no history worth replaying, so the
join reply carries the current board and `leaderboard.updated` frames carry the top
entries. The receivers call the services (leaderboard/services.py), which write the
score rows and return the boards that moved; each moved board is announced after
commit.

Coalescing: at most one `leaderboard.updated` frame per board per second, on every
process.

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
from django.db import connections, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from leaderboard import services
from leaderboard.selectors import leaderboard_board, leaderboard_top
from lms.catalog.models import Enrollment
from lms.catalog.permissions import course_access
from lms.realtime.events import broadcast
from lms.realtime.registry import ID, Grant, Role, Topic, register
from progress.services import CERTIFICATE, COURSE_COMPLETED, TIME, learning_changed

logger = logging.getLogger(__name__)

# The topics.

GLOBAL_TOPIC = "leaderboard"


def board_topic(course_id: int | None) -> str:
    """The global board's topic, or a course's board's."""
    return GLOBAL_TOPIC if course_id is None else f"leaderboard:course:{course_id}"


def board_course_id(topic: str) -> int | None:
    return None if topic == GLOBAL_TOPIC else int(topic.rsplit(":", 1)[1])


def leaderboard_authorize(user) -> Grant | None:
    """Any signed-in, active user may watch the global board."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return Grant(role=Role.MEMBER)


def leaderboard_course_authorize(user, *, course_id: int) -> Grant | None:
    """A course's board: whoever may follow the course (enrolled, its instructor, staff).

    The same rule as `course:{id}`, so an unenrollment revoking the course's
    topics (course_id grant) drops this board too. Used by the page, the API and
    the websocket.
    """
    return course_access(user=user, course_id=course_id)


def leaderboard_join_data(user) -> dict:
    return {"course": None, **leaderboard_board(user=user)}


def leaderboard_course_join_data(user, *, course_id: int) -> dict:
    return {"course": course_id, **leaderboard_board(user=user, course=course_id)}


register(
    Topic(
        name="leaderboard",
        pattern=GLOBAL_TOPIC,
        authorize=leaderboard_authorize,
        join_data=leaderboard_join_data,
        persistent=False,
    )
)
register(
    Topic(
        name="leaderboard:course",
        pattern=rf"leaderboard:course:(?P<course_id>{ID})",
        authorize=leaderboard_course_authorize,
        join_data=leaderboard_course_join_data,
        persistent=False,
    )
)

# The coalesced frames.

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


def leaderboard_announce(boards: list[int | None]) -> None:
    """Schedule a coalesced broadcast of each board (a course's id, None for the global
    board) once the transaction commits."""
    for topic in dict.fromkeys(map(board_topic, boards)):
        transaction.on_commit(lambda topic=topic: leaderboard_changed(topic), robust=True)


# The receivers: the boards follow learning, enrollment and accounts.

# What a student's points are made of (leaderboard/selectors.py): courses completed,
# certificates and time spent.
POINTS_MADE_OF = frozenset({COURSE_COMPLETED, CERTIFICATE, TIME})

# Fields of a user that decide whether they appear on leaderboards, and how they are shown.
ELIGIBILITY_FIELDS = frozenset({"is_active", "role", "is_staff", "deleted_at"})
DISPLAY_FIELDS = frozenset(
    {"leaderboard_anonymous", "first_name", "last_name", "username", "avatar"}
)


@receiver(learning_changed, dispatch_uid="leaderboard_learning_changed")
def learning_changed_refresh(
    sender,
    user_id: int,
    course_id: int | None = None,
    stats_locked: bool = False,
    changed: frozenset[str] | None = None,
    **kwargs,
):
    if changed is not None and not changed & POINTS_MADE_OF:
        return  # a lesson completed in the middle of a course: no board moves
    leaderboard_announce(
        services.leaderboard_score_refresh(
            user_id=user_id, course_id=course_id, stats_locked=stats_locked
        )
    )


@receiver(post_save, sender=Enrollment, dispatch_uid="leaderboard_enrollment_created")
def enrollment_created_refresh(sender, instance: Enrollment, created: bool, **kwargs):
    if created:
        leaderboard_announce(
            services.leaderboard_score_refresh(
                user_id=instance.user_id, course_id=instance.course_id, global_board=False
            )
        )


@receiver(post_delete, sender=Enrollment, dispatch_uid="leaderboard_enrollment_deleted")
def enrollment_deleted_drop(sender, instance: Enrollment, **kwargs):
    # Only deletes: in a user's deletion cascade, no row may be written back for them.
    leaderboard_announce(
        services.leaderboard_unenrolled(user_id=instance.user_id, course_id=instance.course_id)
    )


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="leaderboard_user_saved")
def user_saved_sync(sender, instance, created: bool, update_fields=None, **kwargs):
    if update_fields is not None and not (ELIGIBILITY_FIELDS | DISPLAY_FIELDS) & set(update_fields):
        return  # a login: nothing a board shows changed
    leaderboard_announce(services.leaderboard_user_sync(user=instance))


@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="leaderboard_user_deleted")
def user_deleted(sender, instance, **kwargs):
    leaderboard_announce([None])
