"""Blocking a user from direct messages."""

import pytest
from rest_framework.test import APIClient

from discussions import moderation, services
from discussions.models import DirectMessage
from lms.realtime.models import Event
from tests.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def pair(db):
    course = CourseFactory()
    alice = EnrollmentFactory(course=course).user
    bob = EnrollmentFactory(course=course).user
    services.direct_message_send(sender=bob, recipient=alice, content="hello alice")
    return alice, bob


def send(sender, recipient, content="hi"):
    return client_for(sender).post(
        "/api/messages/", {"recipient": recipient.pk, "content": content}, format="json"
    )


def test_block_stops_sending_both_ways_and_tells_the_blocked_nothing(pair):
    alice, bob = pair
    before = Event.objects.filter(topic=f"user:{bob.pk}").count()
    response = client_for(alice).post("/api/blocks/", {"user": bob.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["user"]["id"] == bob.pk
    assert client_for(alice).post("/api/blocks/", {"user": bob.pk}).status_code == 200
    refused = send(bob, alice)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "You cannot send messages to this user."
    assert send(alice, bob).status_code == 403
    assert Event.objects.filter(topic=f"user:{bob.pk}").count() == before
    # The history stays readable to both.
    for user, partner in ((alice, bob), (bob, alice)):
        listed = client_for(user).get(f"/api/messages/?with={partner.pk}").json()
        assert [m["content"] for m in listed["results"]] == ["hello alice"]
    assert [b["user"]["id"] for b in client_for(alice).get("/api/blocks/").json()["results"]] == [
        bob.pk
    ]
    assert client_for(bob).get("/api/blocks/").json()["results"] == []


def test_unblock_lets_them_write_again(pair):
    alice, bob = pair
    moderation.user_block(blocker=alice, blocked=bob)
    assert client_for(bob).delete(f"/api/blocks/{alice.pk}/").status_code == 404
    assert client_for(alice).delete(f"/api/blocks/{bob.pk}/").status_code == 204
    assert send(bob, alice).status_code == 201


def test_cannot_block_yourself_or_nobody(pair):
    alice, _bob = pair
    assert client_for(alice).post("/api/blocks/", {"user": alice.pk}).status_code == 400
    assert client_for(alice).post("/api/blocks/", {"user": 999999}).status_code == 400


def test_conversation_page_block_button(pair, client):
    alice, bob = pair
    client.force_login(alice)
    page = client.get(f"/messages/{bob.pk}/").content.decode()
    assert 'id="block-button"' in page and ">Block<" in page
    response = client.post(f"/messages/{bob.pk}/block/", {"action": "block"}, follow=True)
    html = response.content.decode()
    assert "You blocked" in html
    assert "hello alice" in html
    assert ">Unblock<" in html
    assert 'id="post-form"' not in html
    client.force_login(bob)
    refused = client.post(f"/messages/{alice.pk}/", {"content": "hey"})
    assert refused.status_code == 403
    assert DirectMessage.objects.count() == 1
    client.force_login(alice)
    client.post(f"/messages/{bob.pk}/block/", {"action": "unblock"})
    assert 'id="post-form"' in client.get(f"/messages/{bob.pk}/").content.decode()


def test_blocking_someone_without_history_keeps_the_page(db, client):
    course = CourseFactory()
    alice = EnrollmentFactory(course=course).user
    carol = EnrollmentFactory(course=course).user
    client.force_login(alice)
    response = client.post(f"/messages/{carol.pk}/block/", {"action": "block"}, follow=True)
    assert response.status_code == 200
    assert ">Unblock<" in response.content.decode()
