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
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from channels.db import DatabaseSyncToAsync
from django.conf import settings

HANDSHAKES = "handshakes"
JOINS_AND_POLLS = "realtime"
WOKEN_POLLS = "woken-polls"

_executors: dict[str, ThreadPoolExecutor] = {}


def _executor(lane: str) -> ThreadPoolExecutor:
    executor = _executors.get(lane)
    if executor is None:
        size = {
            HANDSHAKES: settings.REALTIME_HANDSHAKE_THREADS,
            WOKEN_POLLS: settings.REALTIME_WOKEN_POLL_THREADS,
        }.get(lane, settings.REALTIME_DB_THREADS)
        executor = _executors.setdefault(
            lane, ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"realtime-{lane}")
        )
    return executor


class _InDbThread(DatabaseSyncToAsync):
    def __init__(self, func, lane: str) -> None:
        super().__init__(func, thread_sensitive=False)
        self.lane = lane

    async def __call__(self, *args, **kwargs):
        self._executor = _executor(self.lane)
        return await super().__call__(*args, **kwargs)


def in_db_thread(func=None, *, lane: str = JOINS_AND_POLLS):
    """`await func(...)` on a realtime lane's threads; connections are closed (pooled) after."""
    if func is None:
        return lambda f: _InDbThread(f, lane)
    return _InDbThread(func, lane)
