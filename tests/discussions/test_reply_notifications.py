"""A post in a thread notifies its creator and everyone who posted in it before, once per
thread until they read it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from discussions import services
from discussions.reading import thread_read_mark
from lms.catalog.services import enrollment_delete
from notifications.models import Channel, Kind, Notification, NotificationPreference
from notifications.services import notification_mark_read
from tests.discussions.factories import ThreadFactory, ThreadMessageFactory
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def notified(kind=None):
    rows = Notification.objects.all()
    if kind:
        rows = rows.filter(kind=kind)
    return sorted(rows.values_list("user_id", flat=True))


def test_creator_and_earlier_posters_are_notified_once_each(cast, active_thread):
    poster = EnrollmentFactory(course=cast.course).user
    ThreadMessageFactory(thread=active_thread, sender=poster)
    ThreadMessageFactory(thread=active_thread, sender=poster)
    ThreadMessageFactory(thread=active_thread, sender=cast.instructor)

    message = services.thread_message_post(
        thread=active_thread, sender=cast.enrolled, content="I have the same question."
    )

    assert notified() == sorted([cast.creator.pk, poster.pk, cast.instructor.pk])
    notification = Notification.objects.get(user=poster)
    assert notification.kind == Kind.THREAD_REPLY
    assert notification.title == 'New reply in "Week 1 questions"'
    assert notification.message == "I have the same question."
    assert notification.url == f"/threads/{active_thread.pk}/#message-{message.pk}"
    assert notification.related_entity_type == "thread_message"
    assert notification.related_entity_id == message.pk


def test_the_sender_is_not_notified_of_their_own_post(cast, active_thread):
    services.thread_message_post(thread=active_thread, sender=cast.creator, content="Bump")
    ThreadMessageFactory(thread=active_thread, sender=cast.enrolled)
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="Again")
    assert notified() == [cast.creator.pk]


def test_a_student_who_left_the_course_is_not_notified(cast, active_thread):
    leaver = EnrollmentFactory(course=cast.course).user
    ThreadMessageFactory(thread=active_thread, sender=leaver)
    enrollment_delete(enrollment=leaver.enrollments.get(course=cast.course))
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="Hello")
    assert leaver.pk not in notified()
    assert cast.creator.pk in notified()


def test_inactive_and_deleted_accounts_are_not_notified(cast, active_thread):
    from django.utils import timezone

    inactive = EnrollmentFactory(course=cast.course).user
    deleted = EnrollmentFactory(course=cast.course).user
    ThreadMessageFactory(thread=active_thread, sender=inactive)
    ThreadMessageFactory(thread=active_thread, sender=deleted)
    inactive.is_active = False
    inactive.save()
    deleted.deleted_at = timezone.now()
    deleted.save()
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="Hello")
    assert notified() == [cast.creator.pk]


def test_students_are_not_told_of_posts_in_a_closed_thread(cast, closed_thread):
    ThreadMessageFactory(thread=closed_thread, sender=cast.enrolled)
    services.thread_message_post(thread=closed_thread, sender=cast.instructor, content="Closed.")
    assert notified() == []


def test_a_mention_replaces_the_reply_notification(cast, active_thread):
    ThreadMessageFactory(thread=active_thread, sender=cast.enrolled)
    services.thread_message_post(
        thread=active_thread,
        sender=cast.instructor,
        content=f"@{cast.creator.username} and @{cast.enrolled.username}: see lesson 2.",
    )
    assert notified(Kind.MENTION) == sorted([cast.creator.pk, cast.enrolled.pk])
    assert notified(Kind.THREAD_REPLY) == []


def test_a_user_who_turned_replies_off_gets_none(cast, active_thread):
    NotificationPreference.objects.create(
        user=cast.creator, kind=Kind.THREAD_REPLY, channel=Channel.OFF
    )
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="Hi")
    assert notified() == []


def test_the_preview_is_short_and_on_one_line(cast, active_thread):
    services.thread_message_post(
        thread=active_thread, sender=cast.enrolled, content="line one\n\nline two " + "x" * 300
    )
    preview = Notification.objects.get().message
    assert preview.startswith("line one line two x")
    assert len(preview) <= services.PREVIEW_LENGTH
    assert preview.endswith("…")


def test_deleting_the_message_deletes_its_notifications(cast, active_thread):
    message = services.thread_message_post(
        thread=active_thread, sender=cast.enrolled, content=f"@{cast.instructor.username} hi"
    )
    other = services.thread_message_post(thread=active_thread, sender=cast.staff, content="Hi")
    assert Notification.objects.filter(related_entity_id=message.pk).count() == 2
    services.thread_message_delete(message=message, actor=cast.instructor)
    assert not Notification.objects.filter(related_entity_id=message.pk).exists()
    assert Notification.objects.filter(related_entity_id=other.pk).exists()


def test_a_deleted_messages_notification_leaves_live_pages(cast, active_thread):
    from lms.realtime.models import Event

    message = services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="x")
    notification = Notification.objects.get(user=cast.creator)
    services.thread_message_delete(message=message, actor=cast.staff)
    events = list(
        Event.objects.filter(topic=f"user:{cast.creator.pk}").values_list("event", "data")
    )
    # The stored notification.created is redacted, and the deletion published.
    assert ("notification.deleted", {"id": notification.pk}) in events
    assert all(event != "notification.created" for event, _data in events)


def unread_replies(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user, kind=Kind.THREAD_REPLY, is_read=False)
        .order_by("id")
        .values_list("message", flat=True)
    )


def test_a_busy_thread_notifies_a_follower_once_until_they_read_it(cast, active_thread):
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="First")
    services.thread_message_post(thread=active_thread, sender=cast.instructor, content="Second")
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="Third")
    assert unread_replies(cast.creator) == ["First"]

    notification_mark_read(
        user=cast.creator, notification_id=Notification.objects.get(user=cast.creator).pk
    )
    services.thread_message_post(thread=active_thread, sender=cast.staff, content="Fourth")
    assert unread_replies(cast.creator) == ["Fourth"]


def test_an_unread_reply_does_not_hold_back_a_mention(cast, active_thread):
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="First")
    services.thread_message_post(
        thread=active_thread, sender=cast.instructor, content=f"@{cast.creator.username} see this"
    )
    assert notified(Kind.MENTION) == [cast.creator.pk]
    assert unread_replies(cast.creator) == ["First"]


def test_another_threads_unread_reply_does_not_hold_this_one_back(cast, active_thread):
    other = ThreadFactory(course=cast.course, created_by=cast.creator, title="Week 2")
    services.thread_message_post(thread=other, sender=cast.enrolled, content="Elsewhere")
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="Here")
    assert unread_replies(cast.creator) == ["Elsewhere", "Here"]


def test_reading_past_the_reply_marks_its_notification_read(cast, active_thread):
    from lms.realtime.models import Event

    first = services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="1")
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="2")
    notification = Notification.objects.get(user=cast.creator)

    thread_read_mark(user=cast.creator, thread=active_thread, last_read_id=first.pk - 1)
    assert unread_replies(cast.creator) == ["1"], "its message is not seen yet"

    thread_read_mark(user=cast.creator, thread=active_thread, last_read_id=first.pk)
    assert unread_replies(cast.creator) == []
    read = Event.objects.filter(topic=f"user:{cast.creator.pk}", event="notification.read").get()
    assert read.data == {"ids": [notification.pk], "unread_count": 0}

    services.thread_message_post(thread=active_thread, sender=cast.staff, content="3")
    assert unread_replies(cast.creator) == ["3"], "the next reply notifies again"


def _post_queries(course, participants: int) -> int:
    creator = EnrollmentFactory(course=course).user
    thread = ThreadFactory(course=course, created_by=creator)
    for _ in range(participants):
        ThreadMessageFactory(thread=thread, sender=EnrollmentFactory(course=course).user)
    sender = EnrollmentFactory(course=course).user
    mentioned = " ".join(f"@{u.username}" for u in UserFactory.create_batch(3))
    with CaptureQueriesContext(connection) as queries:
        services.thread_message_post(thread=thread, sender=sender, content=f"Hi {mentioned}")
    assert Notification.objects.filter(related_entity_id=thread.messages.last().pk).count() == (
        participants + 1
    )
    return len(queries)


def test_posting_costs_the_same_queries_for_many_participants(cast):
    few = _post_queries(cast.course, 2)
    many = _post_queries(cast.course, 40)
    assert many == few, "a query per participant"
    assert many <= 25
