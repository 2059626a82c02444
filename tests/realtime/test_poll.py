"""POST /api/realtime/poll/: the polling fallback of the websocket."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.test import AsyncClient, Client

from lms.realtime import views
from lms.realtime.events import publish
from tests.factories import UserFactory
from tests.realtime import probe  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/realtime/poll/"


@database_sync_to_async
def token_client():
    from rest_framework.authtoken.models import Token

    user = UserFactory()
    key = Token.objects.create(user=user).key
    return user, TokenClient(key)


class TokenClient:
    """An API client that authenticates each request with its token."""

    def __init__(self, key: str) -> None:
        self.client = AsyncClient()
        self.key = key

    async def post(self, *args, **kwargs):
        return await self.client.post(
            *args, headers={"Authorization": f"Token {self.key}"}, **kwargs
        )


@database_sync_to_async
def emit(topic, **data):
    return publish(topic, "probe.happened", data)


async def poll(client, body):
    response = await client.post(URL, json.dumps(body), content_type="application/json")
    return response.status_code, json.loads(response.content)


async def test_returns_events_after_the_given_ids_at_once():
    user, client = await token_client()
    topic = f"probe:{user.pk}"
    for n in range(3):
        await emit(topic, n=n)
    status, body = await poll(client, {"topics": {topic: 1}, "wait": 25})
    assert status == 200
    assert [e["id"] for e in body["events"]] == [2, 3]
    assert body["events"][0] == {
        "op": "event",
        "topic": topic,
        "event": "probe.happened",
        "id": 2,
        "data": {"n": 1},
    }
    assert body["last_ids"] == {topic: 3}


async def test_holds_until_an_event_is_published():
    user, client = await token_client()
    topic = f"probe:{user.pk}"
    held = asyncio.ensure_future(poll(client, {"topics": {topic: 0}, "wait": 10}))
    await asyncio.sleep(0.3)
    assert not held.done()
    await emit(topic, n="late")
    status, body = await asyncio.wait_for(held, 5)
    assert status == 200
    assert [e["data"] for e in body["events"]] == [{"n": "late"}]


async def test_times_out_with_no_events():
    user, client = await token_client()
    status, body = await poll(client, {"topics": {f"probe:{user.pk}": 0}, "wait": 0.2})
    assert (status, body["events"]) == (200, [])


async def test_null_since_returns_the_current_id():
    user, client = await token_client()
    topic = f"probe:{user.pk}"
    await emit(topic)
    status, body = await poll(client, {"topics": {topic: None}, "wait": 0})
    assert body == {"events": [], "last_ids": {topic: 1}, "reset": []}


async def test_forbidden_topic_is_refused_and_reveals_nothing():
    owner = await database_sync_to_async(UserFactory)()
    await emit(f"probe:{owner.pk}", secret=1)
    _user, client = await token_client()
    status, body = await poll(client, {"topics": {f"probe:{owner.pk}": 0}, "wait": 0})
    assert status == 403
    assert body["code"] == "forbidden" and "events" not in body


@pytest.mark.parametrize(
    "body, status",
    [
        ({"topics": {"nonsense:1": 0}}, 400),
        ({"topics": {}}, 400),
        ({"topics": ["probe:1"]}, 400),
        ({"topics": {"probe:1": -1}}, 400),
        ({"topics": {"probe:1": 0}, "wait": "long"}, 400),
    ],
)
async def test_invalid_bodies_get_400(body, status):
    _user, client = await token_client()
    got, response = await poll(client, body)
    assert got == status and response["detail"]


async def test_not_json_gets_400():
    _user, client = await token_client()
    response = await client.post(URL, "{nope", content_type="application/json")
    assert response.status_code == 400


async def test_anonymous_gets_401():
    status, body = await poll(AsyncClient(), {"topics": {"probe:1": 0}})
    assert status == 401


async def test_session_needs_csrf_token():
    @sync_to_async
    def session_posts():
        user = UserFactory()
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(user)
        body = json.dumps({"topics": {f"probe:{user.pk}": 0}, "wait": 0})
        without = strict.post(URL, body, content_type="application/json")
        strict.get("/healthz")  # any page; then fetch a token the way the browser does
        from django.middleware.csrf import _get_new_csrf_string

        token = _get_new_csrf_string()
        strict.cookies["csrftoken"] = token
        with_token = strict.post(
            URL, body, content_type="application/json", headers={"X-CSRFToken": token}
        )
        return without.status_code, with_token.status_code

    assert await session_posts() == (403, 200)


async def test_metrics_count_polls_and_joins():
    user, client = await token_client()
    await poll(client, {"topics": {f"probe:{user.pk}": 0}, "wait": 0})
    text = (await AsyncClient().get("/metrics")).content.decode()
    assert "lms_poll_requests_total" in text
    assert "lms_ws_open_sockets" in text
    assert "lms_event_delivery_seconds_bucket" in text


async def held(user, timeout: float = 5) -> None:
    """Until the user's poll is held: its topics read and subscribed to."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not views.held_polls.get(user.pk):
        assert asyncio.get_running_loop().time() < deadline, "the poll was never held"
        await asyncio.sleep(0.01)


async def test_null_since_waits_for_the_next_event():
    user, client = await token_client()
    topic = f"probe:{user.pk}"
    await emit(topic, n="old")
    held_poll = asyncio.ensure_future(poll(client, {"topics": {topic: None}, "wait": 10}))
    await held(user)  # "now" is taken: the next event is after it
    await emit(topic, n="new")
    status, body = await asyncio.wait_for(held_poll, 5)
    assert [e["data"] for e in body["events"]] == [{"n": "new"}]
    assert body["last_ids"] == {topic: 2}
