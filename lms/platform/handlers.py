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

Async views gain nothing here and would hold a thread for as long as they
wait, so the held poll keeps Django's own handler (lms/asgi.py routes it).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

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


class ThreadedASGIHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

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
