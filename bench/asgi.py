"""The application under benchmark: the product at /ws/, and beside it at /ws/bare/
the Channels tutorial's consumer shape, on the same server and channel layer.

The bare consumer joins one group on connect, and every event is a
`group_send` that each consumer forwards, JSON-encoding it itself.
"""

import json

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

from lms.asgi import application as lms_application
from lms.asgi import django_asgi_app
from lms.realtime.auth import WebsocketAuthMiddleware, WebsocketOriginValidator
from lms.realtime.consumers import RealtimeConsumer

BARE_GROUP = "bench.bare"


class BareConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        if not self.scope["user"].is_authenticated:
            await self.close()
            return
        await self.channel_layer.group_add(BARE_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(BARE_GROUP, self.channel_name)

    async def bench_message(self, event):
        await self.send(text_data=json.dumps(event["data"]))


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebsocketOriginValidator(
            WebsocketAuthMiddleware(
                URLRouter(
                    [
                        path("ws/bare/", BareConsumer.as_asgi()),
                        path("ws/", RealtimeConsumer.as_asgi()),
                    ]
                )
            )
        ),
    }
)

__all__ = ["application", "lms_application"]
