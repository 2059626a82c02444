"""ASGI entry point: `daphne lms.asgi:application` serves HTTP and the websocket at /ws/.

Pages and the API run middleware and view in one thread hop (ThreadedASGIHandler);
the held poll, an async view that waits, keeps Django's own async handler.
"""

import contextvars
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import reverse  # noqa: E402

from lms.platform.handlers import ThreadedASGIHandler  # noqa: E402
from lms.realtime import server_tuning  # noqa: E402, F401
from lms.realtime.auth import WebsocketAuthMiddleware, WebsocketOriginValidator  # noqa: E402
from lms.realtime.routing import websocket_urlpatterns  # noqa: E402

threaded_app = ThreadedASGIHandler()
# Resolved in a context of its own: resolving populates every URL resolver, each of which
# keeps a flag in a context variable, and variables set here would be copied into every
# request's context and restored at each of its thread hops.
POLL_PATH = contextvars.copy_context().run(reverse, "realtime-poll")


async def http_app(scope, receive, send):
    app = django_asgi_app if scope["path"] == POLL_PATH else threaded_app
    await app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": WebsocketOriginValidator(
            WebsocketAuthMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)
