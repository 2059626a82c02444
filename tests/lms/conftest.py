import pytest
from django.test import Client

from tests.factories import (
    EnrollmentFactory,
    InstructorFactory,
    StaffFactory,
    UserFactory,
    course_with_lessons,
)

PASSWORD = "secret-pass-1"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "lms.platform.hashers.DemoUsernamePasswordHasher",
    ]


@pytest.fixture
def instructor(db):
    return InstructorFactory(first_name="Grace", last_name="Hopper")


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def student(db):
    return UserFactory(first_name="Alice", last_name="Anderson")


@pytest.fixture
def course(instructor):
    return course_with_lessons(modules=2, lessons_per_module=2, instructor=instructor)


@pytest.fixture
def enrollment(student, course):
    return EnrollmentFactory(user=student, course=course)


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
