"""GET /api/leaderboard/: shapes, parameters, access to course boards."""

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    StaffFactory,
    UserFactory,
    course_with_lessons,
)
from tests.leaderboard.conftest import board_ids, set_course_progress, set_stats

pytestmark = pytest.mark.django_db

URL = "/api/leaderboard/"
ENTRY_KEYS = {
    "rank",
    "user_id",
    "name",
    "avatar",
    "points",
    "courses_completed",
    "certificates_earned",
}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_anonymous_is_refused():
    assert APIClient().get(URL).status_code == 401


def test_global_board_shape_and_my_entry():
    students = [UserFactory() for _ in range(12)]
    for n, student in enumerate(students):
        set_stats(student, courses_completed=n % 3, certificates_earned=n % 2, minutes=n)
    viewer = students[0]

    response = client_for(viewer).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"entries", "me"}
    assert len(body["entries"]) == 10  # LEADERBOARD_DEFAULT_LIMIT
    assert all(set(entry) >= ENTRY_KEYS for entry in body["entries"])
    assert [e["rank"] for e in body["entries"]] == list(range(1, 11))
    points = [e["points"] for e in body["entries"]]
    assert points == sorted(points, reverse=True)
    assert body["me"]["user_id"] == viewer.pk
    assert body["me"]["rank"] == 12  # the only student without points
    assert body["me"]["points"] == 0


def test_limit_parameter():
    for _ in range(5):
        UserFactory()
    viewer = UserFactory()
    body = client_for(viewer).get(URL, {"limit": 3}).json()
    assert len(body["entries"]) == 3
    assert len(client_for(viewer).get(URL, {"limit": 100}).json()["entries"]) == 6


@pytest.mark.parametrize(
    "params, field",
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"course": "abc"}, "course"),
        ({"course": -3}, "course"),
    ],
)
def test_bad_parameters_are_400_with_the_field(params, field):
    response = client_for(UserFactory()).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_empty_course_parameter_means_the_global_board():
    student = UserFactory()
    body = client_for(student).get(URL, {"course": ""}).json()
    assert board_ids(body["entries"]) == [student.pk]


def test_course_board_for_an_enrolled_student():
    course = course_with_lessons()
    student, classmate, outsider = UserFactory(), UserFactory(), UserFactory()
    set_course_progress(student, course, seconds=600)
    set_course_progress(classmate, course, completed=True, certified=True)
    set_stats(outsider, courses_completed=3)

    body = client_for(student).get(URL, {"course": course.pk}).json()

    assert body["course"] == course.pk
    assert board_ids(body["entries"]) == [classmate.pk, student.pk]
    assert body["entries"][0]["points"] == 150.0
    assert body["me"]["rank"] == 2
    assert body["me"]["points"] == 1.0


def test_course_board_for_its_instructor_and_staff_has_no_me():
    course = course_with_lessons()
    EnrollmentFactory(course=course)
    for viewer in (course.instructor, StaffFactory()):
        body = client_for(viewer).get(URL, {"course": course.pk}).json()
        assert len(body["entries"]) == 1
        assert body["me"] is None


def test_course_board_of_someone_elses_course_is_403():
    course = course_with_lessons()
    response = client_for(UserFactory()).get(URL, {"course": course.pk})
    assert response.status_code == 403
    assert "detail" in response.json()
    other_instructor = client_for(InstructorFactory())
    assert other_instructor.get(URL, {"course": course.pk}).status_code == 403


def test_unknown_or_hidden_course_is_404():
    viewer = client_for(UserFactory())
    assert viewer.get(URL, {"course": 999999}).status_code == 404
    draft = CourseFactory(is_published=False)
    assert viewer.get(URL, {"course": draft.pk}).status_code == 404


def test_query_count_does_not_grow_with_the_board(django_assert_max_num_queries):
    course = course_with_lessons()
    students = [UserFactory() for _ in range(40)]
    for n, student in enumerate(students):
        set_course_progress(student, course, seconds=60 * n)
    client = client_for(students[0])
    # who may see the course, the top entries, my rank
    with django_assert_max_num_queries(3):
        assert len(client.get(URL, {"course": course.pk, "limit": 30}).json()["entries"]) == 30
    with django_assert_max_num_queries(2):
        assert client.get(URL, {"limit": 100}).status_code == 200
