"""`manage.py seed_demo`: the demo accounts, catalog, enrollments and thread, idempotently."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory

from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from lms.catalog.models import Course, Enrollment, Lesson, Module, User

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def sign_in(**credentials):
    """authenticate() as a login page calls it: sign-in limits need the request."""
    return authenticate(RequestFactory().post("/login/"), **credentials)


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Course,
            Module,
            Lesson,
            Enrollment,
            DiscussionThread,
            ThreadMessage,
            DirectMessage,
        )
    }


def test_seed_creates_accounts_with_roles_and_printed_passwords():
    output = seed()
    admin = User.objects.get(username="admin")
    assert (admin.role, admin.is_staff, admin.is_superuser) == ("admin", True, True)
    assert User.objects.get(username="teacher").role == "instructor"
    for name in ("alice", "bob", "carol"):
        user = User.objects.get(username=name)
        assert user.role == "student" and not user.is_staff
    for name in ("admin", "teacher", "alice", "bob", "carol"):
        assert sign_in(username=name, password=name) is not None
        assert f"password: {name}" in output


def test_seed_creates_two_published_courses_with_content_by_teacher():
    seed()
    teacher = User.objects.get(username="teacher")
    courses = list(Course.objects.filter(instructor=teacher, is_published=True).order_by("id"))
    assert len(courses) == 2
    for course in courses:
        assert course.description
        modules = list(course.modules.all())
        assert len(modules) >= 2
        for module in modules:
            lessons = list(module.lessons.all())
            assert lessons
            assert all(len(lesson.content) > 100 for lesson in lessons)


def test_seed_enrolls_alice_and_bob_in_the_first_course_and_carol_nowhere():
    seed()
    first = Course.objects.order_by("id").first()
    enrolled = set(Enrollment.objects.filter(course=first).values_list("user__username", flat=True))
    assert enrolled == {"alice", "bob"}
    assert not Enrollment.objects.filter(user__username="carol").exists()


def test_seed_opens_an_active_thread_with_a_first_message_in_the_first_course():
    seed()
    first = Course.objects.order_by("id").first()
    thread = DiscussionThread.objects.get(course=first)
    assert thread.is_active
    assert thread.messages.count() == 1


def test_seed_twice_adds_nothing():
    seed("--students", "5")
    before = counts()
    seed("--students", "5")
    assert counts() == before


def test_seed_keeps_accounts_changed_since():
    seed()
    alice = User.objects.get(username="alice")
    alice.set_password("changed-by-alice")
    alice.save()
    seed()
    assert sign_in(username="alice", password="changed-by-alice") is not None


def test_seed_students_adds_enrolled_students_who_can_log_in():
    output = seed("--students", "50")
    first = Course.objects.order_by("id").first()
    students = User.objects.filter(username__regex=r"^student\d+$")
    assert students.count() == 50
    assert set(students.values_list("role", flat=True)) == {"student"}
    assert Enrollment.objects.filter(course=first, user__in=students).count() == 50
    assert "50 created" in output and " s." in output
    # Bulk-created students are on the boards straight away.
    from leaderboard.selectors import leaderboard_rank

    assert leaderboard_rank(user=students.get(username="student50")) is not None

    client = Client()
    request = RequestFactory().post("/login/")
    assert client.login(username="student37", password="student37", request=request)
    assert not Client().login(username="student38", password="student37", request=request)
    # The first login replaces the demo marker with a real hash.
    student = User.objects.get(username="student37")
    assert not student.password.startswith("demo_username$")
    assert student.check_password("student37")


def test_seed_students_is_incremental():
    seed("--students", "3")
    output = seed("--students", "5")
    assert "2 created" in output
    assert User.objects.filter(username__startswith="student").count() == 5


def test_seed_rejects_negative_student_count():
    with pytest.raises(CommandError):
        seed("--students", "-1")
    assert User.objects.count() == 0


def test_demo_password_marker_cannot_be_used_to_store_new_passwords():
    from django.contrib.auth.hashers import make_password

    with pytest.raises(ValueError):
        make_password("anything", hasher="demo_username")
