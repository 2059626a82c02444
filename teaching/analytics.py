"""Engagement analytics of a course: its reads, and the daily roll-up that keeps them cheap.

Figures per day (in TIME_ZONE):

- active students: students with a `progress.CourseActivity` row in the course that day,
  that is who spent time on its lesson pages or completed one of its lessons (posting in
  its threads alone does not make a student active);
- lessons completed: the sum of the day's `CourseActivity.lessons_completed`;
- messages: thread messages posted in the course's threads that day and still shown (a
  deleted message is gone, a hidden one is not counted).

Past days are read from `teaching.CourseDay`, which `course_days_rollup` (run by
`manage.py analytics_rollup` from cron) recomputes for the last few days. Today, and any
day of the window the roll-up has not written, are computed live from the raw rows by the
same function, in the same two queries.

The totals (enrolled, completed, mean time to complete), completions per module and
retention by week are aggregates over all of the course's enrollments and activity, a few
seconds at 100,000 students (docs/benchmarks.md): the same command stores them in a
`teaching.CourseSnapshot`, read while younger than SNAPSHOT_MAX_AGE and computed live
otherwise. So the figures are right even if the roll-up never ran, only slower.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Avg, Count, DurationField, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from discussions.models import ThreadMessage
from lms.catalog.models import Course, Enrollment, Module
from progress.models import CourseActivity, ModuleCompletion
from teaching.models import CourseDay, CourseSnapshot

ANALYTICS_DAYS_DEFAULT = 30
ANALYTICS_DAYS_MAX = 365
RETENTION_WEEKS = 8  # weeks 0..7 after enrolling
ROLLUP_DAYS_DEFAULT = 3  # the roll-up recomputes this many days before today
# A snapshot older than this is not read (the roll-up stopped?): its figures are computed live.
SNAPSHOT_MAX_AGE = timedelta(minutes=30)
ENROLLMENT_FIGURES = (
    "enrolled",
    "completed",
    "completion_percent",
    "average_completion_seconds",
    "average_completion_days",
)

FIGURES = ("active_students", "lessons_completed", "seconds", "messages")


def _zone() -> ZoneInfo:
    # CourseActivity days are dates in TIME_ZONE (progress.services); messages are dated alike.
    return ZoneInfo(settings.TIME_ZONE)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _empty_day() -> dict[str, int]:
    return dict.fromkeys(FIGURES, 0)


def course_day_figures(
    *, first: date, last: date, course_ids: list[int] | None = None
) -> dict[tuple[int, date], dict[str, int]]:
    """The figures of each (course, day) from `first` to `last` that has any, computed from
    the raw rows: {(course_id, day): {active_students, lessons_completed, seconds, messages}}.

    Two grouped queries, whatever the number of students: CourseActivity by its
    (course, day) index, and the thread messages of the period.
    """
    zone = _zone()
    activity = CourseActivity.objects.filter(day__gte=first, day__lte=last)
    messages = ThreadMessage.objects.filter(
        hidden_at__isnull=True,
        created_at__gte=datetime.combine(first, time.min, tzinfo=zone),
        created_at__lt=datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )
    if course_ids is not None:
        activity = activity.filter(course_id__in=course_ids)
        messages = messages.filter(thread__course_id__in=course_ids)
    figures: dict[tuple[int, date], dict[str, int]] = defaultdict(_empty_day)
    # One row per (course, user, day): counting rows counts distinct students.
    for row in activity.values("course_id", "day").annotate(
        active=Count("id"), lessons=Sum("lessons_completed"), total=Sum("seconds")
    ):
        day = figures[row["course_id"], row["day"]]
        day["active_students"] = row["active"]
        day["lessons_completed"] = row["lessons"] or 0
        day["seconds"] = row["total"] or 0
    for row in (
        messages.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("thread__course_id", "day")
        .annotate(count=Count("id"))
    ):
        figures[row["thread__course_id"], row["day"]]["messages"] = row["count"]
    return dict(figures)


@transaction.atomic
def course_days_rollup(
    *,
    days: int = ROLLUP_DAYS_DEFAULT,
    today: date | None = None,
    course_ids: list[int] | None = None,
) -> int:
    """Recompute the stored figures of the `days` days before today, for every course (or
    those of `course_ids`); returns the number of rows written.

    Idempotent: each (course, day) row is upserted with what the raw rows say now, days
    without activity included (as zeros), so that a reader knows the day was rolled up.
    Three queries and one upsert, whatever the number of students.
    """
    today = today or timezone.localdate()
    if days < 1:
        return 0
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    if course_ids is None:
        course_ids = list(Course.objects.order_by("id").values_list("id", flat=True))
    figures = course_day_figures(first=first, last=last, course_ids=course_ids)
    now = timezone.now()
    rows = [
        CourseDay(
            course_id=course_id,
            day=day,
            computed_at=now,
            **figures.get((course_id, day), _empty_day()),
        )
        for course_id in course_ids
        for day in _days(first, last)
    ]
    CourseDay.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["course", "day"],
        update_fields=[*FIGURES, "computed_at"],
    )
    return len(rows)


def _daily(*, course: Course, first: date, today: date) -> tuple[list[dict], date | None]:
    """The window's days, from the roll-up where it has them and live for the rest (today
    always): ([{date, active_students, lessons_completed, minutes, messages}], the last day
    read from the roll-up or None). Three queries."""
    stored = {
        row["day"]: row
        for row in CourseDay.objects.filter(course=course, day__gte=first, day__lt=today).values(
            "day", *FIGURES
        )
    }
    missing = [day for day in _days(first, today) if day not in stored]
    live = course_day_figures(first=missing[0], last=today, course_ids=[course.pk])
    daily = []
    for day in _days(first, today):
        figures = stored.get(day) or live.get((course.pk, day)) or _empty_day()
        daily.append(
            {
                "date": day,
                "active_students": figures["active_students"],
                "lessons_completed": figures["lessons_completed"],
                "minutes": figures["seconds"] // 60,
                "messages": figures["messages"],
            }
        )
    return daily, max(stored, default=None)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _enrollment_figures(*, course: Course) -> dict[str, Any]:
    """Enrolled and completed counts, and the mean time from enrolling to completing. One
    query."""
    totals = Enrollment.objects.filter(course=course).aggregate(
        enrolled=Count("id"),
        completed=Count("id", filter=Q(completed_at__isnull=False)),
        average=Avg(
            F("completed_at") - F("enrolled_at"),
            output_field=DurationField(),
            filter=Q(completed_at__isnull=False),
        ),
    )
    average = totals["average"]
    seconds = round(average.total_seconds()) if average is not None else None
    return {
        "enrolled": totals["enrolled"],
        "completed": totals["completed"],
        "completion_percent": _percent(totals["completed"], totals["enrolled"]),
        "average_completion_seconds": seconds,
        "average_completion_days": round(seconds / 86400, 1) if seconds is not None else None,
    }


def _module_completions(*, course: Course) -> dict[str, int]:
    """Enrolled students who completed each module of the course, by module id (a string,
    as in the stored snapshot's JSON). One grouped query."""
    rows = (
        ModuleCompletion.objects.filter(
            module__course=course,
            user_id__in=Enrollment.objects.filter(course=course).values("user_id"),
        )
        .order_by()
        .values("module_id")
        .annotate(count=Count("id"))
        .values_list("module_id", "count")
    )
    return {str(module_id): count for module_id, count in rows}


def _funnel(*, course: Course, completions: dict[str, int], enrolled: int) -> list[dict]:
    """Each module of the course in order, with its completions. One query."""
    modules = Module.objects.filter(course=course).order_by("order", "id")
    return [
        {
            "module_id": module["id"],
            "title": module["title"],
            "order": module["order"],
            "completed": completions.get(str(module["id"]), 0),
            "percent": _percent(completions.get(str(module["id"]), 0), enrolled),
        }
        for module in modules.values("id", "title", "order")
    ]


def _days_since_enrolling_sql() -> tuple[str, list]:
    """SQL of the whole days from a student's enrollment day (e.enrolled_at, in TIME_ZONE) to
    an activity day (a.day), and its parameters."""
    enrolled_day, params = connection.ops.datetime_cast_date_sql(
        "e.enrolled_at", [], settings.TIME_ZONE
    )
    if connection.vendor == "postgresql":
        return f"(a.day - {enrolled_day})", params
    return f"CAST(julianday(a.day) - julianday({enrolled_day}) AS INTEGER)", params


def _retention(*, course: Course, today: date) -> list[dict]:
    """For weeks N = 0..RETENTION_WEEKS-1 after enrolling: the students whose week N has
    begun (`eligible`) and those of them active in the course during it. Two queries."""
    zone = _zone()
    cohorts = (
        Enrollment.objects.filter(course=course)
        .annotate(enrolled_day=TruncDate("enrolled_at", tzinfo=zone))
        .order_by()
        .values("enrolled_day")
        .annotate(count=Count("id"))
        .values_list("enrolled_day", "count")
    )
    eligible = [0] * RETENTION_WEEKS
    for enrolled_day, count in cohorts:
        begun = min(RETENTION_WEEKS, (today - enrolled_day).days // 7 + 1)
        for week in range(max(begun, 0)):
            eligible[week] += count

    since, params = _days_since_enrolling_sql()
    activity = connection.ops.quote_name(CourseActivity._meta.db_table)
    enrollment = connection.ops.quote_name(Enrollment._meta.db_table)
    sql = f"""
        SELECT week, COUNT(*) FROM (
            SELECT DISTINCT a.user_id, {since} / 7 AS week
            FROM {activity} a
            JOIN {enrollment} e ON e.user_id = a.user_id AND e.course_id = a.course_id
            WHERE a.course_id = %s AND {since} >= 0 AND {since} < %s
        ) weeks
        GROUP BY week
    """
    active = [0] * RETENTION_WEEKS
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, course.pk, *params, *params, 7 * RETENTION_WEEKS])
        for week, count in cursor.fetchall():
            active[int(week)] = count
    return [
        {
            "week": week,
            "eligible": eligible[week],
            "active": active[week],
            "percent": _percent(active[week], eligible[week]),
        }
        for week in range(RETENTION_WEEKS)
    ]


def _course_totals(*, course: Course, today: date) -> dict[str, Any]:
    """What a snapshot holds, computed from the raw rows: enrollment totals and the mean
    time to complete, completions per module, retention by week. Four queries."""
    return {
        **_enrollment_figures(course=course),
        "module_completions": _module_completions(course=course),
        "retention": _retention(course=course, today=today),
    }


@transaction.atomic
def course_snapshots_refresh(*, course_ids: list[int] | None = None) -> int:
    """Recompute the snapshot of every course (or those of `course_ids`); returns how many.

    Four queries per course, each an aggregate over the course's enrollments and activity
    (docs/benchmarks.md: about 3 s for a course of 100,000 students).
    """
    today, now = timezone.localdate(), timezone.now()
    courses = Course.objects.order_by("id").only("id")
    if course_ids is not None:
        courses = courses.filter(pk__in=course_ids)
    snapshots = [
        CourseSnapshot(
            course=course,
            computed_at=now,
            figures=_course_totals(course=course, today=today),
        )
        for course in courses
    ]
    CourseSnapshot.objects.bulk_create(
        snapshots,
        update_conflicts=True,
        unique_fields=["course"],
        update_fields=["computed_at", "figures"],
    )
    return len(snapshots)


def course_analytics(*, course: Course, days: int = ANALYTICS_DAYS_DEFAULT) -> dict[str, Any]:
    """A course's engagement over the `days` days up to today, and its funnel, retention and
    time to complete (from a snapshot younger than SNAPSHOT_MAX_AGE, else live). At most
    nine queries, whatever the number of students or days."""
    now = timezone.now()
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    daily, rolled_up_through = _daily(course=course, first=first, today=today)
    snapshot = (
        CourseSnapshot.objects.filter(course=course, computed_at__gte=now - SNAPSHOT_MAX_AGE)
        .values("computed_at", "figures")
        .first()
    )
    if snapshot is None:
        snapshot = {"computed_at": now, "figures": _course_totals(course=course, today=today)}
    totals = snapshot["figures"]
    return {
        "course": {"id": course.pk, "title": course.title},
        "days": days,
        "first": first,
        "last": today,
        "rolled_up_through": rolled_up_through,
        "totals_at": snapshot["computed_at"],
        **{key: totals[key] for key in ENROLLMENT_FIGURES},
        "daily": daily,
        "funnel": _funnel(
            course=course, completions=totals["module_completions"], enrolled=totals["enrolled"]
        ),
        "retention": totals["retention"],
    }
