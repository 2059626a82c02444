"""A thread whose members sit on different Daphne processes sharing PostgreSQL and Redis."""

import asyncio
import json
from urllib.request import Request, urlopen

import pytest
from rest_framework.authtoken.models import Token

from tests.discussions.factories import ThreadFactory
from tests.e2e.servers import LiveSocket
from tests.factories import CourseFactory, EnrollmentFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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
        on_a = await LiveSocket.open(a, alice_key)
        on_b = await LiveSocket.open(b, bob_key)
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
