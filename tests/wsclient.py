"""A websocket test client speaking the /ws/ protocol through the real ASGI application.

async with ws_connect(user) as ws:
    reply = await ws.join("user:1")
    event = await ws.next_event()
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any

from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from lms.asgi import application

DEFAULT_TIMEOUT = 5


class WsClient:
    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.refs = itertools.count(1)
        self.backlog: list[dict] = []

    async def send(self, frame: dict | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        await self.communicator.send_to(text_data=text)

    async def receive(self, timeout: float = DEFAULT_TIMEOUT) -> dict:
        if self.backlog:
            return self.backlog.pop(0)
        return json.loads(await self.communicator.receive_from(timeout=timeout))

    async def receive_until(self, predicate, timeout: float = DEFAULT_TIMEOUT) -> dict:
        """The first frame matching `predicate`; other frames stay queued for later reads."""
        skipped = []
        for index, frame in enumerate(self.backlog):
            if predicate(frame):
                return self.backlog.pop(index)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"no matching frame within {timeout}s; saw {skipped}")
                frame = json.loads(await self.communicator.receive_from(timeout=remaining))
                if predicate(frame):
                    return frame
                skipped.append(frame)
        finally:
            self.backlog.extend(skipped)

    async def request(self, frame: dict, timeout: float = DEFAULT_TIMEOUT) -> dict:
        ref = str(next(self.refs))
        await self.send({**frame, "ref": ref})
        return await self.receive_until(
            lambda f: f.get("op") == "reply" and f.get("ref") == ref, timeout
        )

    async def join(self, topic: str, since: int | None = None, **extra: Any) -> dict:
        frame: dict[str, Any] = {"op": "join", "topic": topic, **extra}
        if since is not None:
            frame["since"] = since
        return await self.request(frame)

    async def leave(self, topic: str) -> dict:
        return await self.request({"op": "leave", "topic": topic})

    async def next_event(
        self, topic: str | None = None, event: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> dict:
        return await self.receive_until(
            lambda f: (
                f.get("op") == "event"
                and (topic is None or f.get("topic") == topic)
                and (event is None or f.get("event") == event)
            ),
            timeout,
        )

    async def events(
        self, count: int, topic: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> list[dict]:
        return [await self.next_event(topic, timeout=timeout) for _ in range(count)]

    async def assert_silent(self, topic: str | None = None, within: float = 0.3) -> None:
        """No event (on `topic`) arrives within `within` seconds.

        Uses receive_nothing: a timed-out receive_from would cancel the application.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (remaining := deadline - loop.time()) > 0:
            if await self.communicator.receive_nothing(timeout=remaining):
                break
            frame = json.loads(await self.communicator.receive_from())
            if frame.get("op") == "event" and topic in (None, frame.get("topic")):
                raise AssertionError(f"unexpected event {frame}")
            self.backlog.append(frame)
        for frame in self.backlog:
            if frame.get("op") == "event" and topic in (None, frame.get("topic")):
                raise AssertionError(f"unexpected event {frame}")


def _headers_for(user, token: bool, origin: str | None) -> list[tuple[bytes, bytes]]:
    headers = []
    if origin:
        headers.append((b"origin", origin.encode()))
    if user is not None and token:
        key = Token.objects.get_or_create(user=user)[0].key
        headers.append((b"authorization", f"Token {key}".encode()))
    return headers


@contextlib.asynccontextmanager
async def ws_connect(user, *, origin: str | None = None, expect_accept: bool = True):
    """Connect as `user` (token auth) to /ws/; yields a WsClient, disconnects after."""
    from channels.db import database_sync_to_async

    headers = await database_sync_to_async(_headers_for)(user, True, origin)
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _code = await communicator.connect(timeout=DEFAULT_TIMEOUT)
    if expect_accept:
        assert connected, "handshake refused"
    try:
        yield WsClient(communicator)
    finally:
        if connected:
            await communicator.disconnect()
