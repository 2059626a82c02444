import pytest

from tests.factories import InstructorFactory, course_with_lessons


@pytest.fixture
def instructor():
    return InstructorFactory()


@pytest.fixture
def course(instructor):
    """Two modules of two lessons, taught by `instructor`."""
    return course_with_lessons(modules=2, lessons_per_module=2, instructor=instructor)
