"""Points move as students learn through the real API (the progress writers send
`learning_changed`), and students written by bulk inserts still get their rank."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from leaderboard.events import learning_changed_refresh
from lms.catalog.models import Enrollment, Lesson, User
from progress.services import learning_changed
from tests.factories import UserFactory, course_with_lessons

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def board(client, **params) -> dict:
    response = client.get("/api/leaderboard/", params)
    assert response.status_code == 200
    return response.json()


def test_completing_a_course_and_spending_time_moves_both_boards():
    course = course_with_lessons(modules=1, lessons_per_module=2)
    student, rival = UserFactory(), UserFactory()
    client = client_for(student)
    assert client.post(f"/api/courses/{course.pk}/enroll/").status_code in (200, 201)
    assert client_for(rival).post(f"/api/courses/{course.pk}/enroll/").status_code in (200, 201)
    lessons = list(Lesson.objects.filter(module__course=course).order_by("order", "id"))

    assert board(client, course=course.pk)["me"]["points"] == 0
    response = client.post(f"/api/lessons/{lessons[0].pk}/activity/", {"seconds": 120})
    assert response.status_code in (200, 201)
    assert board(client)["me"]["points"] == 0.2  # 2 minutes
    assert board(client, course=course.pk)["me"]["points"] == 0.2

    for lesson in lessons:
        assert client.post(f"/api/lessons/{lesson.pk}/complete/", {}).status_code in (200, 201)

    me = board(client)["me"]
    assert (me["rank"], me["points"], me["courses_completed"], me["certificates_earned"]) == (
        1,
        150.2,
        1,
        1,
    )
    course_board = board(client, course=course.pk)
    assert [entry["user_id"] for entry in course_board["entries"]] == [student.pk, rival.pk]
    assert course_board["entries"][0]["points"] == 150.2


def test_only_a_completion_that_moves_points_costs_the_leaderboard_statements():
    course = course_with_lessons(modules=2, lessons_per_module=2)
    lessons = list(Lesson.objects.filter(module__course=course).order_by("module__order", "order"))

    def statements_of(position: int) -> int:
        """Statements of completing lessons[position], the ones before it completed."""
        client = client_for(UserFactory())
        client.post(f"/api/courses/{course.pk}/enroll/")
        for lesson in lessons[:position]:
            client.post(f"/api/lessons/{lesson.pk}/complete/", {})
        with CaptureQueriesContext(connection) as queries:
            response = client.post(f"/api/lessons/{lessons[position].pk}/complete/", {})
            assert response.status_code == 200
        return len(queries)

    middle, last = 1, len(lessons) - 1
    with_board = statements_of(middle), statements_of(last)
    learning_changed.disconnect(dispatch_uid="leaderboard_learning_changed")
    try:
        without_board = statements_of(middle), statements_of(last)
    finally:
        learning_changed.connect(
            learning_changed_refresh, dispatch_uid="leaderboard_learning_changed"
        )
    # A lesson in the middle of a course changes no points: the boards are not touched.
    assert with_board[0] == without_board[0]
    # The last one completes the course and issues its certificate: upsert the two rows.
    assert 1 <= with_board[1] - without_board[1] <= 5


def test_students_written_by_bulk_inserts_get_their_rank():
    course = course_with_lessons()
    User.objects.bulk_create([User(username="bulk1", role="student")])
    bulk = User.objects.get(username="bulk1")
    Enrollment.objects.bulk_create([Enrollment(user=bulk, course=course)])
    client = client_for(bulk)
    assert board(client)["me"]["user_id"] == bulk.pk
    assert board(client, course=course.pk)["me"]["points"] == 0
    page = client_for(bulk)
    page.force_login(bulk)
    assert 'Your rank: <strong data-field="rank">' in page.get("/leaderboard/").content.decode()
