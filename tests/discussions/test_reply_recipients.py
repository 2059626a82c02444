"""Who a thread post notifies of a reply: the written-out query keeps `thread_readers`' rule.

The query is compared with the same question asked through the ORM (the thread's readers,
its followers, no unread reply notification of the thread, not the sender) and with the
people expected, for an open thread and a closed one.
"""

import pytest
from django.db.models import Exists, OuterRef
from django.utils import timezone

from discussions.models import ThreadFollow
from discussions.permissions import thread_readers
from discussions.selectors import thread_reply_notifications_unread, thread_reply_recipients
from notifications.models import Kind
from tests.discussions.factories import ThreadFactory
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    StaffFactory,
    UserFactory,
)
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def through_the_orm(thread, sender_id):
    return set(
        thread_readers(thread)
        .filter(Exists(ThreadFollow.objects.filter(thread_id=thread.pk, user_id=OuterRef("pk"))))
        .exclude(
            Exists(
                thread_reply_notifications_unread(thread_id=thread.pk).filter(user=OuterRef("pk"))
            )
        )
        .exclude(pk=sender_id)
        .values_list("pk", flat=True)
    )


@pytest.fixture
def people():
    course = CourseFactory(instructor=InstructorFactory())
    thread = ThreadFactory(course=course)
    other = ThreadFactory(course=course)  # an unread notification of it does not count here

    def student(**fields):
        user = UserFactory(**fields)
        EnrollmentFactory(user=user, course=course)
        return user

    cast = {
        "staff": StaffFactory(),
        "instructor": course.instructor,
        "student": student(),
        "unread": student(),
        "read": student(),
        "unread_elsewhere": student(),
        "not_following": student(),
        "left": UserFactory(),  # follows, no longer enrolled
        "inactive": student(is_active=False),
        "deleted": student(deleted_at=timezone.now()),
        "sender": student(),
    }
    for name, user in cast.items():
        if name != "not_following":
            ThreadFollow.objects.create(user=user, thread=thread)
    url = f"/threads/{thread.pk}/#message-1"
    NotificationFactory(user=cast["unread"], kind=Kind.THREAD_REPLY, url=url, is_read=False)
    NotificationFactory(user=cast["read"], kind=Kind.THREAD_REPLY, url=url, is_read=True)
    NotificationFactory(
        user=cast["unread_elsewhere"],
        kind=Kind.THREAD_REPLY,
        url=f"/threads/{other.pk}/#message-2",
        is_read=False,
    )
    return thread, cast


def test_an_open_thread_notifies_its_following_readers(people):
    thread, cast = people
    expected = {
        cast[name].pk for name in ("staff", "instructor", "student", "read", "unread_elsewhere")
    }
    sender = cast["sender"].pk
    assert thread_reply_recipients(thread=thread, sender_id=sender) == expected
    assert through_the_orm(thread, sender) == expected


def test_a_closed_thread_notifies_only_its_instructor_and_staff(people):
    thread, cast = people
    thread.is_active = False
    thread.save()
    expected = {cast["staff"].pk, cast["instructor"].pk}
    sender = cast["instructor"].pk
    assert thread_reply_recipients(thread=thread, sender_id=sender) == {cast["staff"].pk}
    assert through_the_orm(thread, sender) == {cast["staff"].pk}
    assert thread_reply_recipients(thread=thread, sender_id=cast["sender"].pk) == expected
