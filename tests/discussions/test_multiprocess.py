"""A thread whose members sit on different Daphne processes sharing PostgreSQL and Redis."""

import asyncio
import json
import time
from urllib.request import Request, urlopen

import pytest
import websockets
from rest_framework.authtoken.models import Token

from tests.discussions.factories import ThreadFactory
from tests.factories import CourseFactory, EnrollmentFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Socket:
    def __init__(self, ws):
        self.ws = ws
        self.ref = 0
        self.backlog: list[dict] = []

    @classmethod
    async def open(cls, server, key: str) -> "Socket":
        return cls(
            await websockets.connect(
                server.ws_url, additional_headers={"Authorization": f"Token {key}"}
            )
        )

    async def request(self, **frame) -> dict:
        self.ref += 1
        ref = str(self.ref)
        await self.ws.send(json.dumps({**frame, "ref": ref}))
        return await self.until(lambda f: f.get("op") == "reply" and f.get("ref") == ref)

    async def until(self, predicate, timeout: float = 20) -> dict:
        for index, frame in enumerate(self.backlog):
            if predicate(frame):
                return self.backlog.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching frame; last frames {self.backlog[-5:]}")
            try:
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), remaining))
            except TimeoutError:
                raise TimeoutError(f"no matching frame; last frames {self.backlog[-5:]}") from None
            if predicate(frame):
                return frame
            self.backlog.append(frame)


def api_post(url: str, key: str, body: dict) -> tuple[int, dict]:
    request = Request(
        url,
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "Authorization": f"Token {key}"},
    )
    with urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_presence_typing_and_messages_cross_processes(daphne_servers):
    a, b = daphne_servers(2, REALTIME_PRESENCE_TTL="3")
    course = CourseFactory()
    alice = EnrollmentFactory(course=course, user__first_name="Alice", user__last_name="A").user
    bob = EnrollmentFactory(course=course, user__first_name="Bob", user__last_name="B").user
    thread = ThreadFactory(course=course, created_by=alice)
    topic = f"thread:{thread.pk}"
    alice_key = Token.objects.create(user=alice).key
    bob_key = Token.objects.create(user=bob).key

    def presence_of(user, key):
        return lambda f: f.get("op") == "presence" and str(user.pk) in f.get(key, {})

    async def scenario():
        on_a = await Socket.open(a, alice_key)
        on_b = await Socket.open(b, bob_key)
        try:
            assert (await on_a.request(op="join", topic=topic))["ok"]
            await on_a.request(op="track", topic=topic, meta={"status": "active"})
            assert (await on_b.request(op="join", topic=topic))["ok"]
            state = await on_b.until(lambda f: f.get("op") == "presence" and "state" in f)
            assert state["state"][str(alice.pk)]["name"] == "Alice A"
            await on_b.request(op="track", topic=topic, meta={"status": "active"})
            joined = await on_a.until(presence_of(bob, "joins"))
            assert joined["joins"][str(bob.pk)]["name"] == "Bob B"

            await on_b.ws.send(json.dumps({"op": "typing", "topic": topic}))
            typing = await on_a.until(lambda f: f.get("op") == "typing")
            assert typing["user"] == {"id": bob.pk, "name": "Bob B"}

            status, sent = await asyncio.to_thread(
                api_post, f"{b.url}/api/threads/{thread.pk}/messages/", bob_key, {"content": "hi"}
            )
            assert status == 201
            event = await on_a.until(lambda f: f.get("event") == "thread.message")
            assert event["data"] == sent

            # Bob's process dies without closing anything: he leaves Alice's list anyway.
            b.kill()
            await on_a.until(presence_of(bob, "leaves"), timeout=60)
        finally:
            await on_a.ws.close()
            await on_b.ws.close()

    asyncio.run(scenario())
