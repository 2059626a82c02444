"""Editing thread messages and direct messages: who may, what readers and replays see."""

from datetime import timedelta

import pytest
from django.utils import timezone

from discussions import moderation, services
from discussions.models import CourseMute, DirectMessage, MessageRevision, ThreadMessage
from lms.realtime.models import Event
from notifications.models import Kind, Notification
from tests.discussions.factories import ThreadFactory
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def post(thread, sender, content="first words"):
    return services.thread_message_post(thread=thread, sender=sender, content=content)


def edit_url(message):
    return f"/api/threads/{message.thread_id}/messages/{message.pk}/"


def age(message, minutes):
    type(message).objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


class TestThreadMessageEditPerRole:
    def test_the_author_edits_within_the_window(self, cast, active_thread):
        message = post(active_thread, cast.enrolled)
        response = cast.client("enrolled").patch(
            edit_url(message), {"content": "  better words  "}, format="json"
        )
        assert response.status_code == 200
        body = response.json()
        assert body["content"] == "better words"
        assert body["edited_at"] is not None
        assert body["reactions"] == []
        message.refresh_from_db()
        assert message.content == "better words"
        assert [r.content for r in MessageRevision.objects.filter(thread_message=message)] == [
            "first words"
        ]

    def test_the_author_cannot_edit_after_the_window(self, cast, active_thread, settings):
        settings.MESSAGE_EDIT_WINDOW_MINUTES = 15
        message = post(active_thread, cast.enrolled)
        age(message, 16)
        response = cast.client("enrolled").patch(
            edit_url(message), {"content": "late"}, format="json"
        )
        assert response.status_code == 403
        assert "15 minutes" in response.json()["detail"]
        message.refresh_from_db()
        assert message.content == "first words"
        assert not MessageRevision.objects.exists()

    @pytest.mark.parametrize("role", ["creator", "instructor", "staff"])
    def test_nobody_else_edits_someone_s_words(self, cast, active_thread, role):
        message = post(active_thread, cast.enrolled)
        response = cast.client(role).patch(edit_url(message), {"content": "theirs"}, format="json")
        assert response.status_code == 403
        message.refresh_from_db()
        assert message.content == "first words"

    def test_an_outsider_gets_404(self, cast, active_thread):
        message = post(active_thread, cast.enrolled)
        response = cast.client("unenrolled").patch(
            edit_url(message), {"content": "x"}, format="json"
        )
        assert response.status_code == 404

    def test_a_muted_student_is_told_until_when(self, cast, active_thread):
        message = post(active_thread, cast.enrolled)
        CourseMute.objects.create(
            course=cast.course, user=cast.enrolled, until=timezone.now() + timedelta(hours=1)
        )
        response = cast.client("enrolled").patch(edit_url(message), {"content": "x"}, format="json")
        assert response.status_code == 403
        assert "You are muted in this course's discussions until" in response.json()["detail"]

    def test_an_expired_mute_does_not_stop_an_edit(self, cast, active_thread):
        message = post(active_thread, cast.enrolled)
        CourseMute.objects.create(
            course=cast.course, user=cast.enrolled, until=timezone.now() - timedelta(minutes=1)
        )
        response = cast.client("enrolled").patch(edit_url(message), {"content": "x"}, format="json")
        assert response.status_code == 200

    def test_a_student_cannot_edit_in_a_closed_thread(self, cast, active_thread):
        message = post(active_thread, cast.enrolled)
        services.thread_update(thread=active_thread, actor=cast.instructor, is_active=False)
        response = cast.client("enrolled").patch(edit_url(message), {"content": "x"}, format="json")
        assert response.status_code == 403

    def test_a_hidden_message_cannot_be_edited(self, cast, active_thread):
        message = post(active_thread, cast.enrolled)
        moderation.message_hide(message=message, actor=cast.instructor)
        response = cast.client("enrolled").patch(edit_url(message), {"content": "x"}, format="json")
        assert response.status_code == 403
        message.refresh_from_db()
        assert message.content == "first words"

    @pytest.mark.parametrize("content", ["", "   ", "x" * 4001, 5, None])
    def test_content_follows_the_posting_rules(self, cast, active_thread, content):
        message = post(active_thread, cast.enrolled)
        response = cast.client("enrolled").patch(
            edit_url(message), {"content": content}, format="json"
        )
        assert response.status_code == 400
        assert "content" in response.json()
        message.refresh_from_db()
        assert message.content == "first words"

    def test_edits_count_toward_the_message_rate_limit(self, cast, active_thread, settings):
        settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 2
        message = post(active_thread, cast.enrolled)
        client = cast.client("enrolled")
        assert client.patch(edit_url(message), {"content": "b"}, format="json").status_code == 200
        response = client.patch(edit_url(message), {"content": "c"}, format="json")
        assert response.status_code == 429
        assert "Retry-After" in response


class TestRevisions:
    def test_moderators_see_earlier_versions(self, cast, active_thread):
        message = post(active_thread, cast.enrolled, "one")
        client = cast.client("enrolled")
        client.patch(edit_url(message), {"content": "two"}, format="json")
        client.patch(edit_url(message), {"content": "three"}, format="json")
        for role in ("instructor", "staff"):
            response = cast.client(role).get(edit_url(message) + "revisions/")
            assert response.status_code == 200
            assert [r["content"] for r in response.json()] == ["one", "two"]

    @pytest.mark.parametrize("role", ["enrolled", "creator"])
    def test_members_do_not(self, cast, active_thread, role):
        message = post(active_thread, cast.enrolled, "one")
        cast.client("enrolled").patch(edit_url(message), {"content": "two"}, format="json")
        response = cast.client(role).get(edit_url(message) + "revisions/")
        assert response.status_code == 403
        assert "one" not in response.content.decode()

    def test_the_admin_shows_them_inline(self, cast, active_thread, client):
        message = post(active_thread, cast.enrolled, "the old text")
        cast.client("enrolled").patch(edit_url(message), {"content": "new"}, format="json")
        client.force_login(cast.staff)
        page = client.get(f"/admin/discussions/threadmessage/{message.pk}/change/")
        assert page.status_code == 200
        assert "the old text" in page.content.decode()


class TestReplayHoldsTheCurrentText:
    def test_stored_events_hold_no_earlier_text(self, cast, active_thread):
        message = post(active_thread, cast.enrolled, "draft with typo")
        client = cast.client("enrolled")
        client.patch(edit_url(message), {"content": "second draft"}, format="json")
        client.patch(edit_url(message), {"content": "final words"}, format="json")
        events = Event.objects.filter(topic=f"thread:{active_thread.pk}").order_by("seq")
        assert [e.event for e in events] == [
            "thread.message",
            "thread.message.updated",
            "thread.message.updated",
        ]
        stored = str([e.data for e in Event.objects.all()])
        assert "typo" not in stored and "second draft" not in stored
        assert all(e.data["content"] == "final words" for e in events)
        assert all(e.data["edited_at"] for e in events)

    def test_the_same_text_changes_nothing(self, cast, active_thread):
        message = post(active_thread, cast.enrolled, "same")
        response = cast.client("enrolled").patch(
            edit_url(message), {"content": " same "}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["edited_at"] is None
        assert not MessageRevision.objects.exists()
        assert Event.objects.filter(event="thread.message.updated").count() == 0


class TestMentionsInAnEdit:
    def test_only_newly_mentioned_readers_are_notified(self, cast, active_thread):
        carol = EnrollmentFactory(course=cast.course, user__username="carol").user
        dave = EnrollmentFactory(course=cast.course, user__username="dave").user
        message = post(active_thread, cast.enrolled, "hi @carol")
        cast.client("enrolled").patch(
            edit_url(message), {"content": "hi @carol and @dave"}, format="json"
        )
        mentions = Notification.objects.filter(kind=Kind.MENTION)
        assert sorted(n.user_id for n in mentions) == sorted([carol.pk, dave.pk])
        cast.client("enrolled").patch(edit_url(message), {"content": "@dave @carol"}, format="json")
        assert Notification.objects.filter(kind=Kind.MENTION).count() == 2


class TestDirectMessageEdit:
    def dm(self, cast, content="see you at 5"):
        return services.direct_message_send(
            sender=cast.enrolled, recipient=cast.creator, content=content
        )

    def test_the_sender_edits_and_both_sides_get_the_new_text(self, cast):
        message = self.dm(cast)
        response = cast.client("enrolled").patch(
            f"/api/messages/{message.pk}/", {"content": "see you at 6"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["content"] == "see you at 6"
        assert response.json()["edited_at"]
        for user in (cast.enrolled, cast.creator):
            events = Event.objects.filter(topic=f"user:{user.pk}", event__startswith="dm.")
            assert [e.event for e in events.order_by("seq")] == ["dm.created", "dm.updated"]
            assert all(e.data["content"] == "see you at 6" for e in events)
        assert "at 5" not in str([e.data for e in Event.objects.all()])
        listed = cast.client("creator").get(f"/api/messages/?with={cast.enrolled.pk}").json()
        assert listed["results"][0]["content"] == "see you at 6"
        assert MessageRevision.objects.get(direct_message=message).content == "see you at 5"

    def test_the_recipient_cannot_edit(self, cast):
        message = self.dm(cast)
        response = cast.client("creator").patch(
            f"/api/messages/{message.pk}/", {"content": "hacked"}, format="json"
        )
        assert response.status_code == 403
        assert DirectMessage.objects.get().content == "see you at 5"

    def test_a_stranger_gets_404(self, cast):
        message = self.dm(cast)
        response = cast.client("staff").patch(
            f"/api/messages/{message.pk}/", {"content": "x"}, format="json"
        )
        assert response.status_code == 404

    def test_not_after_the_window(self, cast):
        message = self.dm(cast)
        age(message, 60)
        response = cast.client("enrolled").patch(
            f"/api/messages/{message.pk}/", {"content": "x"}, format="json"
        )
        assert response.status_code == 403


class TestPages:
    def test_the_author_sees_edit_and_others_see_edited(self, cast, active_thread, client):
        message = post(active_thread, cast.enrolled, "old")
        client.force_login(cast.enrolled)
        page = client.get(f"/threads/{active_thread.pk}/").content.decode()
        assert f"/threads/{active_thread.pk}/messages/{message.pk}/edit/" in page
        edit_page = client.get(f"/threads/{active_thread.pk}/messages/{message.pk}/edit/")
        assert edit_page.status_code == 200
        assert "old" in edit_page.content.decode()
        saved = client.post(
            f"/threads/{active_thread.pk}/messages/{message.pk}/edit/", {"content": "new <b>"}
        )
        assert saved.status_code == 302
        client.force_login(cast.creator)
        page = client.get(f"/threads/{active_thread.pk}/").content.decode()
        assert "new &lt;b&gt;" in page
        assert "(edited)" in page and 'title="Edited ' in page
        assert f"/messages/{message.pk}/edit/" not in page

    def test_another_student_cannot_open_the_edit_page(self, cast, active_thread, client):
        message = post(active_thread, cast.enrolled, "old")
        client.force_login(cast.creator)
        url = f"/threads/{active_thread.pk}/messages/{message.pk}/edit/"
        assert client.get(url).status_code == 302
        client.post(url, {"content": "mine now"})
        message.refresh_from_db()
        assert message.content == "old"

    def test_a_direct_message_edit_page(self, cast, client):
        message = services.direct_message_send(
            sender=cast.enrolled, recipient=cast.creator, content="old"
        )
        client.force_login(cast.enrolled)
        page = client.get(f"/messages/{cast.creator.pk}/").content.decode()
        assert f"/messages/edit/{message.pk}/" in page
        assert client.post(f"/messages/edit/{message.pk}/", {"content": "new"}).status_code == 302
        assert DirectMessage.objects.get().content == "new"


def test_an_unrelated_thread_message_id_is_404(cast, active_thread):
    other = ThreadFactory(course=cast.course, created_by=cast.creator)
    message = post(other, cast.enrolled)
    response = cast.client("enrolled").patch(
        f"/api/threads/{active_thread.pk}/messages/{message.pk}/", {"content": "x"}, format="json"
    )
    assert response.status_code == 404
    assert ThreadMessage.objects.get().content == "first words"
