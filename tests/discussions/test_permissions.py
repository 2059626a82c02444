"""The one rule per object (docs/discussions.md), as functions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from discussions import moderation, permissions
from discussions.models import DiscussionThread
from tests.discussions.conftest import ROLES
from tests.discussions.factories import DirectMessageFactory, ThreadFactory, ThreadMessageFactory
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# role -> (sees active, sees closed, posts active, posts closed, moderates active)
EXPECTED = {
    "enrolled": (True, False, True, False, False),
    "unenrolled": (False, False, False, False, False),
    "instructor": (True, True, True, True, True),
    "staff": (True, True, True, True, True),
    "anonymous": (False, False, False, False, False),
}


@pytest.mark.parametrize("role", ROLES)
def test_thread_rules_per_role(cast, active_thread, closed_thread, role):
    user = cast.user(role)
    sees_active, sees_closed, posts_active, posts_closed, moderates = EXPECTED[role]
    assert (permissions.thread_access(user, active_thread) is not None) is sees_active
    assert (permissions.thread_access(user, closed_thread) is not None) is sees_closed
    assert permissions.thread_can_post(user, active_thread) is posts_active
    assert permissions.thread_can_post(user, closed_thread) is posts_closed
    assert permissions.thread_can_moderate(user, active_thread) is moderates


@pytest.mark.parametrize("role", ROLES)
def test_thread_list_rule_agrees_with_thread_access(cast, active_thread, closed_thread, role):
    user = cast.user(role)
    ThreadFactory()  # another course's thread
    if user is None:
        return
    visible = set(permissions.threads_visible_to(user))
    for thread in DiscussionThread.objects.all():
        assert (thread in visible) is (permissions.thread_access(user, thread) is not None)


def test_grants_name_the_reason_and_course(cast, active_thread):
    for role, expected in [
        ("enrolled", "student"),
        ("instructor", "instructor"),
        ("staff", "staff"),
    ]:
        grant = permissions.thread_access(cast.user(role), active_thread)
        assert grant.role == expected
        assert grant.course_id == cast.course.pk


def test_creator_moderates_own_thread_while_it_is_open(cast, active_thread):
    assert permissions.thread_can_moderate(cast.creator, active_thread)


def test_creator_who_left_the_course_no_longer_moderates(cast, active_thread):
    cast.creator.enrollments.all().delete()
    assert not permissions.thread_can_moderate(cast.creator, active_thread)


def test_deactivated_student_loses_access(cast, active_thread):
    cast.enrolled.is_active = False
    cast.enrolled.save()
    assert permissions.thread_access(cast.enrolled, active_thread) is None


def test_instructor_of_another_course_sees_nothing(active_thread):
    assert permissions.thread_access(InstructorFactory(), active_thread) is None


@pytest.mark.parametrize(
    ("role", "age_minutes", "expected"),
    [
        ("author", 1, True),
        ("author", 60, False),
        ("enrolled", 1, False),
        ("instructor", 600, True),
        ("staff", 600, True),
        ("unenrolled", 1, False),
    ],
)
def test_message_delete_rule(cast, active_thread, settings, role, age_minutes, expected):
    settings.MESSAGE_DELETE_WINDOW_MINUTES = 15
    message = ThreadMessageFactory(thread=active_thread, sender=cast.creator)
    message.created_at = timezone.now() - timedelta(minutes=age_minutes)
    user = cast.creator if role == "author" else cast.user(role)
    assert permissions.thread_message_can_delete(user, message) is expected


class TestDirectMessageRule:
    def test_classmates_may_write_to_each_other(self, cast):
        assert permissions.dm_can_message(cast.enrolled, cast.creator)

    def test_strangers_may_not(self, cast):
        assert not permissions.dm_can_message(cast.enrolled, cast.unenrolled)
        assert not permissions.dm_can_message(cast.unenrolled, cast.enrolled)

    def test_anyone_may_write_to_staff_and_instructors(self, cast):
        assert permissions.dm_can_message(cast.unenrolled, cast.staff)
        assert permissions.dm_can_message(cast.unenrolled, InstructorFactory())

    def test_staff_may_write_to_anyone(self, cast):
        assert permissions.dm_can_message(cast.staff, UserFactory())

    def test_instructor_may_write_to_own_students_only(self, cast):
        assert permissions.dm_can_message(cast.instructor, cast.enrolled)
        assert not permissions.dm_can_message(cast.instructor, cast.unenrolled)

    def test_student_may_write_to_the_instructor_of_a_shared_course(self, cast):
        assert permissions.dm_can_message(cast.enrolled, cast.instructor)

    def test_a_reply_is_always_allowed(self, cast):
        DirectMessageFactory(sender=cast.unenrolled, recipient=cast.staff)
        stranger = UserFactory()
        DirectMessageFactory(sender=stranger, recipient=cast.enrolled)
        assert permissions.dm_can_message(cast.enrolled, stranger)

    def test_a_block_holds_both_ways_whoever_writes(self, cast):
        moderation.user_block(blocker=cast.enrolled, blocked=cast.instructor)
        assert not permissions.dm_can_message(cast.instructor, cast.enrolled)
        assert not permissions.dm_can_message(cast.enrolled, cast.instructor)
        moderation.user_block(blocker=cast.staff, blocked=cast.unenrolled)
        assert not permissions.dm_can_message(cast.unenrolled, cast.staff)
        assert not permissions.dm_can_message(cast.staff, cast.unenrolled)
        # Only that pair: the others still write to each other.
        assert permissions.dm_can_message(cast.enrolled, cast.staff)
        assert permissions.dm_can_message(cast.creator, cast.instructor)

    def test_never_yourself(self, cast):
        assert not permissions.dm_can_message(cast.staff, cast.staff)
        assert not permissions.dm_can_message(cast.enrolled, cast.enrolled)

    def test_not_to_or_from_inactive_accounts(self, cast):
        gone = UserFactory(is_active=False)
        EnrollmentFactory(user=gone, course=cast.course)
        assert not permissions.dm_can_message(cast.enrolled, gone)
        assert not permissions.dm_can_message(gone, cast.enrolled)

    def test_anonymous_may_not(self, cast):
        from django.contrib.auth.models import AnonymousUser

        assert not permissions.dm_can_message(AnonymousUser(), cast.staff)

    def test_sharing_only_a_course_taught_by_a_third_person_counts(self):
        course = CourseFactory()
        alice = EnrollmentFactory(course=course).user
        bob = EnrollmentFactory(course=course).user
        CourseFactory(instructor=StaffFactory())
        assert permissions.dm_can_message(alice, bob)
