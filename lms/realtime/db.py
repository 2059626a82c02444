"""Database work of the realtime layer, off the event loop and off Django's one sync thread.

Channels' `database_sync_to_async` is thread-sensitive by default: every ORM
call of every socket and held poll of a process runs on one thread, one after
another. The realtime reads (a join's authorization and history, a poll's
check and read) share no thread-bound state, so they run on a small pool of
their own threads, `REALTIME_DB_THREADS` of them, each with its own database
connection (taken from the connection pool, and given back after each call).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from channels.db import DatabaseSyncToAsync
from django.conf import settings

_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(
            max_workers=settings.REALTIME_DB_THREADS, thread_name_prefix="realtime-db"
        )
    return _executor


class _Realtime(DatabaseSyncToAsync):
    def __init__(self, func) -> None:
        super().__init__(func, thread_sensitive=False)

    async def __call__(self, *args, **kwargs):
        self._executor = _pool()
        return await super().__call__(*args, **kwargs)


def in_db_thread(func):
    """`await func(...)` on the realtime threads; connections are closed (pooled) after."""
    return _Realtime(func)
