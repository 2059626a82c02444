"""The notifications page and the bell in the navigation, without JavaScript."""

import pytest
from django.test import Client

from notifications.models import Notification
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(user):
    client = Client()
    client.force_login(user)
    return client


def test_page_lists_my_notifications_newest_first(client, user):
    NotificationFactory(user=user, title="Older one")
    NotificationFactory(user=user, title="Newer one")
    NotificationFactory(title="Not mine")

    html = client.get("/notifications/").content.decode()

    assert html.index("Newer one") < html.index("Older one")
    assert "Not mine" not in html


def test_unread_only_filter(client, user):
    NotificationFactory(user=user, title="Seen", is_read=True)
    NotificationFactory(user=user, title="Fresh")

    html = client.get("/notifications/?unread=true").content.decode()

    assert "Fresh" in html
    assert "Seen" not in html


def test_mark_one_read_with_a_plain_form(client, user):
    notification = NotificationFactory(user=user)

    response = client.post(f"/notifications/{notification.pk}/read/")

    assert response.status_code == 302
    assert response.url == "/notifications/"
    assert Notification.objects.get(pk=notification.pk).is_read


def test_mark_read_returns_to_a_local_next_only(client, user):
    notification = NotificationFactory(user=user)

    local = client.post(
        f"/notifications/{notification.pk}/read/", {"next": "/notifications/?page=2"}
    )
    foreign = client.post(
        f"/notifications/{notification.pk}/read/", {"next": "https://evil.example/"}
    )

    assert local.url == "/notifications/?page=2"
    assert foreign.url == "/notifications/"


def test_marking_someone_elses_notification_is_404(client):
    theirs = NotificationFactory()

    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert not Notification.objects.get(pk=theirs.pk).is_read


def test_mark_all_read_with_a_plain_form(client, user):
    NotificationFactory.create_batch(3, user=user)
    other = NotificationFactory()

    response = client.post("/notifications/read-all/", follow=True)

    assert "Marked 3 notifications read." in response.content.decode()
    assert not Notification.objects.filter(user=user, is_read=False).exists()
    assert not Notification.objects.get(pk=other.pk).is_read


def test_forms_need_csrf_and_post(user):
    notification = NotificationFactory(user=user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post("/notifications/read-all/").status_code == 403
    assert client.post(f"/notifications/{notification.pk}/read/").status_code == 403
    assert client.get("/notifications/read-all/").status_code == 405
    assert not Notification.objects.get(pk=notification.pk).is_read


def test_page_needs_login():
    response = Client().get("/notifications/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_text_is_escaped(client, user):
    NotificationFactory(user=user, title="<img src=x onerror=alert(1)>", message="<b>bold</b>")

    html = client.get("/notifications/").content.decode()

    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_the_bell_shows_the_unread_count_on_every_page(client, user):
    NotificationFactory.create_batch(4, user=user)
    NotificationFactory(user=user, is_read=True)

    html = client.get("/courses/").content.decode()

    assert 'data-unread-count data-count="4"' in html
    assert "js/notifications.js" in html


def test_page_queries_stay_bounded(client, user, django_assert_max_num_queries):
    NotificationFactory.create_batch(30, user=user)

    with django_assert_max_num_queries(10):
        response = client.get("/notifications/")

    assert response.status_code == 200
    assert response.content.decode().count("data-notification-id=") == 20
