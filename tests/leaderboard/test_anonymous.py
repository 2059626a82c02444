"""Students who chose to be anonymous are ranked as "Anonymous learner" without avatar, for
everyone: the API, the page and the websocket join. Deleted accounts are never ranked."""

import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import account_delete
from leaderboard.models import LeaderboardScore
from leaderboard.selectors import leaderboard_top
from lms.catalog.models import ANONYMOUS_LEARNER_NAME
from tests.factories import UserFactory, course_with_lessons
from tests.leaderboard.conftest import set_course_progress, set_stats

pytestmark = pytest.mark.django_db

AVATAR = "https://images.example.com/ada.png"


@pytest.fixture
def hidden():
    """A student high on the board who asked to be anonymous."""
    student = UserFactory(
        first_name="Ada", last_name="Lovelace", avatar=AVATAR, leaderboard_anonymous=True
    )
    set_stats(student, courses_completed=3, minutes=50)
    return student


@pytest.fixture
def viewer():
    student = UserFactory(first_name="Bob", last_name="Brown")
    set_stats(student, minutes=10)
    return student


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def entry_of(entries: list[dict], user) -> dict:
    [entry] = [entry for entry in entries if entry["user_id"] == user.pk]
    return entry


def test_other_students_see_an_anonymous_learner_without_avatar(hidden, viewer):
    response = api(viewer).get("/api/leaderboard/")

    entry = entry_of(response.json()["entries"], hidden)
    assert entry["rank"] == 1
    assert entry["name"] == ANONYMOUS_LEARNER_NAME == "Anonymous learner"
    assert entry["avatar"] == ""
    assert entry["points"] == 305.0
    assert "Lovelace" not in response.content.decode()
    assert AVATAR not in response.content.decode()
    # Everyone else keeps their name.
    assert entry_of(response.json()["entries"], viewer)["name"] == "Bob Brown"


def test_the_anonymous_student_sees_themselves_as_others_do(hidden):
    board = api(hidden).get("/api/leaderboard/").json()

    assert board["me"]["name"] == ANONYMOUS_LEARNER_NAME
    assert board["me"]["avatar"] == ""
    assert entry_of(board["entries"], hidden)["name"] == ANONYMOUS_LEARNER_NAME


def test_course_boards_hide_them_too(hidden, viewer):
    course = course_with_lessons()
    set_course_progress(hidden, course, completed=True, certified=True)
    set_course_progress(viewer, course)

    board = api(viewer).get(f"/api/leaderboard/?course={course.pk}").json()

    entry = entry_of(board["entries"], hidden)
    assert (entry["name"], entry["avatar"], entry["points"]) == (ANONYMOUS_LEARNER_NAME, "", 150.0)


def test_me_outside_the_top_is_anonymous_too(viewer):
    others = [UserFactory() for _ in range(3)]
    for n, other in enumerate(others):
        set_stats(other, minutes=100 + n)
    shy = UserFactory(first_name="Shy", leaderboard_anonymous=True)
    set_stats(shy, minutes=1)

    me = api(shy).get("/api/leaderboard/?limit=2").json()["me"]

    assert me["rank"] == 5
    assert me["name"] == ANONYMOUS_LEARNER_NAME


def test_the_page_shows_other_students_an_anonymous_learner(client, hidden, viewer):
    client.force_login(viewer)

    html = client.get("/leaderboard/").content.decode()

    row = re.search(rf'<tr data-user-id="{hidden.pk}".*?</tr>', html, re.S).group(0)
    assert f'<span data-field="name">{ANONYMOUS_LEARNER_NAME}</span>' in row
    assert "src=" not in row
    assert "Lovelace" not in html
    assert AVATAR not in html
    assert 'id="leaderboard-anonymous"' not in html


def test_the_page_tells_an_anonymous_student_how_they_are_shown(client, hidden):
    client.force_login(hidden)

    html = client.get("/leaderboard/").content.decode()

    row = re.search(rf'<tr data-user-id="{hidden.pk}"[^>]*>', html).group(0)
    assert 'class="is-me"' in row
    assert 'id="leaderboard-anonymous"' in html
    assert AVATAR not in html


def test_anonymous_rows_cost_no_extra_query(viewer, django_assert_max_num_queries):
    for n in range(12):
        set_stats(UserFactory(leaderboard_anonymous=n % 2 == 0, avatar=AVATAR), minutes=n + 20)

    with django_assert_max_num_queries(1):
        entries = leaderboard_top(limit=12)

    assert sum(entry["name"] == ANONYMOUS_LEARNER_NAME for entry in entries) == 6
    assert sum(entry["avatar"] == AVATAR for entry in entries) == 6


def test_a_deleted_account_is_on_no_board(hidden, viewer):
    course = course_with_lessons()
    set_course_progress(viewer, course, completed=True)
    name = viewer.get_full_name()

    account_delete(user=viewer)

    assert not LeaderboardScore.objects.filter(user=viewer).exists()
    board = api(hidden).get("/api/leaderboard/").content.decode()
    assert str(viewer.pk) not in re.findall(r'"user_id":\s*(\d+)', board)
    assert name not in board


def test_a_deleted_account_still_active_is_not_ranked_either(hidden, viewer):
    viewer.deleted_at = timezone.now()
    viewer.save(update_fields=["deleted_at"])

    assert viewer.pk not in [entry["user_id"] for entry in leaderboard_top()]
    assert not LeaderboardScore.objects.filter(user=viewer).exists()
    assert api(hidden).get("/api/leaderboard/").json()["me"]["rank"] == 1
