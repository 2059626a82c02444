"""A course's engagement analytics and roster at 100,000 students.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/teaching_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/teaching.py --students 100000

Creates the database when missing, migrates, runs `seed_demo --students N` (every
student enrolled in the first course), enrolls the first 1,000 of them in the second
course too, then gives both courses eight weeks of engagement with bulk SQL: enrollments
spread over the last 56 days; a CourseActivity row on each day since enrolling with a
chance that falls week by week (60 % in week 0, 30 % in week 1, 20 % in week 2...);
module completions in order (62 %, 38 %, 24 % of students...) with their lessons'
completions and scores; the enrollments that completed every module completed; 30
thread messages per 100 students over the eight weeks, 1 % of them hidden. Seeding is
skipped for a course that already has activity.

Then it times, in this process, through Django's test client signed in as the course's
instructor (production settings: DEBUG off), in the same run:

- the analytics API with nothing rolled up (every day and the totals computed live from
  the raw rows), and each part of that alone; then `manage.py analytics_rollup` (a 56-day
  backfill, then its every-10-minutes run); then the API again, the past days and the
  totals read from the roll-up;
- the analytics page;
- the roster API: the first page, `?inactive_days=7`, `?status=completed`, and the CSV
  gradebook (streaming time and peak Python memory while streaming), for the course of
  100,000 and the course of 1,000.

Prints median / p95 and the queries of one request of each. Results are in
docs/benchmarks.md ("Teaching: analytics and roster").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

from bench.common import (  # noqa: E402
    SECRET_KEY,
    add_run_options,
    create_database,
    database_url,
    percentile,
    wait_until_quiet,
)

SMALL_COURSE_STUDENTS = 1000
MESSAGES_PER_100_STUDENTS = 30
THREADS = 5


def production_environment() -> None:
    """Settings as the servers run them, on the benchmark's own Redis namespace."""
    os.environ.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "REALTIME_NAMESPACE": "bench-teaching",
        }
    )


def enroll_small_course(course_id: int, students: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO progress_enrollment (user_id, course_id, progress, enrolled_at)
            SELECT u.id, %s, 0, now() FROM lms_user u
            WHERE u.username LIKE 'student%%' ORDER BY u.id LIMIT %s
            ON CONFLICT DO NOTHING
            """,
            [course_id, students],
        )


def seed_engagement(course_id: int) -> bool:
    """Eight weeks of engagement in the course (see the module docstring); False when the
    course already has activity."""
    from django.conf import settings
    from django.db import connection, transaction

    from discussions.models import DiscussionThread
    from lms.catalog.models import Course
    from progress.models import CourseActivity

    if CourseActivity.objects.filter(course_id=course_id).exists():
        return False
    course = Course.objects.get(pk=course_id)
    params = {"course": course_id, "tz": settings.TIME_ZONE}
    with transaction.atomic(), connection.cursor() as cursor:
        # h(x): a deterministic pseudo-random number from 0 to 2^31 - 1.
        cursor.execute(
            "CREATE OR REPLACE FUNCTION pg_temp.h(bigint) RETURNS bigint "
            "AS 'SELECT abs(hashint8($1)::bigint)' LANGUAGE sql IMMUTABLE"
        )
        # Enrolled over the last eight weeks.
        cursor.execute(
            """
            UPDATE progress_enrollment e
            SET enrolled_at = now() - make_interval(secs => pg_temp.h(e.user_id) %% 4838400)
            WHERE e.course_id = %(course)s
            """,
            params,
        )
        # Each day since enrolling: active with a chance that falls week by week.
        cursor.execute(
            """
            INSERT INTO progress_courseactivity (user_id, course_id, day, seconds,
                                                 lessons_completed)
            SELECT e.user_id, e.course_id, d.day,
                   60 + pg_temp.h(e.user_id::bigint * 1000 + d.n + 7) %% 1800,
                   CASE WHEN pg_temp.h(e.user_id::bigint * 1000 + d.n + 3) %% 4 = 0
                        THEN 1 ELSE 0 END
            FROM progress_enrollment e
            CROSS JOIN LATERAL (
                SELECT n, (e.enrolled_at AT TIME ZONE %(tz)s)::date + n AS day
                FROM generate_series(
                    0, (now() AT TIME ZONE %(tz)s)::date - (e.enrolled_at AT TIME ZONE %(tz)s)::date
                ) n
            ) d
            WHERE e.course_id = %(course)s
              AND pg_temp.h(e.user_id::bigint * 1000 + d.n) %% 1000 < 600 / (1 + d.n / 7)
            ON CONFLICT DO NOTHING
            """,
            params,
        )
        # Modules completed in order, fewer students at each; their lessons with scores.
        cursor.execute(
            """
            INSERT INTO progress_modulecompletion (user_id, module_id, completed_at)
            SELECT e.user_id, m.id,
                   LEAST(now(), e.enrolled_at + m.rank * interval '4 days'
                                + make_interval(secs => pg_temp.h(e.user_id + 1) %% 86400))
            FROM progress_enrollment e
            JOIN (SELECT id, row_number() OVER (ORDER BY "order", id) AS rank
                  FROM lms_module WHERE course_id = %(course)s) m ON true
            WHERE e.course_id = %(course)s
              AND pg_temp.h(e.user_id) %% 100 < floor(100 * power(0.62, m.rank))
            ON CONFLICT DO NOTHING
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO progress_lessoncompletion (user_id, lesson_id, score, completed_at)
            SELECT mc.user_id, l.id, 50 + pg_temp.h(mc.user_id + l.id) %% 51, mc.completed_at
            FROM progress_modulecompletion mc
            JOIN lms_lesson l ON l.module_id = mc.module_id
            JOIN lms_module m ON m.id = mc.module_id
            WHERE m.course_id = %(course)s
            ON CONFLICT DO NOTHING
            """,
            params,
        )
        cursor.execute(
            """
            UPDATE progress_enrollment e
            SET progress = LEAST(100, done.lessons * 100 / total.lessons),
                completed_at = CASE WHEN done.lessons >= total.lessons THEN done.last END
            FROM (SELECT lc.user_id, count(*) AS lessons, max(lc.completed_at) AS last
                  FROM progress_lessoncompletion lc
                  JOIN lms_lesson l ON l.id = lc.lesson_id
                  JOIN lms_module m ON m.id = l.module_id
                  WHERE m.course_id = %(course)s GROUP BY lc.user_id) done,
                 (SELECT count(*) AS lessons FROM lms_lesson l
                  JOIN lms_module m ON m.id = l.module_id
                  WHERE m.course_id = %(course)s) total
            WHERE e.course_id = %(course)s AND e.user_id = done.user_id
            """,
            params,
        )
        threads = [
            DiscussionThread.objects.create(
                course=course, title=f"Week {n + 1} questions", created_by=course.instructor
            ).pk
            for n in range(THREADS)
        ]
        cursor.execute(
            "SELECT min(user_id), max(user_id), count(*) FROM progress_enrollment "
            "WHERE course_id = %s",
            [course_id],
        )
        low, high, enrolled = cursor.fetchone()
        count = max(1, enrolled * MESSAGES_PER_100_STUDENTS // 100)
        cursor.execute(
            """
            INSERT INTO discussions_threadmessage (thread_id, sender_id, content, created_at,
                                                   hidden_at)
            SELECT (%(threads)s::int[])[1 + n %% %(thread_count)s],
                   %(low)s + pg_temp.h(n) %% (%(high)s - %(low)s + 1),
                   'Message ' || n,
                   now() - make_interval(secs => (n::bigint * 4838400 / %(count)s)),
                   CASE WHEN n %% 100 = 0 THEN now() END
            FROM generate_series(1, %(count)s) n
            """,
            {
                **params,
                "threads": threads,
                "thread_count": THREADS,
                "low": low,
                "high": high,
                "count": count,
            },
        )
    return True


def timed(fn, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(fn, runs: int, warm: int = 2) -> tuple[float, float, int]:
    """(median ms, p95 ms, queries of one call)."""
    from django.db import connection

    for _ in range(warm):
        fn()
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # A wrapper, not connection.queries: the log is not kept with DEBUG off.
    with connection.execute_wrapper(count):
        fn()
    samples = timed(fn, runs)
    return statistics.median(samples), percentile(samples, 0.95), len(queries)


def get(client, url: str, expect: int = 200):
    def run():
        response = client.get(url)
        if response.status_code != expect:
            raise RuntimeError(f"GET {url}: {response.status_code}")
        if response.streaming:
            for _chunk in response.streaming_content:
                pass
        return response

    return run


def stream_csv(client, url: str, *, trace: bool = False) -> dict:
    """Time to the first and the last byte, bytes and lines; with `trace`, the peak Python
    memory while streaming (tracemalloc, which slows the run: timed runs go without it)."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code}")
    first = None
    size = lines = 0
    for chunk in response.streaming_content if response.streaming else [response.content]:
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    peak = 0
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "seconds": elapsed,
        "first_byte_ms": (first or 0) * 1000,
        "bytes": size,
        "lines": lines,
        "peak_mib": peak / 2**20,
        "streaming": response.streaming,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per measurement")
    parser.add_argument("--seed-only", action="store_true", help="seed, measure nothing")
    add_run_options(parser)
    args = parser.parse_args()

    url = database_url()
    if create_database(url):
        print(f"created database {url.rsplit('/', 1)[1]}")
    production_environment()

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from lms.catalog.models import Course, User
    from teaching import analytics
    from teaching.models import CourseDay, CourseSnapshot

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", students=args.students, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"seed_demo --students {args.students}: {time.perf_counter() - started:.1f} s")
    big, small = list(
        Course.objects.filter(
            title__in=["Python Foundations", "Building Web Apps with Django"]
        ).order_by("id")
    )
    enroll_small_course(small.pk, SMALL_COURSE_STUDENTS)
    for course in (big, small):
        started = time.perf_counter()
        if seed_engagement(course.pk):
            print(f"engagement of {course.title}: {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT (SELECT count(*) FROM progress_enrollment WHERE course_id = %s), "
            "(SELECT count(*) FROM progress_courseactivity WHERE course_id = %s), "
            "(SELECT count(*) FROM progress_modulecompletion), "
            "(SELECT count(*) FROM progress_lessoncompletion), "
            "(SELECT count(*) FROM discussions_threadmessage)",
            [big.pk, big.pk],
        )
        enrolled, activity, modules, lessons, messages = cursor.fetchone()
    print(
        f"course {big.pk}: {enrolled} enrolled, {activity} activity rows; all courses: "
        f"{modules} module completions, {lessons} lesson completions, {messages} messages"
    )

    if args.seed_only:
        return
    teacher = User.objects.get(username="teacher")
    client = Client()
    client.force_login(teacher)
    load = wait_until_quiet(args.quiet_load, patience=120)
    print(f"PostgreSQL {connection.pg_version // 10000}, load average {load:.2f} at start")

    results: list[tuple[str, float, float, int]] = []

    def record(label, fn, runs=args.runs):
        median, p95, queries = measure(fn, runs)
        results.append((label, median, p95, queries))
        print(f"  {label}: {median:.1f} / {p95:.1f} ms, {queries} queries", flush=True)

    api = f"/api/courses/{big.pk}/analytics/"
    today = timezone.localdate()

    # Nothing rolled up: every day of the window, and the totals, live from the raw rows.
    CourseDay.objects.all().delete()
    CourseSnapshot.objects.all().delete()
    record("analytics API, 30 days, nothing rolled up (live)", get(client, f"{api}?days=30"))
    record("analytics API, 56 days, nothing rolled up (live)", get(client, f"{api}?days=56"))
    first30 = today - timedelta(days=29)
    record(
        "  30 days' figures from the raw rows",
        lambda: analytics.course_day_figures(first=first30, last=today, course_ids=[big.pk]),
    )
    record(
        "  enrolled, completed, average time to complete",
        lambda: analytics._enrollment_figures(course=big),
    )
    record("  completions per module", lambda: analytics._module_completions(course=big))
    record("  retention by week", lambda: analytics._retention(course=big, today=today))

    # The roll-up itself.
    started = time.perf_counter()
    call_command("analytics_rollup", days=56, stdout=open(os.devnull, "w"))  # noqa: SIM115
    backfill = time.perf_counter() - started
    print(f"  analytics_rollup --days 56 (backfill and snapshots): {backfill * 1000:.0f} ms")
    record(
        "analytics_rollup (3 days and the snapshots, every course)",
        lambda: call_command("analytics_rollup", stdout=open(os.devnull, "w")),  # noqa: SIM115
        runs=5,
    )
    record(
        "  of which the 3 days of every course",
        lambda: analytics.course_days_rollup(days=3),
        runs=10,
    )

    record("analytics API, 30 days, rolled up", get(client, f"{api}?days=30"))
    record("analytics API, 56 days, rolled up", get(client, f"{api}?days=56"))
    record(
        "analytics API, 30 days, course of 1,000, rolled up",
        get(client, f"/api/courses/{small.pk}/analytics/?days=30"),
    )
    record("analytics page, 30 days, rolled up", get(client, f"/teach/courses/{big.pk}/analytics/"))
    record(
        "  30 days' figures: today live + the roll-up",
        lambda: analytics._daily(course=big, first=first30, today=today),
    )

    # The roster, at 100,000 and at 1,000 students.
    for course, size in ((small, "1,000"), (big, f"{enrolled:,}")):
        base = f"/api/courses/{course.pk}/roster/"
        if client.get(base).status_code == 404:
            print(f"  roster API not found at {base}: skipped")
            continue
        record(f"roster API, first page, {size} students", get(client, base))
        record(
            f"roster API, ?inactive_days=7, {size} students",
            get(client, f"{base}?inactive_days=7"),
        )
        record(
            f"roster API, ?status=completed, {size} students",
            get(client, f"{base}?status=completed"),
        )
        csv_url = f"/teach/courses/{course.pk}/gradebook.csv"
        if client.get(csv_url).status_code == 404:
            print(f"  gradebook not found at {csv_url}: skipped")
            continue
        streams = [stream_csv(client, csv_url) for _ in range(3)]
        traced = stream_csv(client, csv_url, trace=True)
        median = statistics.median(s["seconds"] for s in streams)
        first_byte = statistics.median(s["first_byte_ms"] for s in streams)
        runs = ", ".join(f"{s['seconds']:.2f}" for s in streams)
        print(
            f"  gradebook CSV, {size} students: {median:.2f} s to the last byte "
            f"(runs: {runs}), "
            f"first byte {first_byte:.0f} ms, {traced['lines']} lines, "
            f"{traced['bytes'] / 2**20:.1f} MiB, peak Python memory while streaming "
            f"{traced['peak_mib']:.1f} MiB, streaming={traced['streaming']}",
            flush=True,
        )

    print()
    print("| request | median / p95 (ms) | queries |")
    print("|---|---|---|")
    for label, median, p95, queries in results:
        print(f"| {label.strip()} | {median:.1f} / {p95:.1f} | {queries} |")


if __name__ == "__main__":
    main()
