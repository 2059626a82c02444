"""Every write of users, the course catalog and enrollment."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import Http404

from lms.catalog.models import Course, Enrollment, User


@transaction.atomic
def user_signup(
    *, username: str, password: str, email: str = "", first_name: str = "", last_name: str = ""
) -> User:
    """Create a student account. Validation (unique name, password rules) is the form's job."""
    return User.objects.create_user(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=User.Role.STUDENT,
    )


@transaction.atomic
def enrollment_create(*, user: User, course: Course) -> tuple[Enrollment, bool]:
    """Enroll `user` in `course`; returns (enrollment, created). Safe when raced.

    Only published courses are open to enrollment: another one is a 404, as if
    it did not exist, wherever the request comes from.
    """
    if not course.is_published:
        raise Http404("No such course.")
    try:
        with transaction.atomic():
            return Enrollment.objects.get_or_create(user=user, course=course)
    except IntegrityError:
        return Enrollment.objects.get(user=user, course=course), False


@transaction.atomic
def enrollment_delete(*, enrollment: Enrollment) -> None:
    """Unenroll: the course's live topics are taken from the user's sockets on commit.

    Completions, the certificate and stats stay: they record what was learnt.
    """
    enrollment.delete()  # lms.catalog.events revokes the course's topics


@transaction.atomic
def enrollment_leave(*, user: User, course_id: int) -> None:
    """The user leaves a course (enrollment_delete): Http404 when they are not enrolled.

    Looked up by the enrollment, not the course: a course unpublished since the
    student enrolled can still be left.
    """
    enrollment = Enrollment.objects.filter(user=user, course_id=course_id).first()
    if enrollment is None:
        raise Http404("You are not enrolled in this course.")
    enrollment_delete(enrollment=enrollment)
