"""A conversation's topic: the two people only, presence (online) and typing; a thread's
presence counts who is online."""

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from discussions.events import conversation_topic
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pair(db):
    course = CourseFactory()
    alice = EnrollmentFactory(course=course).user
    bob = EnrollmentFactory(course=course).user
    return alice, bob


def test_the_topic_name_is_lower_id_first(pair):
    alice, bob = pair
    low, high = sorted([alice.pk, bob.pk])
    assert (
        conversation_topic(high, low)
        == conversation_topic(low, high)
        == f"conversation:{low}-{high}"
    )


async def test_the_two_may_join_a_third_may_not(pair):
    alice, bob = pair
    carol = await database_sync_to_async(UserFactory)()
    topic = conversation_topic(alice.pk, bob.pk)
    async with ws_connect(alice) as a, ws_connect(carol) as c:
        reply = await a.join(topic)
        assert reply["ok"], reply
        assert reply["data"]["partner"] == bob.pk
        assert reply["data"]["partner_online"] is False
        refused = await c.join(topic)
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden"


async def test_non_canonical_names_are_unknown(pair):
    alice, bob = pair
    low, high = sorted([alice.pk, bob.pk])
    async with ws_connect(alice) as ws:
        for name in (
            f"conversation:{high}-{low}",
            f"conversation:{low}-{low}",
            f"conversation:0{low}-{high}",
            f"conversation:{low}-{high}-1",
        ):
            reply = await ws.join(name)
            assert reply["ok"] is False and reply["error"]["code"] == "unknown_topic", name


async def test_people_who_may_not_message_each_other_may_not_join(db):
    alice, stranger = await database_sync_to_async(
        lambda: (EnrollmentFactory().user, EnrollmentFactory().user)
    )()
    async with ws_connect(alice) as ws:
        reply = await ws.join(conversation_topic(alice.pk, stranger.pk))
        assert reply["ok"] is False and reply["error"]["code"] == "forbidden"


async def test_presence_and_typing_between_the_two(pair):
    alice, bob = pair
    topic = conversation_topic(alice.pk, bob.pk)
    async with ws_connect(alice) as a:
        assert (await a.join(topic))["ok"]
        assert (await a.request({"op": "track", "topic": topic, "meta": {"status": "active"}}))[
            "ok"
        ]
        async with ws_connect(bob) as b:
            reply = await b.join(topic)
            assert reply["data"]["partner_online"] is True
            state = await b.receive_until(lambda f: f.get("op") == "presence" and "state" in f)
            assert str(alice.pk) in state["state"] and state["count"] == 1
            assert (await b.request({"op": "track", "topic": topic, "meta": {}}))["ok"]
            joined = await a.receive_until(
                lambda f: f.get("op") == "presence" and str(bob.pk) in f.get("joins", {})
            )
            assert joined["topic"] == topic
            await b.send({"op": "typing", "topic": topic})
            typing = await a.receive_until(lambda f: f.get("op") == "typing")
            assert typing["user"] == {"id": bob.pk, "name": bob.display_name}
        await a.receive_until(
            lambda f: f.get("op") == "presence" and str(bob.pk) in f.get("leaves", {})
        )


def test_partner_presence_endpoint(pair):
    alice, bob = pair
    stranger = EnrollmentFactory().user
    client = APIClient()
    client.force_authenticate(alice)
    assert client.get(f"/api/messages/presence/?with={bob.pk}").json() == {
        "with": bob.pk,
        "online": False,
    }
    assert client.get(f"/api/messages/presence/?with={stranger.pk}").status_code == 404
    assert client.get(f"/api/messages/presence/?with={alice.pk}").status_code == 404
    assert client.get("/api/messages/presence/?with=x").status_code == 400


def test_the_conversation_page_has_the_dot_and_the_typing_line(pair, client):
    alice, bob = pair
    client.force_login(alice)
    page = client.get(f"/messages/{bob.pk}/").content.decode()
    assert 'id="partner-online"' in page
    assert 'id="typing-line"' in page
    assert "js/presence.js" in page


async def test_a_thread_counts_who_is_online(cast, active_thread):
    topic = f"thread:{active_thread.pk}"
    async with ws_connect(cast.enrolled) as a, ws_connect(cast.creator) as b:
        for ws in (a, b):
            assert (await ws.join(topic))["ok"]
            assert (await ws.request({"op": "track", "topic": topic, "meta": {}}))["ok"]
        async with ws_connect(cast.instructor) as c:
            assert (await c.join(topic))["ok"]
            state = await c.receive_until(lambda f: f.get("op") == "presence" and "state" in f)
            assert state["count"] == 2
