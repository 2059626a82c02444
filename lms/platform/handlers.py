"""An ASGI handler that runs a request's middleware and view in one thread hop.

Django's ASGIHandler builds its middleware chain for async: each of Django's
own middleware (sessions, CSRF, authentication, messages...) is sync code in
a `MiddlewareMixin`, which then runs its request half and its response half
through `sync_to_async`, and the view one more time: about twenty hand-offs
between the event loop and a thread for one API request. This handler builds
the chain for sync, as under WSGI, and runs all of it, view included, in one
`sync_to_async` call: the same middleware, the same thread-sensitive thread
for the request, one hop.

Async work the view asks for (sending its events to the channel layer) is
queued with `run_after_view` and awaited on the event loop once the view has
returned, before the response is sent: no hop back from the thread for each.

Each request's thread is one of a set kept for requests (`RequestThreads`), not a
new one: Django's handler gives every request a fresh thread-sensitive context,
hence a new thread, started and joined per request (a tenth of a busy process's
CPU). asgiref lets a context run on an executor of the caller's: a request takes
a kept single-thread executor once its body has arrived, all its
thread-sensitive calls (the request signals, the view, the response's close)
run there in order, and it is kept for the next request once this one is done.

At most `REQUEST_THREADS` (4) requests run their views at once per process;
later ones wait their turn on the event loop. More threads answer no more:
they share one interpreter, and each hand-over of it between threads costs
CPU and waits on the scheduler. With 1000 students connected, 120 writes per
second offered, unbounded threads answered 86 writes/s at 74 % of a core,
four 103 at 71 % (docs/benchmarks.md).

Async views gain nothing here and would hold a thread for as long as they
wait, so the held poll keeps Django's own handler (lms/asgi.py routes it).
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

# Idle request threads kept beyond this are ended: a burst leaves no crowd of threads.
KEEP_IDLE = 32

_view = threading.local()


def run_after_view(function: Callable[..., Awaitable[Any]], *args: Any) -> bool:
    """Queue `await function(*args)` for the event loop, after the view of this thread's
    request returns and before its response is sent, in the order queued.

    False outside a request served by ThreadedASGIHandler (a command, a test, an async
    view): the caller then runs it itself.
    """
    queued = getattr(_view, "queued", None)
    if queued is None:
        return False
    queued.append((function, args))
    return True


class RequestThreads:
    """Single-thread executors kept for requests: one per request in flight, never shared
    by two at once. At most `limit` requests hold one: later ones wait for one to be given
    back, in order. Used from the event loop only."""

    def __init__(self, limit: int, keep_idle: int = KEEP_IDLE) -> None:
        self.limit = limit
        self.keep_idle = keep_idle
        self.idle: list[ThreadPoolExecutor] = []
        self.busy = 0
        self.waiting: collections.deque[asyncio.Future] = collections.deque()

    async def take(self) -> ThreadPoolExecutor:
        if self.busy >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self.waiting.append(waiter)
            try:
                return await waiter  # handed over by give_back, still counted busy
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self.give_back(waiter.result())
                raise
        self.busy += 1
        if self.idle:
            return self.idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(executor)
                return
        self.busy -= 1
        if len(self.idle) < self.keep_idle:
            self.idle.append(executor)
        else:
            executor.shutdown(wait=False)


class _RequestThread:
    """The kept thread of one request, once its body is in: taken then, given back at its end."""

    def __init__(self) -> None:
        self.executor: ThreadPoolExecutor | None = None
        self.context: ThreadSensitiveContext | None = None


_request_thread: contextvars.ContextVar[_RequestThread] = contextvars.ContextVar("request_thread")


class ThreadedASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self.threads = RequestThreads(limit=settings.REQUEST_THREADS)

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        held = _RequestThread()
        token = _request_thread.set(held)
        try:
            await self.handle(scope, receive, send)
        finally:
            if held.context is not None:
                await held.context.__aexit__(None, None, None)
            _request_thread.reset(token)
            if held.executor is not None:
                # A view still running after its client left (its task cancelled) finishes
                # first: the executor runs one call at a time, in order.
                self.threads.give_back(held.executor)

    async def read_body(self, receive):
        """The body, then the request's thread: a slow upload holds none while it arrives.

        The thread-sensitive context entered here (in the request's own task, as `handle`
        awaits this) stays entered for the rest of `handle`, the tasks it starts included.
        """
        body = await super().read_body(receive)
        held = _request_thread.get()
        held.executor = await self.threads.take()
        held.context = ThreadSensitiveContext(executor=held.executor)
        await held.context.__aenter__()
        return body

    async def get_response_async(self, request):
        response, queued = await sync_to_async(
            self._get_response_and_queued, thread_sensitive=True
        )(request)
        for function, args in queued:
            await function(*args)
        return response

    def _get_response_and_queued(self, request):
        _view.queued = queued = []
        try:
            return self.get_response(request), queued
        finally:
            _view.queued = None
