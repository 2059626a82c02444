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
from leaderboard.scoring import course_params, course_rows_select, global_rows_select
from lms.catalog.models import Course, User

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
)


def _course_id(course: Course | int | None) -> int | None:
    return course.pk if isinstance(course, Course) else course


def board_scores(*, course: Course | int | None = None) -> QuerySet[LeaderboardScore]:
    course_id = _course_id(course)
    if course_id is None:
        return LeaderboardScore.objects.filter(course__isnull=True)
    return LeaderboardScore.objects.filter(course_id=course_id)


def leaderboard_entry(score: LeaderboardScore, *, rank: int) -> dict[str, Any]:
    """The REST and event shape of one row of a board."""
    user = score.user
    return {
        "rank": rank,
        "user_id": user.pk,
        "name": user.display_name,
        "avatar": user.avatar,
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
    if me is None and user.is_active and user.is_student:
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
