"""An ASGI handler that runs a request's middleware and view in one thread hop.

Django's ASGIHandler builds its middleware chain for async: each of Django's
own middleware (sessions, CSRF, authentication, messages...) is sync code in
a `MiddlewareMixin`, which then runs its request half and its response half
through `sync_to_async`, and the view one more time: about twenty hand-offs
between the event loop and a thread for one API request. This handler builds
the chain for sync, as under WSGI, and runs all of it, view included, in one
`sync_to_async` call: the same middleware, the same thread-sensitive thread
for the request, one hop.

Async views gain nothing here and would hold a thread for as long as they
wait, so the held poll keeps Django's own handler (lms/asgi.py routes it).
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class ThreadedASGIHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
