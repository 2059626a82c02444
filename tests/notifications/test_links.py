"""Every notification that leads somewhere is a link; following it marks it read."""

import re

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


def test_the_page_links_each_notification_through_its_open_url(client, user):
    linked = NotificationFactory(user=user, title="Lesson done", url="/lessons/3/")
    plain = NotificationFactory(user=user, title="Just so you know", url="")

    html = client.get("/notifications/").content.decode()

    item = re.search(rf'data-notification-id="{linked.pk}".*?</li>', html, re.S).group(0)
    assert (
        f'<a class="notification-link" href="/notifications/{linked.pk}/open/">'
        '<strong class="notification-title">Lesson done</strong></a>'
    ) in item
    other = re.search(rf'data-notification-id="{plain.pk}".*?</li>', html, re.S).group(0)
    assert "notification-link" not in other
    assert '<strong class="notification-title">Just so you know</strong>' in other


def test_titles_are_escaped_in_the_link(client, user):
    NotificationFactory(user=user, title="<img src=x onerror=alert(1)>", url="/")
    html = client.get("/notifications/").content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_open_marks_read_and_leads_to_the_url(client, user):
    notification = NotificationFactory(user=user, url="/threads/4/#message-9")

    response = client.get(f"/notifications/{notification.pk}/open/")

    assert response.status_code == 302
    assert response.url == "/threads/4/#message-9"
    assert Notification.objects.get(pk=notification.pk).is_read


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example", ""],
)
def test_open_never_leads_off_site(client, user, url):
    notification = NotificationFactory(user=user, url=url)

    response = client.get(f"/notifications/{notification.pk}/open/")

    assert response.status_code == 302
    assert response.url == "/notifications/"
    assert Notification.objects.get(pk=notification.pk).is_read


def test_open_someone_elses_notification_is_a_404(client):
    theirs = NotificationFactory(url="/")
    assert client.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    assert not Notification.objects.get(pk=theirs.pk).is_read


def test_open_needs_a_signed_in_user():
    notification = NotificationFactory(url="/")
    response = Client().get(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/") or "login" in response.url
    assert not Notification.objects.get(pk=notification.pk).is_read


def test_a_link_from_another_site_leads_on_without_marking_read(client, user):
    notification = NotificationFactory(user=user, url="/lessons/3/")

    response = client.get(
        f"/notifications/{notification.pk}/open/", headers={"Sec-Fetch-Site": "cross-site"}
    )

    assert response.url == "/lessons/3/"
    assert not Notification.objects.get(pk=notification.pk).is_read


def test_opening_sends_the_read_event(client, user):
    from lms.realtime.models import Event

    notification = NotificationFactory(user=user, url="/")
    client.get(f"/notifications/{notification.pk}/open/")
    client.get(f"/notifications/{notification.pk}/open/")  # already read: nothing more
    reads = Event.objects.filter(topic=f"user:{user.pk}", event="notification.read")
    assert [event.data["ids"] for event in reads] == [[notification.pk]]


def test_existing_kinds_lead_somewhere(client, user):
    from notifications.services import lesson_completed_notice, notifications_send
    from tests.factories import LessonFactory

    lesson = LessonFactory()
    [notification] = notifications_send(user=user, notices=[lesson_completed_notice(lesson=lesson)])
    response = client.get(f"/notifications/{notification.pk}/open/")
    assert response.url == lesson.get_absolute_url()
