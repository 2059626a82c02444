"""Every write of users and the course catalog."""

from __future__ import annotations

from django.db import transaction

from lms.models import User


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
