"""Database work of the realtime layer, off the event loop and off Django's one sync thread.

Channels' `database_sync_to_async` is thread-sensitive by default: every ORM
call of every socket and held poll of a process runs on one thread, one after
another. The realtime reads (a handshake's credential, a join's authorization
and history, a poll's check and read) share no thread-bound state, so they
run on threads of their own, each call borrowing a connection from the pool
and giving it back.

Handshakes have a lane of their own: Daphne drops a handshake it has not
accepted within its connect timeout (5 s), so in a reconnect storm they must
not queue behind the joins of the sockets already accepted. Held polls woken
together by one event have a narrow lane of their own too: their answers queue
there instead of taking every thread (and the interpreter) from the requests
of everyone else.

Calls made on a lane within one turn of the event loop (a reconnect storm's
handshakes and joins, polls woken by one event) go to a thread together, a
few at a time: one hop and one pooled connection (borrowed, checked, given
back) for all of them instead of one each. Each call still runs in a copy of
its caller's context and gets its own result or exception. After a call that
raised, the connection is given back (the pool drops a broken one) and the
calls left in the batch go to the lane's threads one by one, as without
batches: with the database down, each may wait for the pool's timeout, and
they wait side by side, not one after another.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

HANDSHAKES = "handshakes"
JOINS_AND_POLLS = "realtime"
WOKEN_POLLS = "woken-polls"
# Calls that go to a thread together, at most: more would queue behind one another on one
# thread while the lane's other threads wait for work.
BATCH_SIZE = 8

_lanes: dict[str, _Lane] = {}


class _Lane:
    """A lane's threads, and its calls waiting for the end of the event loop's turn."""

    def __init__(self, name: str, size: int) -> None:
        self.executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"realtime-{name}")
        self.waiting: dict[asyncio.AbstractEventLoop, list] = {}

    def call(self, func, args, kwargs) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        waiting = self.waiting.setdefault(loop, [])
        waiting.append((future, contextvars.copy_context(), func, args, kwargs))
        if len(waiting) == 1:
            loop.call_soon(self._flush, loop)
        return future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        waiting = self.waiting.pop(loop, [])
        for start in range(0, len(waiting), BATCH_SIZE):
            self.executor.submit(_run, self.executor, loop, waiting[start : start + BATCH_SIZE])


def _run(executor: ThreadPoolExecutor, loop: asyncio.AbstractEventLoop, calls: list) -> None:
    """On a lane's thread: each call in turn, on one connection, until one fails."""
    SyncToAsync.threadlocal.main_event_loop = loop  # for async_to_sync in what is called
    for index, (future, context, func, args, kwargs) in enumerate(calls):
        try:
            result = context.run(func, *args, **kwargs)
        except BaseException as exc:  # the caller's to handle, as if it had called func
            loop.call_soon_threadsafe(_settle, future, None, exc)
            _give_back()
            # The database may be down, and each call wait for the pool's timeout: the rest
            # go one by one over the lane's threads, as they would have without the batch.
            for call in calls[index + 1 :]:
                executor.submit(_run, executor, loop, [call])
            return
        loop.call_soon_threadsafe(_settle, future, result, None)
    _give_back()


def _give_back() -> None:
    """Give the thread's connection back to the pool (or close it, without one)."""
    try:
        close_old_connections()
    except Exception:  # every call is answered already; the next borrows afresh
        logger.exception("a realtime database connection could not be given back")


def _settle(future: asyncio.Future, result, exc: BaseException | None) -> None:
    if future.cancelled():  # the caller went away (a socket closed mid-join)
        return
    if exc is None:
        future.set_result(result)
    else:
        future.set_exception(exc)


def _lane(name: str) -> _Lane:
    lane = _lanes.get(name)
    if lane is None:
        size = {
            HANDSHAKES: settings.REALTIME_HANDSHAKE_THREADS,
            WOKEN_POLLS: settings.REALTIME_WOKEN_POLL_THREADS,
        }.get(name, settings.REALTIME_DB_THREADS)
        lane = _lanes.setdefault(name, _Lane(name, size))
    return lane


class _InDbThread:
    def __init__(self, func, lane: str) -> None:
        self.func = func  # callable as is, on a thread already there
        self.lane = lane
        functools.update_wrapper(self, func)

    async def __call__(self, *args, **kwargs):
        return await _lane(self.lane).call(self.func, args, kwargs)


def in_db_thread(func=None, *, lane: str = JOINS_AND_POLLS):
    """`await func(...)` on a realtime lane's threads; connections are closed (pooled) after."""
    if func is None:
        return lambda f: _InDbThread(f, lane)
    return _InDbThread(func, lane)
