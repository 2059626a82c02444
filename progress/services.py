"""Every write of the progress app."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from lms.models import Course, User
from progress.models import Enrollment


@transaction.atomic
def enrollment_create(*, user: User, course: Course) -> tuple[Enrollment, bool]:
    """Enroll `user` in `course`; returns (enrollment, created). Safe when raced."""
    try:
        with transaction.atomic():
            return Enrollment.objects.get_or_create(user=user, course=course)
    except IntegrityError:
        return Enrollment.objects.get(user=user, course=course), False
