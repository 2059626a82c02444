"""Every write of the leaderboard app: keeping LeaderboardScore equal to the formula
(leaderboard/selectors.py).

Only active students (is_active, role "student", not staff, not deleted) have rows; the
global board holds every one of them, a course board every enrolled one.
Each statement below is an INSERT ... SELECT ... ON CONFLICT DO UPDATE that
only writes a row whose figures changed, so its row count says whether the
board moved. The services return the boards that moved (a course's id, None for the
global board); the receivers that call them (leaderboard/events.py) announce those.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from leaderboard.models import LeaderboardScore
from leaderboard.selectors import (
    COLUMNS,
    course_params,
    course_rows_select,
    eligible,
    global_rows_select,
    is_ranked,
    tables,
)
from lms.catalog.models import User
from progress.models import LearningStats

FIGURES = ("points", "courses_completed", "certificates_earned", "time_spent")


def _upsert_tail(table: str, conflict: str) -> str:
    assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in (*FIGURES, "updated_at"))
    changed = " OR ".join(f"{table}.{name} <> EXCLUDED.{name}" for name in FIGURES)
    return f"ON CONFLICT {conflict} DO UPDATE SET {assignments} WHERE {changed}"


def _global_rows_upsert(*, one_user: bool) -> str:
    t = tables()
    return f"""
        INSERT INTO {t["score"]} ({COLUMNS})
        {global_rows_select(one_user=one_user)}
        {_upsert_tail(t["score"], "(user_id) WHERE course_id IS NULL")}
    """


def _course_rows_upsert(*, user: bool, course: bool) -> str:
    t = tables()
    return f"""
        INSERT INTO {t["score"]} ({COLUMNS})
        {course_rows_select(user=user, course=course)}
        {_upsert_tail(t["score"], "(user_id, course_id)")}
    """


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _upsert_global(*, user_id: int) -> int:
    return _execute(_global_rows_upsert(one_user=True), [timezone.now(), user_id])


def _upsert_courses(*, user_id: int | None, course_id: int | None) -> int:
    sql = _course_rows_upsert(user=user_id is not None, course=course_id is not None)
    return _execute(sql, [timezone.now(), *course_params(user_id, course_id)])


def _delete_ineligible(*, user_id: int) -> int:
    t = tables()
    return _execute(
        f"DELETE FROM {t['score']} WHERE user_id = %s AND NOT EXISTS "
        f"(SELECT 1 FROM {t['user']} u WHERE u.id = %s AND {eligible('u')})",
        [user_id, user_id],
    )


def _delete_unenrolled(*, user_id: int, course_id: int) -> int:
    t = tables()
    return _execute(
        f"DELETE FROM {t['score']} WHERE user_id = %s AND course_id = %s AND NOT EXISTS "
        f"(SELECT 1 FROM {t['enrollment']} e WHERE e.user_id = %s AND e.course_id = %s)",
        [user_id, course_id, user_id, course_id],
    )


@transaction.atomic(savepoint=False)
def leaderboard_score_refresh(
    *,
    user_id: int,
    course_id: int | None = None,
    global_board: bool = True,
    stats_locked: bool = False,
) -> list[int | None]:
    """Recompute the user's global row and, given a course, that course's row.

    Runs inside the writer's transaction (progress.services.learning_changed), a
    few indexed statements. It first locks the user's LearningStats row, so
    refreshes of one user queue in one order whatever the writer locked before,
    and each reads what the previous one committed. A user who is no longer
    eligible, or no longer enrolled, loses the row instead. Returns the boards that
    changed.
    `stats_locked`: the caller holds that lock already (the progress services do), which
    saves the statement.
    """
    if not stats_locked:
        list(LearningStats.objects.select_for_update().filter(user_id=user_id).values_list("pk"))
    changed = []
    if global_board and (_upsert_global(user_id=user_id) or _delete_ineligible(user_id=user_id)):
        changed.append(None)
    if course_id is not None and (
        _upsert_courses(user_id=user_id, course_id=course_id)
        or _delete_unenrolled(user_id=user_id, course_id=course_id)
    ):
        changed.append(course_id)
    return changed


@transaction.atomic(savepoint=False)
def leaderboard_unenrolled(*, user_id: int, course_id: int) -> list[int | None]:
    """Drop the user's row of a course they left; their global row stays (points they
    earned there stay theirs). Returns the boards that changed."""
    return [course_id] if _delete_unenrolled(user_id=user_id, course_id=course_id) else []


@transaction.atomic(savepoint=False)
def leaderboard_user_sync(*, user: User) -> list[int | None]:
    """Keep the boards in step with a saved user. Returns the boards to tell.

    An ineligible user (deactivated, deleted, no longer a student) loses their rows; one
    eligible again gets them back, recomputed. An eligible user who keeps their rows may
    have changed how they are shown (name, avatar, anonymity): each of their boards is
    told, and its coalesced send goes out only if its top entries changed.
    """
    scores = LeaderboardScore.objects.filter(user_id=user.pk)
    course_ids = list(scores.values_list("course_id", flat=True))
    if not is_ranked(user):
        if not course_ids:
            return []
        scores.delete()
    elif None not in course_ids:
        _upsert_global(user_id=user.pk)
        _upsert_courses(user_id=user.pk, course_id=None)
        course_ids = list(scores.values_list("course_id", flat=True))
    return course_ids


@transaction.atomic
def leaderboard_rebuild() -> dict:
    """Recompute every row from the progress tables in a few bulk statements.

    Rows are upserted in place (only changed ones are written) and stale rows
    deleted, so readers see the old board until commit and never an empty one.
    Returns the counts, and every board (`boards`) for the caller to announce.
    """
    t = tables()
    deleted = _execute(
        f"DELETE FROM {t['score']} WHERE NOT EXISTS (SELECT 1 FROM {t['user']} u "
        f"WHERE u.id = {t['score']}.user_id AND {eligible('u')})",
        [],
    )
    deleted += _execute(
        f"DELETE FROM {t['score']} WHERE course_id IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {t['enrollment']} e WHERE e.user_id = {t['score']}.user_id "
        f"AND e.course_id = {t['score']}.course_id)",
        [],
    )
    written = _execute(_global_rows_upsert(one_user=False), [timezone.now()])
    written += _upsert_courses(user_id=None, course_id=None)
    course_ids = (
        LeaderboardScore.objects.exclude(course=None)
        .order_by()
        .values_list("course_id", flat=True)
        .distinct()
    )
    return {
        "written": written,
        "deleted": deleted,
        "rows": LeaderboardScore.objects.count(),
        "boards": [None, *course_ids],
    }
