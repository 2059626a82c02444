"""Staff see the scores in the admin, read-only, filtered by board."""

import pytest

from tests.factories import StaffFactory, UserFactory, course_with_lessons
from tests.leaderboard.conftest import set_course_progress, set_stats

pytestmark = pytest.mark.django_db

URL = "/admin/leaderboard/leaderboardscore/"


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def test_scores_are_listed_and_filtered_by_board(staff_client, django_assert_max_num_queries):
    course = course_with_lessons(title="Kotlin for Kestrels")
    students = [UserFactory(username=f"ranked{n}") for n in range(5)]
    for n, student in enumerate(students):
        set_stats(student, minutes=n)
        set_course_progress(student, course, completed=n == 0)

    with django_assert_max_num_queries(12):
        response = staff_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "ranked4" in html
    assert "Kotlin for Kestrels" in html

    global_only = staff_client.get(URL, {"board": "global"}).content.decode()
    assert "Kotlin for Kestrels</td>" not in global_only
    course_only = staff_client.get(URL, {"course__id__exact": course.pk})
    assert course_only.status_code == 200
    assert course_only.context["cl"].result_count == 5


def test_scores_cannot_be_added_changed_or_deleted(staff_client):
    student = UserFactory()
    score = student.leaderboard_scores.get()
    assert staff_client.get(f"{URL}add/").status_code == 403
    response = staff_client.post(f"{URL}{score.pk}/change/", {"points": 1000})
    assert response.status_code == 403
    assert staff_client.post(f"{URL}{score.pk}/delete/", {"post": "yes"}).status_code == 403
    score.refresh_from_db()
    assert score.points == 0
