"""The production ASGI application plus the probe topics of the realtime core tests.

`POST /probe/publish/<owner_id>/` publishes one event on `probe:<owner_id>`
from inside this server process, so a test can cause an event through a
chosen process.
"""

import json
import re

from channels.db import database_sync_to_async

from lms.asgi import application as lms_application
from lms.realtime.events import publish
from tests.realtime import probe  # noqa: F401

PUBLISH_PATH = re.compile(r"^/probe/publish/(\d+)/$")


@database_sync_to_async
def _publish(owner_id: int, data: dict) -> int:
    return publish(f"probe:{owner_id}", "probe.happened", data)


async def application(scope, receive, send):
    match = PUBLISH_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
    if match is None:
        return await lms_application(scope, receive, send)
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    seq = await _publish(int(match.group(1)), json.loads(body or b"{}"))
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps({"id": seq}).encode()})
