"""Points, eligibility, ties and per-course scoping, as the board shows them."""

import pytest
from django.db import transaction

from leaderboard.events import learning_changed_refresh
from leaderboard.models import LeaderboardScore
from leaderboard.selectors import leaderboard_board, leaderboard_rank, leaderboard_top
from lms.catalog.models import Enrollment
from tests.factories import (
    EnrollmentFactory,
    InstructorFactory,
    LessonFactory,
    StaffFactory,
    UserFactory,
    course_with_lessons,
)
from tests.leaderboard.conftest import board_ids, set_course_progress, set_stats

pytestmark = pytest.mark.django_db


def test_new_student_is_on_the_global_board_with_zero_points():
    student = UserFactory()
    me = leaderboard_rank(user=student)
    assert me["points"] == 0
    assert me["rank"] == 1
    assert me["name"] == student.display_name


def test_global_points_follow_the_formula():
    student = UserFactory(first_name="Ada", last_name="Lovelace")
    set_stats(student, courses_completed=2, certificates_earned=1, minutes=125)
    [entry] = leaderboard_top()
    assert entry == {
        "rank": 1,
        "user_id": student.pk,
        "name": "Ada Lovelace",
        "avatar": "",
        "points": 262.5,  # 2*100 + 1*50 + 125*0.1
        "courses_completed": 2,
        "certificates_earned": 1,
        "time_spent": 125,
    }


def test_points_are_exact_decimals():
    student = UserFactory()
    set_stats(student, minutes=3)
    score = LeaderboardScore.objects.get(user=student, course=None)
    assert score.points == 0.3


def test_course_points_count_only_that_course():
    course = course_with_lessons(modules=1, lessons_per_module=2)
    other = course_with_lessons(modules=1, lessons_per_module=1)
    student = UserFactory()
    lessons = list(course.modules.first().lessons.all())
    set_course_progress(
        student, course, completed=True, certified=True, seconds={lessons[0]: 90, lessons[1]: 60}
    )
    set_course_progress(student, other, completed=True, seconds=6000)

    [entry] = leaderboard_top(course=course)
    # 100 completed + 50 certificate + 2 whole minutes (150 s) * 0.1
    assert entry["points"] == 150.2
    assert (entry["courses_completed"], entry["certificates_earned"], entry["time_spent"]) == (
        1,
        1,
        2,
    )
    assert leaderboard_top(course=other)[0]["points"] == 110.0


def test_course_board_lists_enrolled_students_only():
    course = course_with_lessons()
    enrolled, outsider = UserFactory(), UserFactory()
    EnrollmentFactory(user=enrolled, course=course)
    set_stats(outsider, courses_completed=9)
    assert board_ids(leaderboard_top(course=course)) == [enrolled.pk]
    assert leaderboard_rank(user=outsider, course=course) is None


def test_unenrolling_removes_the_course_row_and_keeps_the_global_one():
    course = course_with_lessons()
    student = UserFactory()
    set_course_progress(student, course, completed=True)
    set_stats(student, courses_completed=1)
    Enrollment.objects.get(user=student, course=course).delete()
    assert leaderboard_top(course=course) == []
    assert leaderboard_rank(user=student)["points"] == 100.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: UserFactory(is_active=False),
        lambda: UserFactory(is_staff=True),
        lambda: StaffFactory(),
        lambda: InstructorFactory(),
        lambda: UserFactory(role="admin"),
    ],
    ids=["inactive", "staff-flag", "staff", "instructor", "admin-role"],
)
def test_only_active_students_are_ranked(make):
    student = UserFactory()
    other = make()
    course = course_with_lessons()
    EnrollmentFactory(user=other, course=course)
    set_stats(other, courses_completed=5, certificates_earned=5)
    set_course_progress(other, course, completed=True, certified=True)
    assert board_ids(leaderboard_top()) == [student.pk]
    assert leaderboard_top(course=course) == []
    assert leaderboard_rank(user=other) is None
    assert leaderboard_board(user=other)["me"] is None


def test_deactivating_removes_and_reactivating_restores_the_rows():
    course = course_with_lessons()
    student, rival = UserFactory(), UserFactory()
    set_stats(student, courses_completed=1, minutes=10)
    set_course_progress(student, course, completed=True)
    EnrollmentFactory(user=rival, course=course)

    student.is_active = False
    student.save()
    assert board_ids(leaderboard_top()) == [rival.pk]
    assert board_ids(leaderboard_top(course=course)) == [rival.pk]

    student.is_active = True
    student.save(update_fields=["is_active"])
    assert board_ids(leaderboard_top()) == [student.pk, rival.pk]
    assert leaderboard_top()[0]["points"] == 101.0
    assert board_ids(leaderboard_top(course=course)) == [student.pk, rival.pk]


def test_becoming_an_instructor_leaves_the_board():
    student = UserFactory()
    student.role = "instructor"
    student.save()
    assert leaderboard_top() == []


def test_a_login_does_not_touch_the_board(django_assert_num_queries):
    student = UserFactory()
    with django_assert_num_queries(1):  # the UPDATE of last_login only
        student.save(update_fields=["last_login"])


def test_ties_are_broken_by_user_id():
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    for user in (third, first, second):
        set_stats(user, courses_completed=1)
    assert board_ids(leaderboard_top()) == [first.pk, second.pk, third.pk]
    assert [leaderboard_rank(user=u)["rank"] for u in (first, second, third)] == [1, 2, 3]


def test_rank_is_known_far_below_the_top():
    students = [UserFactory() for _ in range(15)]
    for points, student in enumerate(students):
        set_stats(student, minutes=points * 10)  # the last one leads
    board = leaderboard_board(user=students[2], limit=10)
    assert len(board["entries"]) == 10
    assert board["entries"][0]["user_id"] == students[-1].pk
    assert board["me"]["rank"] == 13
    assert board["me"]["points"] == 2.0


def test_rank_reads_are_a_bounded_number_of_queries(django_assert_max_num_queries):
    students = [UserFactory() for _ in range(30)]
    for n, student in enumerate(students):
        set_stats(student, minutes=n)
    with django_assert_max_num_queries(1):
        leaderboard_top(limit=25)
    with django_assert_max_num_queries(2):
        leaderboard_board(user=students[0], limit=10)


def test_live_refresh_is_a_few_indexed_statements(django_assert_max_num_queries):
    course = course_with_lessons()
    student = UserFactory()
    EnrollmentFactory(user=student, course=course)
    with transaction.atomic(), django_assert_max_num_queries(5):
        # lock the stats row, upsert two rows, check eligibility and enrollment (the
        # leaderboard's receiver of learning_changed; the roster listens too)
        learning_changed_refresh(sender=None, user_id=student.pk, course_id=course.pk)


def test_deleting_a_student_deletes_their_rows():
    course = course_with_lessons()
    student = UserFactory()
    set_course_progress(student, course, completed=True)
    set_stats(student, courses_completed=1)
    student.delete()
    assert not LeaderboardScore.objects.exists()


def test_lesson_added_does_not_change_points():
    course = course_with_lessons()
    student = UserFactory()
    set_course_progress(student, course, seconds=600)
    LessonFactory(module=course.modules.first())
    assert leaderboard_top(course=course)[0]["points"] == 1.0
