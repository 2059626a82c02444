"""`manage.py rebuild_leaderboard` computes the same boards as live maintenance."""

from io import StringIO

import pytest
from django.core.management import call_command

from leaderboard.models import LeaderboardScore
from leaderboard.selectors import leaderboard_top
from lms.catalog.models import Enrollment
from progress.models import Certificate, LearningStats
from tests.factories import InstructorFactory, UserFactory, course_with_lessons
from tests.leaderboard.conftest import set_course_progress, set_stats

pytestmark = pytest.mark.django_db

FIGURES = ("points", "courses_completed", "certificates_earned", "time_spent")


def snapshot(courses) -> dict:
    boards = {None: leaderboard_top(limit=100)}
    for course in courses:
        boards[course.pk] = leaderboard_top(course=course, limit=100)
    rows = sorted(
        LeaderboardScore.objects.values_list(
            "user_id",
            "course_id",
            "points",
            "courses_completed",
            "certificates_earned",
            "time_spent",
        ),
        key=lambda row: (row[0], row[1] or 0),
    )
    return {"boards": boards, "rows": rows}


def rebuild() -> str:
    out = StringIO()
    call_command("rebuild_leaderboard", stdout=out)
    return out.getvalue()


@pytest.fixture
def live_boards():
    courses = [course_with_lessons(), course_with_lessons()]
    students = [UserFactory() for _ in range(8)]
    for n, student in enumerate(students):
        set_stats(student, courses_completed=n % 3, certificates_earned=n % 2, minutes=7 * n)
        set_course_progress(
            student, courses[n % 2], completed=n % 3 == 0, certified=n % 4 == 0, seconds=95 * n
        )
    set_course_progress(students[0], courses[1], seconds=30)
    InstructorFactory()
    UserFactory(is_active=False)
    return courses


def test_rebuild_from_scratch_gives_the_live_boards(live_boards):
    live = snapshot(live_boards)
    LeaderboardScore.objects.all().delete()
    output = rebuild()
    assert snapshot(live_boards) == live
    assert "Leaderboard rebuilt" in output


def test_rebuild_of_a_correct_table_writes_nothing(live_boards):
    live = snapshot(live_boards)
    output = rebuild()
    assert ", 0 written, 0 removed" in output
    assert snapshot(live_boards) == live


def test_rebuild_repairs_rows_changed_behind_its_back(live_boards):
    # Bulk updates send no signals: the board is stale until rebuilt.
    student = Enrollment.objects.filter(course=live_boards[0]).first().user
    LearningStats.objects.filter(user=student).update(courses_completed=40)
    Certificate.objects.filter(user=student).delete()
    Enrollment.objects.filter(user=student, course=live_boards[1]).delete()
    type(student).objects.filter(pk=UserFactory().pk).update(is_active=False)
    bulk = type(student).objects.create(username="bulk-created")  # as seed_demo's bulk_create
    LeaderboardScore.objects.filter(user=bulk).delete()

    rebuild()

    assert leaderboard_top()[0]["user_id"] == student.pk
    assert leaderboard_top()[0]["courses_completed"] == 40
    assert LeaderboardScore.objects.filter(user=bulk, course=None).exists()
    assert not LeaderboardScore.objects.filter(user=student, course=live_boards[1]).exists()
    fresh = snapshot(live_boards)
    LeaderboardScore.objects.all().delete()
    rebuild()
    assert snapshot(live_boards) == fresh
