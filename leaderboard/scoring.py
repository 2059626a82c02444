"""The points formula, in SQL (docs/leaderboard.md), computed in tenths so that live
maintenance and the bulk rebuild round alike:

    global      courses_completed*100 + certificates_earned*50 + total_time_spent*0.1
    per course  100 if the enrollment is completed + 50 if the user holds the course's
                certificate + 0.1 per whole minute of LessonActivity in its lessons

Only active students (is_active, role "student", not staff) are eligible. The
SELECTs compute rows; the services upsert them (writes) and the selectors read a
row that is not stored yet (reads), from the same statements.
"""

from __future__ import annotations

from django.db import connection

from leaderboard.models import LeaderboardScore
from lms.catalog.models import Enrollment, Lesson, Module, User
from progress.models import Certificate, LearningStats, LessonActivity

COLUMNS = (
    "user_id, course_id, points, courses_completed, certificates_earned, time_spent, updated_at"
)
FIGURES = ("points", "courses_completed", "certificates_earned", "time_spent")


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
    # The one SQL form of "may appear on a leaderboard"; User.is_student is the Python one.
    student = User.Role.STUDENT.value
    return f"{alias}.is_active AND {alias}.role = '{student}' AND NOT {alias}.is_staff"


def _upsert_tail(table: str, conflict: str) -> str:
    assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in (*FIGURES, "updated_at"))
    changed = " OR ".join(f"{table}.{name} <> EXCLUDED.{name}" for name in FIGURES)
    return f"ON CONFLICT {conflict} DO UPDATE SET {assignments} WHERE {changed}"


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


def global_rows_upsert(*, one_user: bool) -> str:
    t = tables()
    return f"""
        INSERT INTO {t["score"]} ({COLUMNS})
        {global_rows_select(one_user=one_user)}
        {_upsert_tail(t["score"], "(user_id) WHERE course_id IS NULL")}
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


def course_rows_upsert(*, user: bool, course: bool) -> str:
    t = tables()
    return f"""
        INSERT INTO {t["score"]} ({COLUMNS})
        {course_rows_select(user=user, course=course)}
        {_upsert_tail(t["score"], "(user_id, course_id)")}
    """


def course_params(user_id: int | None, course_id: int | None) -> list[int]:
    keys = [value for value in (user_id, course_id) if value is not None]
    return [*keys, *keys]
