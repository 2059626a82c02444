"""Staff moderation in the admin: close threads, delete messages, filter and search."""

import pytest
from django.test import Client

from discussions import events
from discussions.models import DiscussionThread, ThreadMessage
from lms.realtime.models import Event
from tests.discussions.factories import ThreadFactory, ThreadMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(cast):
    client = Client()
    client.force_login(cast.staff)
    return client


def test_close_action_closes_and_revokes(cast, active_thread, admin_client, monkeypatch):
    revoked = []
    monkeypatch.setattr(events, "revoke", lambda **kwargs: revoked.append(kwargs))
    other = ThreadFactory(course=cast.course)
    response = admin_client.post(
        "/admin/discussions/discussionthread/",
        {"action": "close_threads", "_selected_action": [active_thread.pk, other.pk]},
    )
    assert response.status_code == 302
    assert not DiscussionThread.objects.filter(is_active=True).exists()
    assert {r["topic"] for r in revoked} == {f"thread:{active_thread.pk}", f"thread:{other.pk}"}
    assert Event.objects.filter(event="thread.updated", topic__startswith="thread:").count() == 2


def test_closing_in_the_change_form_goes_through_the_service(cast, active_thread, admin_client):
    response = admin_client.post(
        f"/admin/discussions/discussionthread/{active_thread.pk}/change/",
        {"title": "Renamed by staff"},  # is_active unchecked: closed
    )
    assert response.status_code == 302
    active_thread.refresh_from_db()
    assert (active_thread.title, active_thread.is_active) == ("Renamed by staff", False)
    event = Event.objects.get(topic=f"thread:{active_thread.pk}", event="thread.updated")
    assert event.data["is_active"] is False


def test_deleting_a_message_announces_it(cast, active_thread, admin_client):
    message = ThreadMessageFactory(thread=active_thread)
    response = admin_client.post(
        f"/admin/discussions/threadmessage/{message.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not ThreadMessage.objects.exists()
    announced = Event.objects.filter(event="thread.message_deleted").order_by("seq").last()
    assert announced.data["id"] == message.pk


def test_bulk_delete_announces_each(cast, active_thread, admin_client):
    ids = [ThreadMessageFactory(thread=active_thread).pk for _ in range(3)]
    admin_client.post(
        "/admin/discussions/threadmessage/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert not ThreadMessage.objects.exists()
    # Each deletion is announced once, and each message's own event is redacted to one.
    assert Event.objects.filter(event="thread.message_deleted").count() == 6
    assert not Event.objects.filter(event="thread.message").exists()


def test_message_list_filters_and_search(
    cast, active_thread, admin_client, django_assert_max_num_queries
):
    ThreadMessageFactory(thread=active_thread, sender=cast.enrolled, content="needle here")
    for _ in range(30):
        ThreadMessageFactory(sender=cast.creator)
    with django_assert_max_num_queries(20):
        response = admin_client.get(
            "/admin/discussions/threadmessage/",
            {"thread__course__id__exact": cast.course.pk, "q": "needle"},
        )
    assert response.status_code == 200
    assert "needle here" in response.content.decode()
    response = admin_client.get(
        "/admin/discussions/threadmessage/", {"sender__id__exact": cast.creator.pk}
    )
    assert "needle here" not in response.content.decode()


def test_thread_list_renders(cast, active_thread, admin_client, django_assert_max_num_queries):
    for _ in range(20):
        ThreadMessageFactory(thread=ThreadFactory(course=cast.course))
    with django_assert_max_num_queries(20):
        response = admin_client.get("/admin/discussions/discussionthread/", {"q": "Week"})
    assert "Week 1 questions" in response.content.decode()


def test_direct_messages_are_not_in_the_admin(admin_client):
    assert admin_client.get("/admin/discussions/directmessage/").status_code == 404
