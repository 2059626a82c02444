"""Every non-trivial read of the leaderboard app.

Board order is points descending, then user id ascending (docs/leaderboard.md), so a
rank is a position: 1 + the number of rows that sort before the user's row. Every
read below is a range scan of the board's (points DESC, user_id) index: the top
entries read its first rows, a rank counts the rows above the user's.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from leaderboard.models import LeaderboardScore
from lms.catalog.models import ANONYMOUS_LEARNER_NAME, Course, Enrollment, Lesson, Module, User
from progress.models import Certificate, LearningStats, LessonActivity

# The points formula, in SQL, computed in tenths so that live maintenance and the bulk
# rebuild round alike (docs/leaderboard.md):
#
#     global      courses_completed*100 + certificates_earned*50 + total_time_spent*0.1
#     per course  100 if the enrollment is completed + 50 if the user holds the course's
#                 certificate + 0.1 per whole minute of LessonActivity in its lessons
#
# Only active students (is_active, role "student", not staff, account not deleted) are
# eligible. The SELECTs below compute rows: the services upsert them, `_unstored_rank` reads
# one not stored yet.

COLUMNS = (
    "user_id, course_id, points, courses_completed, certificates_earned, time_spent, updated_at"
)


def tables() -> dict[str, str]:
    models = {
        "score": LeaderboardScore,
        "user": User,
        "stats": LearningStats,
        "enrollment": Enrollment,
        "certificate": Certificate,
        "activity": LessonActivity,
        "lesson": Lesson,
        "module": Module,
    }
    return {key: connection.ops.quote_name(model._meta.db_table) for key, model in models.items()}


def eligible(alias: str) -> str:
    # The one SQL form of "may appear on a leaderboard"; `is_ranked` is the Python one.
    student = User.Role.STUDENT.value
    return (
        f"{alias}.is_active AND {alias}.role = '{student}' AND NOT {alias}.is_staff"
        f" AND {alias}.deleted_at IS NULL"
    )


def is_ranked(user: User) -> bool:
    """Whether the user may appear on leaderboards (the Python form of `eligible`)."""
    return user.is_active and user.is_student and user.deleted_at is None


def global_rows_select(*, one_user: bool) -> str:
    """Every eligible user's global row as the formula computes it (or one user's: a
    parameter after the timestamp). Columns in the order of COLUMNS."""
    t = tables()
    return f"""
        SELECT u.id, NULL,
               (COALESCE(s.courses_completed, 0) * 1000 + COALESCE(s.certificates_earned, 0) * 500
                + COALESCE(s.total_time_spent, 0)) / 10.0,
               COALESCE(s.courses_completed, 0), COALESCE(s.certificates_earned, 0),
               COALESCE(s.total_time_spent, 0), %s
        FROM {t["user"]} u LEFT JOIN {t["stats"]} s ON s.user_id = u.id
        WHERE {eligible("u")} {"AND u.id = %s" if one_user else ""}
    """


def course_rows_select(*, user: bool, course: bool) -> str:
    """Per-course rows of every eligible enrollment, optionally of one user and/or course.

    Parameters: the timestamp, then the user and/or course ids twice (course_params)."""
    t = tables()
    activity_filter = " AND ".join(
        [*(["a.user_id = %s"] if user else []), *(["m.course_id = %s"] if course else [])]
    )
    enrollment_filter = "".join(
        [*([" AND e.user_id = %s"] if user else []), *([" AND e.course_id = %s"] if course else [])]
    )
    return f"""
        SELECT board.user_id, board.course_id,
               (board.completed * 1000 + board.certified * 500 + board.minutes) / 10.0,
               board.completed, board.certified, board.minutes, %s
        FROM (
            SELECT e.user_id AS user_id, e.course_id AS course_id,
                   CASE WHEN e.completed_at IS NULL THEN 0 ELSE 1 END AS completed,
                   CASE WHEN c.id IS NULL THEN 0 ELSE 1 END AS certified,
                   COALESCE(spent.seconds, 0) / 60 AS minutes
            FROM {t["enrollment"]} e
            JOIN {t["user"]} u ON u.id = e.user_id
            LEFT JOIN {t["certificate"]} c ON c.user_id = e.user_id AND c.course_id = e.course_id
            LEFT JOIN (
                SELECT a.user_id AS user_id, m.course_id AS course_id, SUM(a.seconds) AS seconds
                FROM {t["activity"]} a
                JOIN {t["lesson"]} l ON l.id = a.lesson_id
                JOIN {t["module"]} m ON m.id = l.module_id
                {"WHERE " + activity_filter if activity_filter else ""}
                GROUP BY a.user_id, m.course_id
            ) spent ON spent.user_id = e.user_id AND spent.course_id = e.course_id
            WHERE {eligible("u")}{enrollment_filter}
        ) board
        WHERE 1 = 1
    """


def course_params(user_id: int | None, course_id: int | None) -> list[int]:
    keys = [value for value in (user_id, course_id) if value is not None]
    return [*keys, *keys]


ENTRY_FIELDS = (
    "points",
    "courses_completed",
    "certificates_earned",
    "time_spent",
    "user__id",
    "user__username",
    "user__first_name",
    "user__last_name",
    "user__avatar",
    "user__leaderboard_anonymous",
    "user__deleted_at",
)


def _course_id(course: Course | int | None) -> int | None:
    return course.pk if isinstance(course, Course) else course


def board_scores(*, course: Course | int | None = None) -> QuerySet[LeaderboardScore]:
    course_id = _course_id(course)
    if course_id is None:
        return LeaderboardScore.objects.filter(course__isnull=True)
    return LeaderboardScore.objects.filter(course_id=course_id)


def leaderboard_entry(score: LeaderboardScore, *, rank: int) -> dict[str, Any]:
    """The REST and event shape of one row of a board.

    A student who chose to be anonymous (and a deleted account, should one still have a
    row) is shown as "Anonymous learner" without avatar, to everyone, themselves included.
    """
    user = score.user
    hidden = user.leaderboard_anonymous or user.deleted_at is not None
    return {
        "rank": rank,
        "user_id": user.pk,
        "name": ANONYMOUS_LEARNER_NAME if hidden else user.display_name,
        "avatar": "" if hidden else user.avatar,
        "points": float(score.points),
        "courses_completed": score.courses_completed,
        "certificates_earned": score.certificates_earned,
        "time_spent": score.time_spent,
    }


def leaderboard_top(*, course: Course | int | None = None, limit: int = 10) -> list[dict[str, Any]]:
    """The first `limit` entries of the global board, or of a course's board. One query."""
    scores = (
        board_scores(course=course)
        .select_related("user")
        .only(*ENTRY_FIELDS)
        .order_by("-points", "user_id")[:limit]
    )
    return [leaderboard_entry(score, rank=rank) for rank, score in enumerate(scores, start=1)]


def _count(scores: QuerySet[LeaderboardScore]) -> Subquery:
    return Subquery(
        # COUNT(*), not COUNT(id): the id is not in the index, and an index-only scan needs none.
        scores.order_by()
        .annotate(n=Func(template="COUNT(*)", output_field=IntegerField()))
        .values("n"),
        output_field=IntegerField(),
    )


def leaderboard_rank(*, user: User, course: Course | int | None = None) -> dict[str, Any] | None:
    """The user's entry with their rank, wherever they stand; None when not on the board.

    One query: the user's row, and the rows before it counted as two range scans
    of the board's index (higher points; equal points and a lower user id), each
    an index-only scan with no filter.
    """
    board = board_scores(course=course)
    score = (
        board.filter(user_id=user.pk)
        .select_related("user")
        .only(*ENTRY_FIELDS)
        .annotate(
            higher=_count(board.filter(points__gt=OuterRef("points"))),
            tied_before=_count(
                board.filter(points=OuterRef("points"), user_id__lt=OuterRef("user_id"))
            ),
        )
        .first()
    )
    if score is None:
        return None
    return leaderboard_entry(score, rank=score.higher + score.tied_before + 1)


def _unstored_rank(*, user: User, course_id: int | None) -> dict[str, Any] | None:
    """The entry of an eligible user whose row is not stored yet (students written by bulk
    inserts, until `rebuild_leaderboard` runs), computed by the formula and ranked among
    the stored rows. A read: nothing is written. None when the user is not on the board."""
    if course_id is None:
        sql, params = global_rows_select(one_user=True), [timezone.now(), user.pk]
    else:
        sql = course_rows_select(user=True, course=True)
        params = [timezone.now(), *course_params(user.pk, course_id)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    _, _, points, courses_completed, certificates_earned, time_spent, _ = row
    score = LeaderboardScore(
        user=user,
        course_id=course_id,
        points=points,
        courses_completed=courses_completed,
        certificates_earned=certificates_earned,
        time_spent=time_spent,
    )
    before = board_scores(course=course_id).filter(
        Q(points__gt=points) | Q(points=points, user_id__lt=user.pk)
    )
    return leaderboard_entry(score, rank=before.count() + 1)


def leaderboard_board(
    *, user: User, course: Course | int | None = None, limit: int | None = None
) -> dict[str, Any]:
    """`{"entries": top entries, "me": the user's entry or None}`: the API, page and join shape.

    `me` is the user's entry wherever they rank; None when they are not on the board
    (staff, instructors, inactive accounts, not enrolled in the course).
    """
    limit = settings.LEADERBOARD_DEFAULT_LIMIT if limit is None else limit
    entries = leaderboard_top(course=course, limit=limit)
    me = next((entry for entry in entries if entry["user_id"] == user.pk), None)
    if me is None:
        me = leaderboard_rank(user=user, course=course)
    if me is None and is_ranked(user):
        me = _unstored_rank(user=user, course_id=_course_id(course))
    return {"entries": entries, "me": me}


def leaderboard_courses_for(*, user: User) -> QuerySet[Course]:
    """Courses whose board the user may open, for the page's course selector."""
    if user.is_staff:
        return Course.objects.only("id", "title").order_by("title", "id")
    return (
        Course.objects.filter(Q(enrollments__user=user) | Q(instructor=user))
        .only("id", "title")
        .distinct()
        .order_by("title", "id")
    )
