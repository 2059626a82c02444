"""ASGI entry point: `daphne lms.asgi:application` serves HTTP and the websocket at /ws/."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from lms.realtime import server_tuning  # noqa: E402, F401
from lms.realtime.auth import WebsocketAuthMiddleware, WebsocketOriginValidator  # noqa: E402
from lms.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebsocketOriginValidator(
            WebsocketAuthMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)
