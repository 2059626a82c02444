"""Leaderboard reads and maintenance at 100,000 students, against the source design.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leaderboard_bench \\
        .venv/bin/python bench/leaderboard.py --students 100000

Creates the database when missing, migrates, runs `seed_demo --students N`,
gives every student varied stats (and a fifth of them a completed first
course with its certificate, a third some time in its lessons) with bulk SQL,
then `rebuild_leaderboard`. It then times, in the same run:

- the indexed table: the top 10 of the global and of the course board, one
  student's rank (random students, and the last one), and the receiver's
  recompute that `learning_changed` adds to a write;
- a lesson completion through `progress.services.lesson_complete`: a middle
  lesson of the course by students part-way through it, with and without the
  leaderboard receiver, and a student's first lesson (rolled back, so the data
  stays put);
- the source design: one GROUP BY over every user joined with their stats,
  computing the formula and ranking in SQL (a view), read for the top 10 and
  for one student's rank, and the same per course.

Results are in docs/benchmarks.md ("Leaderboard").
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

from bench.common import create_database  # noqa: E402

SOURCE_GLOBAL_VIEW = """
    SELECT u.id, u.username,
           COALESCE(s.courses_completed, 0) AS courses_completed,
           COALESCE(s.certificates_earned, 0) AS certificates_earned,
           SUM(COALESCE(s.courses_completed, 0) * 100 + COALESCE(s.certificates_earned, 0) * 50
               + COALESCE(s.total_time_spent, 0) * 0.1) AS points,
           RANK() OVER (ORDER BY SUM(COALESCE(s.courses_completed, 0) * 100
               + COALESCE(s.certificates_earned, 0) * 50
               + COALESCE(s.total_time_spent, 0) * 0.1) DESC, u.id) AS rank
    FROM lms_user u LEFT JOIN progress_learningstats s ON s.user_id = u.id
    WHERE u.is_active AND u.role = 'student' AND NOT u.is_staff
    GROUP BY u.id, u.username, s.courses_completed, s.certificates_earned
"""

SOURCE_COURSE_VIEW = """
    SELECT e.user_id AS id,
           MAX(CASE WHEN e.completed_at IS NULL THEN 0 ELSE 100 END)
             + MAX(CASE WHEN c.id IS NULL THEN 0 ELSE 50 END)
             + COALESCE(SUM(a.seconds), 0) / 60 * 0.1 AS points
    FROM progress_enrollment e
    JOIN lms_user u ON u.id = e.user_id
    LEFT JOIN progress_certificate c ON c.user_id = e.user_id AND c.course_id = e.course_id
    LEFT JOIN lms_module m ON m.course_id = e.course_id
    LEFT JOIN lms_lesson l ON l.module_id = m.id
    LEFT JOIN progress_lessonactivity a ON a.lesson_id = l.id AND a.user_id = e.user_id
    WHERE e.course_id = %(course)s AND u.is_active AND u.role = 'student' AND NOT u.is_staff
    GROUP BY e.user_id
"""


def ensure_database() -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("Run this against PostgreSQL: set DATABASE_URL=postgres://...")
    if create_database(os.environ["DATABASE_URL"]):
        print(f"created database {db['NAME']}")


def timed(fn, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def vary_learning(course_id: int, lesson_ids: list[int]) -> None:
    """Deterministic but varied figures for every bulk student, in a few statements."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO progress_learningstats (user_id, total_time_spent, total_seconds_spent,
                courses_completed, certificates_earned, current_streak, longest_streak)
            SELECT u.id, (u.id * 7919) %% 6000, ((u.id * 7919) %% 6000) * 60,
                   (u.id * 37) %% 6, LEAST((u.id * 37) %% 6, (u.id * 11) %% 4), 0, 0
            FROM lms_user u WHERE u.username LIKE 'student%%'
            ON CONFLICT (user_id) DO NOTHING
            """,
            [],
        )
        cursor.execute(
            """
            UPDATE progress_enrollment SET progress = 100, completed_at = now()
            WHERE course_id = %s AND user_id %% 5 = 0 AND completed_at IS NULL
              AND user_id IN (SELECT id FROM lms_user WHERE username LIKE 'student%%')
            """,
            [course_id],
        )
        cursor.execute(
            """
            INSERT INTO progress_certificate (user_id, course_id, verification_code, issued_at)
            SELECT e.user_id, e.course_id, upper(substr(md5(e.user_id::text || '-bench'), 1, 16)),
                   now()
            FROM progress_enrollment e
            WHERE e.course_id = %s AND e.completed_at IS NOT NULL
            ON CONFLICT DO NOTHING
            """,
            [course_id],
        )
        # The achievements the stats above imply: a student with a course completed holds
        # "first course", or every timed completion would unlock it.
        cursor.execute(
            """
            INSERT INTO progress_achievement (user_id, kind, unlocked_at)
            SELECT s.user_id, k.kind, now()
            FROM progress_learningstats s
            JOIN (VALUES ('first_lesson', 1), ('first_course', 1), ('five_courses', 5))
              AS k(kind, n) ON s.courses_completed >= k.n
            ON CONFLICT DO NOTHING
            """,
            [],
        )
        for position, lesson_id in enumerate(lesson_ids[:3]):
            cursor.execute(
                """
                INSERT INTO progress_lessonactivity (user_id, lesson_id, seconds, updated_at)
                SELECT e.user_id, %s, (e.user_id * 131 + %s) %% 36000, now()
                FROM progress_enrollment e
                WHERE e.course_id = %s AND e.user_id %% 3 = %s
                ON CONFLICT DO NOTHING
                """,
                [lesson_id, position * 977, course_id, position],
            )


def prepare_learners(users, course, done_lesson_ids: list[int]) -> None:
    """Students part-way through `course`: the lessons in `done_lesson_ids` completed,
    the modules these finish, their progress and their first-lesson achievement."""
    from django.db import transaction

    from lms.catalog.models import Enrollment, Lesson
    from progress.models import Achievement, LessonCompletion, ModuleCompletion
    from progress.selectors import progress_percent

    lessons = list(Lesson.objects.filter(module__course=course).values_list("id", "module_id"))
    done = set(done_lesson_ids)
    modules = {module_id for _, module_id in lessons}
    finished = {m for m in modules if all(lid in done for lid, mid in lessons if mid == m)}
    progress = progress_percent(modules_total=len(modules), modules_done=len(finished))
    with transaction.atomic():
        LessonCompletion.objects.bulk_create(
            [LessonCompletion(user=u, lesson_id=lid) for u in users for lid in done_lesson_ids],
            ignore_conflicts=True,
        )
        ModuleCompletion.objects.bulk_create(
            [ModuleCompletion(user=u, module_id=m) for u in users for m in finished],
            ignore_conflicts=True,
        )
        Achievement.objects.bulk_create(
            [Achievement(user=u, kind=Achievement.Kind.FIRST_LESSON) for u in users],
            ignore_conflicts=True,
        )
        Enrollment.objects.filter(user__in=users, course=course).update(progress=progress)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200, help="timed reads per measurement")
    parser.add_argument("--writes", type=int, default=60, help="timed lesson completions")
    args = parser.parse_args()

    import django

    django.setup()
    ensure_database()

    from django.core.management import call_command
    from django.db import connection, transaction

    from leaderboard.events import learning_changed_refresh
    from leaderboard.models import LeaderboardScore
    from leaderboard.selectors import leaderboard_rank, leaderboard_top
    from leaderboard.services import leaderboard_score_refresh
    from lms.catalog.models import Course, Enrollment, Lesson, User
    from progress.models import Achievement, LessonCompletion
    from progress.services import learning_changed, lesson_complete

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", students=args.students, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"seed_demo --students {args.students}: {time.perf_counter() - started:.1f} s")
    course = Course.objects.filter(title="Python Foundations").first() or Course.objects.first()
    lessons = list(
        Lesson.objects.filter(module__course=course)
        .order_by("module__order", "module_id", "order", "id")
        .values_list("id", flat=True)
    )
    started = time.perf_counter()
    vary_learning(course.pk, lessons)
    print(f"varied stats and course progress: {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    call_command("rebuild_leaderboard", stdout=open(os.devnull, "w"))  # noqa: SIM115
    rebuild_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE leaderboard_leaderboardscore")
        cursor.execute("ANALYZE")
    rows = LeaderboardScore.objects.count()
    students = LeaderboardScore.objects.filter(course=None).count()
    distinct = LeaderboardScore.objects.filter(course=None).values("points").distinct().count()
    print(
        f"rebuild_leaderboard: {rebuild_seconds:.1f} s for {rows} rows "
        f"({students} students, {distinct} distinct global scores)"
    )

    rng = random.Random(6)
    student_ids = list(
        LeaderboardScore.objects.filter(course=course).values_list("user_id", flat=True)
    )
    sample_users = list(User.objects.filter(pk__in=rng.sample(student_ids, 200)))
    last_global = (
        LeaderboardScore.objects.filter(course=None).order_by("points", "-user_id").first().user
    )
    last_course = (
        LeaderboardScore.objects.filter(course=course).order_by("points", "-user_id").first().user
    )

    def rank_of_random(course_board):
        users = iter(rng.choices(sample_users, k=args.runs * 2))
        return lambda: leaderboard_rank(user=next(users), course=course_board)

    def source(sql, params=None, *, rank_of=None):
        def run():
            with connection.cursor() as cursor:
                if rank_of is None:
                    cursor.execute(
                        f"SELECT * FROM ({sql}) board ORDER BY points DESC, id LIMIT 10", params
                    )
                else:
                    cursor.execute(
                        f"SELECT * FROM (SELECT board.*, RANK() OVER (ORDER BY points DESC, id) "
                        f"AS position FROM ({sql}) board) ranked WHERE id = %(user)s",
                        {**(params or {}), "user": rank_of.pk},
                    )
                cursor.fetchall()

        return run

    source_runs = max(10, args.runs // 10)
    course_params = {"course": course.pk}
    reads = [
        ("top 10, global board", lambda: leaderboard_top(limit=10), source(SOURCE_GLOBAL_VIEW)),
        (
            "top 10, course board",
            lambda: leaderboard_top(course=course, limit=10),
            source(SOURCE_COURSE_VIEW, course_params),
        ),
        (
            "one student's rank, global (random students)",
            rank_of_random(None),
            source(SOURCE_GLOBAL_VIEW, rank_of=sample_users[0]),
        ),
        (
            "one student's rank, global (the last one)",
            lambda: leaderboard_rank(user=last_global),
            source(SOURCE_GLOBAL_VIEW, rank_of=last_global),
        ),
        (
            "one student's rank, course (random students)",
            rank_of_random(course),
            source(SOURCE_COURSE_VIEW, course_params, rank_of=sample_users[0]),
        ),
        (
            "one student's rank, course (the last one)",
            lambda: leaderboard_rank(user=last_course, course=course),
            source(SOURCE_COURSE_VIEW, course_params, rank_of=last_course),
        ),
    ]

    results = []
    for label, new, old in reads:
        timed(new, 5)  # warm caches and plans
        new_median, new_p95 = summary(timed(new, args.runs))
        timed(old, 2)
        old_median, old_p95 = summary(timed(old, source_runs))
        results.append((label, new_median, new_p95, old_median, old_p95))

    # Writes: the receiver's recompute alone, then whole lesson completions.
    refresh_users = iter(rng.choices(sample_users, k=args.runs))

    def refresh_once():
        with transaction.atomic():
            leaderboard_score_refresh(user_id=next(refresh_users).pk, course_id=course.pk)
            transaction.set_rollback(True)

    timed(refresh_once, 5)
    refresh_median, refresh_p95 = summary(timed(refresh_once, args.runs - 5))

    # A middle lesson (the second of the course's second module) by students who completed
    # the lessons before it and hold the achievements that earned them; and a first lesson
    # by students who never completed one (it unlocks the first-lesson achievement).
    learners = [
        u
        for u in sample_users
        if not Enrollment.objects.filter(user=u, course=course, completed_at__isnull=False).exists()
    ]
    middle_writers = learners[::2]
    first_writers = [
        u
        for u in learners[1::2]
        if not LessonCompletion.objects.filter(user=u).exists()
        and not Achievement.objects.filter(user=u).exists()
    ]
    middle = len(lessons) // 2
    prepare_learners(middle_writers, course, lessons[:middle])
    middle_lesson = Lesson.objects.select_related("module").get(pk=lessons[middle])
    first_lesson = Lesson.objects.select_related("module").get(pk=lessons[0])

    def completions(lesson, writers):
        writers = iter(writers * (args.writes * 2 // max(1, len(writers)) + 2))

        def complete_once():
            with transaction.atomic():
                lesson_complete(user=next(writers), lesson=lesson)
                transaction.set_rollback(True)

        return complete_once

    complete_once = completions(middle_lesson, middle_writers)
    complete_first = completions(first_lesson, first_writers)
    uid = "leaderboard_learning_changed"
    with_board, without_board = [], []
    complete_once()  # warm up
    complete_first()
    for _ in range(args.writes):
        with_board += timed(complete_once, 1)
        learning_changed.disconnect(dispatch_uid=uid)
        try:
            without_board += timed(complete_once, 1)
        finally:
            learning_changed.connect(learning_changed_refresh, dispatch_uid=uid)
    first_median, _ = summary(timed(complete_first, args.writes))
    with_median, _ = summary(with_board)
    without_median, _ = summary(without_board)

    print()
    print(f"PostgreSQL {connection.pg_version // 10000}, {students} students on the global board")
    print()
    header = (
        "| read | indexed table median / p95 (ms) | source GROUP BY view median / p95 (ms) "
        "| ratio (medians) |"
    )
    print(header)
    print("|---|---|---|---|")
    for label, new_median, new_p95, old_median, old_p95 in results:
        print(
            f"| {label} | {new_median:.2f} / {new_p95:.2f} | {old_median:.1f} / {old_p95:.1f} "
            f"| {old_median / new_median:,.0f}x |"
        )
    print()
    print("| write | median (ms) |")
    print("|---|---|")
    print(
        f"| receiver recompute (global + course row), alone | {refresh_median:.2f} "
        f"(p95 {refresh_p95:.2f}) |"
    )
    print(f"| lesson completion without the leaderboard receiver | {without_median:.2f} |")
    print(f"| lesson completion with it | {with_median:.2f} |")
    print(f"| a student's first lesson (unlocks an achievement), with it | {first_median:.2f} |")
    print(f"| cost added to one lesson completion | {with_median - without_median:.2f} |")


if __name__ == "__main__":
    main()
