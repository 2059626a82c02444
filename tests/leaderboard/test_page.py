"""The leaderboard page, rendered by the server (it works without JavaScript)."""

import pytest

from tests.factories import CourseFactory, EnrollmentFactory, UserFactory, course_with_lessons
from tests.leaderboard.conftest import set_course_progress, set_stats

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def test_page_needs_a_sign_in(client):
    response = client.get("/leaderboard/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_page_shows_the_top_and_my_rank(signed_in, django_assert_max_num_queries):
    students = [UserFactory() for _ in range(14)]
    for n, student in enumerate(students):
        set_stats(student, minutes=10 * (n + 1))
    viewer = students[0]
    client = signed_in(viewer)
    with django_assert_max_num_queries(8):
        response = client.get("/leaderboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-topic="leaderboard"' in html
    assert html.count('<tr data-user-id="') == 10
    assert f'<tr data-user-id="{students[-1].pk}"' in html
    assert 'Your rank: <strong data-field="rank">14</strong>' in html
    assert "js/leaderboard.js" in html


def test_names_are_escaped(signed_in):
    student = UserFactory(first_name="<script>alert(1)</script>", last_name="X")
    html = signed_in(student).get("/leaderboard/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_course_page_and_selector(signed_in):
    course = course_with_lessons(title="Rust for Ravens")
    other = course_with_lessons(title="Not Mine")
    student = UserFactory()
    set_course_progress(student, course, completed=True)
    client = signed_in(student)

    for url in (f"/leaderboard/?course={course.pk}", f"/courses/{course.pk}/leaderboard/"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert f'data-topic="leaderboard:course:{course.pk}"' in html
        assert f'<option value="{course.pk}" selected>Rust for Ravens</option>' in html
        assert "Not Mine" not in html
        assert 'Your rank: <strong data-field="rank">1</strong>' in html
        assert '<a href="/leaderboard/" aria-current="page">' in html
    assert client.get(f"/courses/{other.pk}/leaderboard/").status_code == 403


def test_unknown_hidden_or_malformed_course_is_404(signed_in):
    client = signed_in(UserFactory())
    draft = CourseFactory(is_published=False)
    for course in ("999999", "x", str(draft.pk)):
        assert client.get("/leaderboard/", {"course": course}).status_code == 404


def test_instructor_sees_the_board_without_a_rank(signed_in):
    course = course_with_lessons()
    EnrollmentFactory(course=course)
    html = signed_in(course.instructor).get(f"/courses/{course.pk}/leaderboard/").content.decode()
    assert html.count('<tr data-user-id="') == 1
    assert "Only active students enrolled in the course are ranked." in html
