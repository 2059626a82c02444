"""A course with one user of each kind the permission rules tell apart."""

import uuid
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from discussions import services
from lms.catalog.models import Course, User
from tests.discussions.factories import ThreadFactory
from tests.e2e.servers import daphne_servers  # noqa: F401  (real Daphne processes)
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    StaffFactory,
    UserFactory,
)

ROLES = ["enrolled", "unenrolled", "instructor", "staff", "anonymous"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits(monkeypatch):
    """Rate-limit counters live in the cache, which outlives a test; give each test its own."""
    monkeypatch.setattr(
        services, "MESSAGE_RATE_KEY_PREFIX", f"discussions:msgrate:{uuid.uuid4().hex}"
    )


@dataclass
class Cast:
    course: Course
    enrolled: User
    unenrolled: User
    instructor: User
    staff: User
    creator: User  # an enrolled student who opened the threads

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)

    def client(self, role: str) -> APIClient:
        client = APIClient()
        user = self.user(role)
        if user is not None:
            client.force_authenticate(user)
        return client


@pytest.fixture
def cast(db) -> Cast:
    instructor = InstructorFactory()
    course = CourseFactory(instructor=instructor)
    enrolled = EnrollmentFactory(course=course).user
    creator = EnrollmentFactory(course=course).user
    # Enrolled elsewhere: a student, just not of this course.
    unenrolled = EnrollmentFactory().user
    return Cast(
        course=course,
        enrolled=enrolled,
        unenrolled=unenrolled,
        instructor=instructor,
        staff=StaffFactory(),
        creator=creator,
    )


@pytest.fixture
def active_thread(cast):
    return ThreadFactory(course=cast.course, created_by=cast.creator, title="Week 1 questions")


@pytest.fixture
def closed_thread(cast):
    return ThreadFactory(
        course=cast.course, created_by=cast.creator, title="Old exam", is_active=False
    )


@pytest.fixture
def other_user(db):
    return UserFactory()
