"""The notifications REST API (docs/notifications.md)."""

import pytest

from notifications.models import Notification
from tests.factories import UserFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db

SHAPE = {
    "id",
    "title",
    "message",
    "type",
    "is_read",
    "related_entity_type",
    "related_entity_id",
    "kind",
    "url",
    "created_at",
}


def test_list_is_mine_newest_first_and_paginated(auth_client, user):
    older = NotificationFactory(user=user, title="older")
    newer = NotificationFactory(user=user, title="newer")
    NotificationFactory(title="someone else's")

    body = auth_client.get("/api/notifications/").json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert [n["id"] for n in body["results"]] == [newer.pk, older.pk]
    assert set(body["results"][0]) == SHAPE


def test_unread_filter(auth_client, user):
    NotificationFactory(user=user, is_read=True)
    unread = NotificationFactory(user=user)

    body = auth_client.get("/api/notifications/?unread=true").json()
    everything = auth_client.get("/api/notifications/?unread=false").json()

    assert [n["id"] for n in body["results"]] == [unread.pk]
    assert everything["count"] == 2


def test_bad_unread_value_is_400(auth_client):
    response = auth_client.get("/api/notifications/?unread=maybe")
    assert response.status_code == 400
    assert "unread" in response.json()


def test_unread_count(auth_client, user):
    NotificationFactory.create_batch(3, user=user)
    NotificationFactory(user=user, is_read=True)
    NotificationFactory()

    assert auth_client.get("/api/notifications/unread-count/").json() == {"count": 3}


def test_mark_one_read(auth_client, user):
    notification = NotificationFactory(user=user)

    response = auth_client.post(f"/api/notifications/{notification.pk}/read/")

    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert Notification.objects.get(pk=notification.pk).is_read is True


def test_marking_another_users_notification_is_404_and_changes_nothing(auth_client):
    theirs = NotificationFactory()

    assert auth_client.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    assert auth_client.get(f"/api/notifications/{theirs.pk}/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).is_read is False


def test_mark_unknown_notification_is_404(auth_client):
    assert auth_client.post("/api/notifications/424242/read/").status_code == 404


def test_mark_all_read_only_touches_mine(auth_client, user):
    mine = NotificationFactory.create_batch(3, user=user)
    theirs = NotificationFactory()

    response = auth_client.post("/api/notifications/read-all/")

    assert response.status_code == 200
    assert sorted(response.json()["ids"]) == sorted(n.pk for n in mine)
    assert response.json()["unread_count"] == 0
    assert not Notification.objects.filter(user=user, is_read=False).exists()
    assert Notification.objects.get(pk=theirs.pk).is_read is False


def test_mark_all_read_twice_is_harmless(auth_client, user):
    NotificationFactory(user=user)
    auth_client.post("/api/notifications/read-all/")

    again = auth_client.post("/api/notifications/read-all/")

    assert again.json() == {"ids": [], "unread_count": 0}


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/notifications/").status_code == 401
    assert api_client.get("/api/notifications/unread-count/").status_code == 401
    assert api_client.post("/api/notifications/read-all/").status_code == 401


def test_list_query_count_does_not_grow(auth_client, user, django_assert_max_num_queries):
    NotificationFactory.create_batch(25, user=user)

    with django_assert_max_num_queries(4):
        body = auth_client.get("/api/notifications/").json()

    assert body["count"] == 25
    assert len(body["results"]) == 20
    assert body["next"] is not None


def test_notification_text_is_returned_verbatim(auth_client, user):
    NotificationFactory(user=user, title="<script>alert(1)</script>")

    body = auth_client.get("/api/notifications/").json()

    assert body["results"][0]["title"] == "<script>alert(1)</script>"


def test_other_users_cannot_see_my_unread_count(user):
    from rest_framework.test import APIClient

    NotificationFactory.create_batch(2, user=user)
    other = APIClient()
    other.force_authenticate(UserFactory())

    assert other.get("/api/notifications/unread-count/").json() == {"count": 0}
