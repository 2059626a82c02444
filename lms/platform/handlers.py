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
a kept single-thread executor once its body has arrived, and it is kept for
the next request once this one is done. `request_started`, the middleware, the
view and the response's close (`request_finished`, which gives the database
connection back) all run in that one hop (`handle`).

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
import contextlib
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.urls import set_script_prefix

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
    by two at once, started as needed up to `limit` and kept. At most `limit` requests
    hold one: later ones wait for one to be given back, in order. Used from the event loop
    only."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
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
        self.idle.append(executor)


class ThreadedASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self.threads = RequestThreads(limit=settings.REQUEST_THREADS)

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        """Django's `ASGIHandler.handle`, but the request takes its thread once its body is in
        (a slow upload holds none while it arrives), and its signals ride the view's hop.

        Django sends `request_started` through a thread hop of its own, and closes the
        response (`request_finished`) through another once it is sent. Here the view's hop
        sends `request_started` before the middleware, and closes a response that does not
        stream after the view: one hop per request instead of three, and the request's
        database connection is back in the pool before the response goes out. A streaming
        response is closed once sent, as Django does.
        """
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        executor = await self.threads.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self._respond(scope, receive, send, body_file)
        finally:
            # A view still running after its client left (its task cancelled) finishes
            # first: the executor runs one call at a time, in order.
            self.threads.give_back(executor)

    async def _respond(self, scope, receive, send, body_file) -> None:
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            await signals.request_started.asend(sender=self.__class__, scope=scope)
            body_file.close()
            await self.send_response(error_response, send)
            await sync_to_async(error_response.close)()
            return

        async def process_request(request, send):
            response = await self.run_get_response(request)
            with contextlib.suppress(asyncio.CancelledError):  # the client left meanwhile
                await self.send_response(response, send)
            return response

        # As Django: a client that leaves before its answer cancels the request's task.
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            await signals.request_finished.asend(sender=self.__class__)
        else:
            if response.streaming:
                await sync_to_async(response.close)()
        body_file.close()

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
            signals.request_started.send(sender=self.__class__, scope=request.scope)
            response = self.get_response(request)
            if not response.streaming:
                response._handler_class = self.__class__
                response.close()  # request_finished: the database connection goes back
            return response, queued
        finally:
            _view.queued = None
