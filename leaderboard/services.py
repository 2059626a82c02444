"""Every write of the leaderboard app: keeping LeaderboardScore equal to the formula.

Points (SPEC section 2), computed in SQL in tenths so that live maintenance and
the bulk rebuild round alike:

    global      courses_completed*100 + certificates_earned*50 + total_time_spent*0.1
    per course  100 if the enrollment is completed + 50 if the user holds the course's
                certificate + 0.1 per whole minute of LessonActivity in its lessons

Only active students (is_active, role "student", not staff) have rows; the
global board holds every one of them, a course board every enrolled one.
Each statement below is an INSERT ... SELECT ... ON CONFLICT DO UPDATE that
only writes a row whose figures changed, so its row count says whether the
board moved; boards that moved get a coalesced broadcast after commit.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from leaderboard import broadcasts
from leaderboard.models import LeaderboardScore
from leaderboard.selectors import leaderboard_board
from lms.models import Lesson, Module, User
from progress.models import Certificate, Enrollment, LearningStats, LessonActivity

COLUMNS = (
    "user_id, course_id, points, courses_completed, certificates_earned, time_spent, updated_at"
)
FIGURES = ("points", "courses_completed", "certificates_earned", "time_spent")


def _tables() -> dict[str, str]:
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


def _eligible(alias: str) -> str:
    # The one SQL form of "may appear on a leaderboard"; User.is_student is the Python one.
    student = User.Role.STUDENT.value
    return f"{alias}.is_active AND {alias}.role = '{student}' AND NOT {alias}.is_staff"


def _upsert_tail(table: str, conflict: str) -> str:
    assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in (*FIGURES, "updated_at"))
    changed = " OR ".join(f"{table}.{name} <> EXCLUDED.{name}" for name in FIGURES)
    return f"ON CONFLICT {conflict} DO UPDATE SET {assignments} WHERE {changed}"


def _global_rows_sql(*, one_user: bool) -> str:
    t = _tables()
    return f"""
        INSERT INTO {t["score"]} ({COLUMNS})
        SELECT u.id, NULL,
               (COALESCE(s.courses_completed, 0) * 1000 + COALESCE(s.certificates_earned, 0) * 500
                + COALESCE(s.total_time_spent, 0)) / 10.0,
               COALESCE(s.courses_completed, 0), COALESCE(s.certificates_earned, 0),
               COALESCE(s.total_time_spent, 0), %s
        FROM {t["user"]} u LEFT JOIN {t["stats"]} s ON s.user_id = u.id
        WHERE {_eligible("u")} {"AND u.id = %s" if one_user else ""}
        {_upsert_tail(t["score"], "(user_id) WHERE course_id IS NULL")}
    """


def _course_rows_sql(*, user: bool, course: bool) -> str:
    """Per-course rows of every eligible enrollment, optionally of one user and/or course."""
    t = _tables()
    activity_filter = " AND ".join(
        [*(["a.user_id = %s"] if user else []), *(["m.course_id = %s"] if course else [])]
    )
    enrollment_filter = "".join(
        [*([" AND e.user_id = %s"] if user else []), *([" AND e.course_id = %s"] if course else [])]
    )
    return f"""
        INSERT INTO {t["score"]} ({COLUMNS})
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
            WHERE {_eligible("u")}{enrollment_filter}
        ) board
        WHERE 1 = 1
        {_upsert_tail(t["score"], "(user_id, course_id)")}
    """


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _filter_params(user_id: int | None, course_id: int | None) -> list[int]:
    return [value for value in (user_id, course_id) if value is not None]


def _upsert_global(*, user_id: int) -> int:
    return _execute(_global_rows_sql(one_user=True), [timezone.now(), user_id])


def _upsert_courses(*, user_id: int | None, course_id: int | None) -> int:
    sql = _course_rows_sql(user=user_id is not None, course=course_id is not None)
    keys = _filter_params(user_id, course_id)
    return _execute(sql, [timezone.now(), *keys, *keys])


def _delete_ineligible(*, user_id: int) -> int:
    t = _tables()
    return _execute(
        f"DELETE FROM {t['score']} WHERE user_id = %s AND NOT EXISTS "
        f"(SELECT 1 FROM {t['user']} u WHERE u.id = %s AND {_eligible('u')})",
        [user_id, user_id],
    )


def _delete_unenrolled(*, user_id: int, course_id: int) -> int:
    t = _tables()
    return _execute(
        f"DELETE FROM {t['score']} WHERE user_id = %s AND course_id = %s AND NOT EXISTS "
        f"(SELECT 1 FROM {t['enrollment']} e WHERE e.user_id = %s AND e.course_id = %s)",
        [user_id, course_id, user_id, course_id],
    )


def leaderboard_announce(topics: list[str]) -> None:
    """Schedule a coalesced broadcast of each board once the transaction commits."""
    for topic in dict.fromkeys(topics):
        transaction.on_commit(
            lambda topic=topic: broadcasts.leaderboard_changed(topic), robust=True
        )


@transaction.atomic(savepoint=False)
def leaderboard_score_refresh(
    *, user_id: int, course_id: int | None = None, global_board: bool = True
) -> list[str]:
    """Recompute the user's global row and, given a course, that course's row.

    Runs inside the writer's transaction (progress.signals.learning_changed), a
    few indexed statements. It first locks the user's LearningStats row, so
    refreshes of one user queue in one order whatever the writer locked before,
    and each reads what the previous one committed. A user who is no longer
    eligible, or no longer enrolled, loses the row instead. Returns the topics
    of the boards that changed; their broadcast is scheduled after commit.
    """
    list(LearningStats.objects.select_for_update().filter(user_id=user_id).values_list("pk"))
    changed = []
    if global_board and (_upsert_global(user_id=user_id) or _delete_ineligible(user_id=user_id)):
        changed.append(broadcasts.board_topic(None))
    if course_id is not None and (
        _upsert_courses(user_id=user_id, course_id=course_id)
        or _delete_unenrolled(user_id=user_id, course_id=course_id)
    ):
        changed.append(broadcasts.board_topic(course_id))
    leaderboard_announce(changed)
    return changed


@transaction.atomic(savepoint=False)
def leaderboard_user_sync(*, user: User) -> list[str]:
    """Remove an ineligible user's rows (deactivated, no longer a student), restore them when
    the user becomes eligible again. Returns the topics of the boards that changed."""
    scores = LeaderboardScore.objects.filter(user_id=user.pk)
    if not user.is_student or not user.is_active:
        course_ids = list(scores.values_list("course_id", flat=True))
        if not course_ids:
            return []
        scores.delete()
        changed = [broadcasts.board_topic(course_id) for course_id in course_ids]
    elif scores.filter(course__isnull=True).exists():
        return []
    else:
        _upsert_global(user_id=user.pk)
        _upsert_courses(user_id=user.pk, course_id=None)
        course_ids = scores.exclude(course=None).values_list("course_id", flat=True)
        changed = [broadcasts.board_topic(course_id) for course_id in [None, *course_ids]]
    leaderboard_announce(changed)
    return changed


def leaderboard_viewer_board(
    *, user: User, course_id: int | None = None, limit: int | None = None
) -> dict:
    """The board as `user` sees it (`{"entries", "me"}`), for the API, the page and the join.

    An eligible user without a row (students written by bulk inserts, such as
    `seed_demo --students`, until `rebuild_leaderboard` runs) gets it created here
    first, so that their own rank is never missing.
    """
    board = leaderboard_board(user=user, course=course_id, limit=limit)
    missing = board["me"] is None and user.is_active and user.is_student
    if missing and leaderboard_score_refresh(user_id=user.pk, course_id=course_id):
        board = leaderboard_board(user=user, course=course_id, limit=limit)
    return board


@transaction.atomic
def leaderboard_rebuild() -> dict[str, int]:
    """Recompute every row from the progress tables in a few bulk statements.

    Rows are upserted in place (only changed ones are written) and stale rows
    deleted, so readers see the old board until commit and never an empty one.
    """
    t = _tables()
    deleted = _execute(
        f"DELETE FROM {t['score']} WHERE NOT EXISTS (SELECT 1 FROM {t['user']} u "
        f"WHERE u.id = {t['score']}.user_id AND {_eligible('u')})",
        [],
    )
    deleted += _execute(
        f"DELETE FROM {t['score']} WHERE course_id IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {t['enrollment']} e WHERE e.user_id = {t['score']}.user_id "
        f"AND e.course_id = {t['score']}.course_id)",
        [],
    )
    written = _execute(_global_rows_sql(one_user=False), [timezone.now()])
    written += _upsert_courses(user_id=None, course_id=None)
    course_ids = (
        LeaderboardScore.objects.exclude(course=None)
        .order_by()
        .values_list("course_id", flat=True)
        .distinct()
    )
    leaderboard_announce([broadcasts.board_topic(None), *map(broadcasts.board_topic, course_ids)])
    return {"written": written, "deleted": deleted, "rows": LeaderboardScore.objects.count()}
