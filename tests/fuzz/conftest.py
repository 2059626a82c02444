"""Seeded data the fuzz tests run against: a student enrolled in a course, with some history."""

from dataclasses import dataclass

import pytest
from rest_framework.authtoken.models import Token

from discussions import services as discussion_services
from leaderboard import events
from lms.catalog.models import Course, User
from notifications.services import notification_create
from progress.services import lesson_complete
from tests.factories import EnrollmentFactory, UserFactory, course_with_lessons
from tests.progress.factories import lessons_of


@dataclass
class Seeded:
    student: User
    classmate: User
    course: Course
    token: str
    ids: dict[str, int]  # kind of row -> the id of one the student may see
    requests: int = 0


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _leaderboard_sends_done():
    """Learning changes schedule leaderboard sends: let them run before the database goes."""
    yield
    events.wait_for_sends(timeout=5)


@pytest.fixture
def seeded(db) -> Seeded:
    return seed()


@pytest.fixture
def seeded_committed(transactional_db) -> Seeded:
    """The same, committed: for async views, whose database calls run outside the test's
    transaction."""
    return seed()


def seed() -> Seeded:
    student = UserFactory(username="fuzz-student")
    classmate = UserFactory(username="fuzz-classmate")
    course = course_with_lessons(modules=2, lessons_per_module=2)
    enrollment = EnrollmentFactory(user=student, course=course)
    EnrollmentFactory(user=classmate, course=course)
    other_course = course_with_lessons(modules=1, lessons_per_module=1)
    # A finished course gives a certificate and achievements; a started one, progress.
    EnrollmentFactory(user=student, course=other_course)
    for lesson in lessons_of(other_course):
        lesson_complete(user=student, lesson=lesson, score=90)
    lessons = lessons_of(course)
    lesson_complete(user=student, lesson=lessons[0], score=75)
    notification = notification_create(
        user=student, title="Welcome", message="Glad you are here.", type="info"
    )
    thread = discussion_services.thread_create(
        course=course, created_by=student, title="Questions about week one"
    )
    message = discussion_services.thread_message_post(
        thread=thread, sender=classmate, content="Anyone stuck on lesson two?"
    )
    discussion_services.direct_message_send(sender=classmate, recipient=student, content="Hi!")
    certificate = student.certificates.first()
    achievement = student.achievements.first()
    return Seeded(
        student=student,
        classmate=classmate,
        course=course,
        token=Token.objects.create(user=student).key,
        ids={
            "course": course.pk,
            "enrollment": enrollment.pk,
            "lesson": lessons[1].pk,
            "notification": notification.pk,
            "thread": thread.pk,
            "message": message.pk,
            "certificate": certificate.pk,
            "achievement": achievement.pk,
            "user": classmate.pk,
        },
    )
