"""What a course's teachers read: the dashboard's courses, the roster, a student's detail and
the gradebook.

Every read here is bounded in queries whatever the size of the course: a roster page is a
count, the page's enrollments and one query for their figures; the gradebook is two
server-side cursors read side by side, never a list of every student.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, Trim, TruncDate
from django.utils import timezone

from lms.catalog.models import DELETED_USER_NAME, Course, Enrollment, Lesson, Module, Quiz, User
from lms.catalog.permissions import courses_taught
from lms.realtime.presence import users_online
from progress.models import CourseActivity, LessonCompletion, ModuleCompletion, QuizAttempt

ROSTER_PAGE_SIZE = 50
ROSTER_PAGE_SIZE_MAX = 100
STATUSES = ("not_started", "in_progress", "completed")
SORTS = ("name", "-name", "progress", "-progress", "last_active", "-last_active")
SEARCH_MAX_WORDS = 5
# "Online now" looks among the students active in the course today or yesterday (the newest
# first), at most this many: a presence check of every student of a large course is not
# bounded. See docs/teaching.md.
ONLINE_CANDIDATES = 500
GRADEBOOK_CHUNK = 2000


# Figures of a student in a course, as subqueries on an Enrollment queryset.


def _course_activity(course_id: int) -> QuerySet[CourseActivity]:
    return CourseActivity.objects.filter(course_id=course_id, user_id=OuterRef("user_id"))


def _last_activity(course_id: int) -> Subquery:
    # The (course, user, day) unique index answers it.
    return Subquery(_course_activity(course_id).order_by("-day").values("day")[:1])


def _figures(course_id: int) -> dict[str, Any]:
    """last_activity (a day or None), modules_completed, lessons_completed and score (the
    average lesson score, or None) of the row's student in the course."""
    modules = (
        ModuleCompletion.objects.filter(user_id=OuterRef("user_id"), module__course_id=course_id)
        .values("user_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    lessons = LessonCompletion.objects.filter(
        user_id=OuterRef("user_id"), lesson__module__course_id=course_id
    ).values("user_id")
    return {
        "last_activity": _last_activity(course_id),
        "modules_completed": Coalesce(Subquery(modules[:1], output_field=IntegerField()), Value(0)),
        "lessons_completed": Coalesce(
            Subquery(lessons.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()),
            Value(0),
        ),
        "score": Subquery(
            lessons.filter(score__isnull=False).annotate(a=Avg("score")).values("a")[:1]
        ),
    }


def _modules_with_lessons(course_id: int) -> QuerySet[Module]:
    # Progress counts the modules that have lessons (progress.selectors.module_status).
    return Module.objects.filter(
        Exists(Lesson.objects.filter(module_id=OuterRef("pk"))), course_id=course_id
    )


def _status(*, progress: int, completed_at, last_activity: date | None) -> str:
    if completed_at is not None:
        return "completed"
    if progress > 0 or last_activity is not None:
        return "in_progress"
    return "not_started"


def _score(value) -> float | None:
    return None if value is None else round(float(value), 1)


def _name(user: User) -> str:
    return user.display_name


def _email(user: User) -> str:
    return "" if user.deleted_at else user.email


def roster_row_of(
    enrollment: Enrollment, *, modules_total: int, online: bool | None = None
) -> dict[str, Any]:
    """The roster row of an enrollment annotated with `_figures` and with its user loaded: the
    shape of the API's rows and of `roster.updated` events (which leave out `online`)."""
    user = enrollment.user
    last_activity = enrollment.last_activity
    row = {
        "user_id": user.pk,
        "username": user.username,
        "name": _name(user),
        "email": _email(user),
        "progress": enrollment.progress,
        "status": _status(
            progress=enrollment.progress,
            completed_at=enrollment.completed_at,
            last_activity=last_activity,
        ),
        "enrolled_at": enrollment.enrolled_at,
        "completed_at": enrollment.completed_at,
        "last_active": last_activity or timezone.localdate(enrollment.enrolled_at),
        "modules_completed": enrollment.modules_completed,
        "modules_total": modules_total,
        "lessons_completed": enrollment.lessons_completed,
        "score": _score(enrollment.score),
    }
    if online is not None:
        row["online"] = online
    return row


def roster_row(*, course_id: int, user_id: int) -> dict[str, Any] | None:
    """One student's roster row (without `online`), or None when not enrolled. One query."""
    enrollment = (
        Enrollment.objects.filter(course_id=course_id, user_id=user_id)
        .select_related("user")
        .annotate(
            **_figures(course_id),
            modules_total=Subquery(
                _modules_with_lessons(course_id)
                .values("course_id")
                .annotate(n=Count("pk"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
        )
        .first()
    )
    if enrollment is None:
        return None
    return roster_row_of(enrollment, modules_total=enrollment.modules_total or 0)


# The roster.


@dataclass(frozen=True)
class RosterPage:
    rows: list[dict[str, Any]]
    count: int
    number: int
    page_size: int
    num_pages: int
    online_now: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _sort_name():
    # What display_name shows: the full name, else the username.
    full = Trim(Concat("user__first_name", Value(" "), "user__last_name"))
    return Lower(Coalesce(NullIf(full, Value("")), "user__username"))


def roster_queryset(
    *,
    course_id: int,
    status: str | None = None,
    inactive_days: int | None = None,
    online_ids: Iterable[int] | None = None,
    q: str = "",
    sort: str = "name",
) -> QuerySet[Enrollment]:
    """The course's enrollments that pass the filters, in the order of `sort`, with the user.

    status: `completed` (completed_at set), `not_started` (no progress and no activity in the
    course), `in_progress` (the rest). inactive_days=N: no activity in the course in the last N
    days (today counted). online_ids: only these students. q: every word is in the first name,
    last name or username.
    """
    enrollments = Enrollment.objects.filter(course_id=course_id).select_related("user")
    started = Q(progress__gt=0) | Exists(_course_activity(course_id))
    if status == "completed":
        enrollments = enrollments.filter(completed_at__isnull=False)
    elif status == "in_progress":
        enrollments = enrollments.filter(started, completed_at__isnull=True)
    elif status == "not_started":
        enrollments = enrollments.filter(~started, completed_at__isnull=True)
    if inactive_days is not None:
        since = timezone.localdate() - timedelta(days=max(inactive_days, 1) - 1)
        enrollments = enrollments.exclude(
            Exists(_course_activity(course_id).filter(day__gte=since))
        )
    if online_ids is not None:
        enrollments = enrollments.filter(user_id__in=list(online_ids))
    for word in q.split()[:SEARCH_MAX_WORDS]:
        enrollments = enrollments.filter(
            Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(user__username__icontains=word)
        )
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "progress":
        order = [F("progress").desc() if descending else F("progress").asc()]
    elif key == "last_active":
        enrollments = enrollments.annotate(
            sort_active=Coalesce(_last_activity(course_id), TruncDate("enrolled_at"))
        )
        order = [F("sort_active").desc() if descending else F("sort_active").asc()]
    else:
        order = []
        descending = key == "name" and descending
    name = _sort_name()
    order += [name.desc() if descending else name.asc(), "user_id"]
    return enrollments.order_by(*order)


def online_now(*, course_id: int, limit: int = ONLINE_CANDIDATES) -> list[int]:
    """Ids of the course's students online now, among the `limit` last active in it today or
    yesterday. One query and one presence read, whatever the size of the course."""
    since = timezone.localdate() - timedelta(days=1)
    recent = (
        CourseActivity.objects.filter(course_id=course_id, day__gte=since)
        .filter(Exists(Enrollment.objects.filter(course_id=course_id, user_id=OuterRef("user_id"))))
        .order_by("-day", "user_id")
        .values_list("user_id", flat=True)[: limit * 2]  # a student has up to two days
    )
    candidates = list(dict.fromkeys(recent))[:limit]
    online = users_online(candidates)
    return [user_id for user_id in candidates if user_id in online]


def modules_total(*, course_id: int) -> int:
    return _modules_with_lessons(course_id).count()


def roster_rows(enrollments: list[Enrollment], *, course_id: int) -> list[dict[str, Any]]:
    """Roster rows, with `online`, of a page of enrollments (their user loaded): two queries
    and one presence read, whatever the page size."""
    if not enrollments:
        return []
    figures = {
        row["pk"]: row
        for row in Enrollment.objects.filter(pk__in=[e.pk for e in enrollments])
        .annotate(**_figures(course_id))
        .values("pk", "last_activity", "modules_completed", "lessons_completed", "score")
    }
    total = modules_total(course_id=course_id)
    online = users_online([e.user_id for e in enrollments])
    rows = []
    for enrollment in enrollments:
        for name, value in figures[enrollment.pk].items():
            if name != "pk":
                setattr(enrollment, name, value)
        rows.append(
            roster_row_of(enrollment, modules_total=total, online=enrollment.user_id in online)
        )
    return rows


def roster_page(
    *,
    course_id: int,
    status: str | None = None,
    inactive_days: int | None = None,
    online: bool = False,
    q: str = "",
    sort: str = "name",
    page: int | str | None = 1,
    page_size: int = ROSTER_PAGE_SIZE,
    with_online_now: bool = False,
) -> RosterPage:
    """A page of the course's roster, filtered and sorted (see `roster_queryset`).

    `online` keeps the students `online_now` finds; `with_online_now` also lists them (names)
    for the top of the page. Queries: a count, the page, its figures, the module total, plus
    one for the online students when asked: at most six, whatever the page size and course.
    """
    page_size = max(1, min(int(page_size), ROSTER_PAGE_SIZE_MAX))
    online_ids = online_now(course_id=course_id) if online or with_online_now else None
    enrollments = roster_queryset(
        course_id=course_id,
        status=status,
        inactive_days=inactive_days,
        online_ids=online_ids if online else None,
        q=q,
        sort=sort,
    )
    paginated = Paginator(enrollments, page_size).get_page(page)
    rows = roster_rows(list(paginated.object_list), course_id=course_id)
    listed = []
    if with_online_now and online_ids:
        names = {
            user.pk: user
            for user in User.objects.filter(pk__in=online_ids).only(
                "pk", "username", "first_name", "last_name", "deleted_at"
            )
        }
        listed = [
            {"user_id": user_id, "name": _name(names[user_id])}
            for user_id in online_ids
            if user_id in names
        ]
    return RosterPage(
        rows=rows,
        count=paginated.paginator.count,
        number=paginated.number,
        page_size=page_size,
        num_pages=paginated.paginator.num_pages,
        online_now=listed,
    )


# The dashboard.


def taught_courses(*, user: User) -> QuerySet[Course]:
    """The courses the user teaches, with enrolled and completed counts and average progress.
    One query."""
    return (
        courses_taught(user=user)
        .annotate(
            enrolled_count=Count("enrollments"),
            completed_count=Count("enrollments", filter=Q(enrollments__completed_at__isnull=False)),
            average_progress=Avg("enrollments__progress"),
        )
        .order_by("title", "pk")
    )


def taught_courses_with_online(courses: list[Course]) -> list[Course]:
    """Set `online_count` on each course (its students online now, as `online_now` counts):
    one query and one presence read for the whole list."""
    since = timezone.localdate() - timedelta(days=1)
    recent = (
        CourseActivity.objects.filter(course_id__in=[c.pk for c in courses], day__gte=since)
        .filter(
            Exists(
                Enrollment.objects.filter(
                    course_id=OuterRef("course_id"), user_id=OuterRef("user_id")
                )
            )
        )
        .order_by("-day", "user_id")
        .values_list("course_id", "user_id")[: ONLINE_CANDIDATES * 4]
    )
    per_course: dict[int, set[int]] = {}
    for course_id, user_id in recent:
        per_course.setdefault(course_id, set()).add(user_id)
    online = users_online({u for users in per_course.values() for u in users})
    for course in courses:
        course.online_count = len(per_course.get(course.pk, set()) & online)
        course.average_progress = round(course.average_progress or 0)
    return courses


# A student's detail.


@dataclass(frozen=True)
class StudentDetail:
    row: dict[str, Any]
    modules: list[dict[str, Any]]
    quiz_attempts: list[dict[str, Any]]
    activity: list[dict[str, Any]]
    seconds_total: int


def student_detail(*, course_id: int, user_id: int, days: int = 60) -> StudentDetail | None:
    """A student's progress in a course: the roster row, each module and lesson with its
    completion date and score, quiz attempts, and time per day (the last `days` days with
    activity). None when the user is not enrolled. Five queries."""
    row = roster_row(course_id=course_id, user_id=user_id)
    if row is None:
        return None
    row["online"] = bool(users_online([user_id]))
    lesson_done = {
        c.lesson_id: c
        for c in LessonCompletion.objects.filter(
            user_id=user_id, lesson__module__course_id=course_id
        ).only("lesson_id", "completed_at", "score")
    }
    module_done = dict(
        ModuleCompletion.objects.filter(user_id=user_id, module__course_id=course_id).values_list(
            "module_id", "completed_at"
        )
    )
    modules: dict[int, dict[str, Any]] = {}
    lessons = (
        Lesson.objects.filter(module__course_id=course_id)
        .select_related("module")
        .order_by("module__order", "module_id", "order", "id")
    )
    for lesson in lessons:
        module = modules.setdefault(
            lesson.module_id,
            {
                "id": lesson.module_id,
                "title": lesson.module.title,
                "completed_at": module_done.get(lesson.module_id),
                "lessons": [],
            },
        )
        completion = lesson_done.get(lesson.pk)
        module["lessons"].append(
            {
                "id": lesson.pk,
                "title": lesson.title,
                "completed_at": completion.completed_at if completion else None,
                "score": completion.score if completion else None,
            }
        )
    attempts = [
        {
            "id": attempt.pk,
            "lesson_id": attempt.quiz.lesson_id,
            "lesson_title": attempt.quiz.lesson.title,
            "number": attempt.number,
            "score": attempt.score,
            "passed": attempt.passed,
            "started_at": attempt.started_at,
            "submitted_at": attempt.submitted_at,
        }
        for attempt in QuizAttempt.objects.filter(
            user_id=user_id, quiz__lesson__module__course_id=course_id
        )
        .select_related("quiz__lesson")
        .order_by("-started_at", "-id")[:200]
    ]
    activity = list(
        CourseActivity.objects.filter(course_id=course_id, user_id=user_id)
        .order_by("-day")
        .values("day", "seconds", "lessons_completed")[:days]
    )
    return StudentDetail(
        row=row,
        modules=list(modules.values()),
        quiz_attempts=attempts,
        activity=activity,
        seconds_total=time_in_course(course_id=course_id, user_id=user_id),
    )


# The gradebook.


GRADEBOOK_COLUMNS = [
    "user_id",
    "username",
    "name",
    "email",
    "enrolled_at",
    "progress",
    "completed_at",
    "modules_completed",
    "lessons_completed",
    "average_score",
]


def gradebook_quizzes(*, course_id: int) -> list[tuple[int, str]]:
    """The course's quizzes in course order: (quiz id, lesson title)."""
    return list(
        Quiz.objects.filter(lesson__module__course_id=course_id)
        .order_by("lesson__module__order", "lesson__module_id", "lesson__order", "lesson_id")
        .values_list("pk", "lesson__title")
    )


def gradebook_rows(*, course_id: int, chunk_size: int | None = None) -> Iterator[list[Any]]:
    """The gradebook, a header then one row per enrolled student in user id order.

    Two server-side cursors read side by side in user id order (the enrollments with their
    figures, and the best submitted score per student and quiz), merged as they go: memory
    and queries stay the same whatever the number of students.
    """
    chunk_size = chunk_size or GRADEBOOK_CHUNK
    quizzes = gradebook_quizzes(course_id=course_id)
    yield [*GRADEBOOK_COLUMNS, *(f"quiz: {title}" for _pk, title in quizzes), "last_active"]
    column_of = {quiz_id: index for index, (quiz_id, _title) in enumerate(quizzes)}
    enrollments = (
        Enrollment.objects.filter(course_id=course_id)
        .annotate(**_figures(course_id))
        .values_list(
            "user_id",
            "user__username",
            "user__first_name",
            "user__last_name",
            "user__email",
            "user__deleted_at",
            "enrolled_at",
            "progress",
            "completed_at",
            "modules_completed",
            "lessons_completed",
            "score",
            "last_activity",
        )
        .order_by("user_id")
        .iterator(chunk_size=chunk_size)
    )
    best = iter(())
    if quizzes:
        best = (
            QuizAttempt.objects.filter(
                quiz_id__in=list(column_of),
                submitted_at__isnull=False,
                score__isnull=False,
                user__enrollments__course_id=course_id,
            )
            .values("user_id", "quiz_id")
            .annotate(best=Max("score"))
            .order_by("user_id", "quiz_id")
            .values_list("user_id", "quiz_id", "best")
            .iterator(chunk_size=chunk_size)
        )
    pending = next(best, None)
    for (
        user_id,
        username,
        first_name,
        last_name,
        email,
        deleted_at,
        enrolled_at,
        progress,
        completed_at,
        modules_completed,
        lessons_completed,
        score,
        last_activity,
    ) in enrollments:
        scores: list[Any] = [""] * len(quizzes)
        while pending is not None and pending[0] <= user_id:
            if pending[0] == user_id:
                scores[column_of[pending[1]]] = pending[2]
            pending = next(best, None)
        if deleted_at:
            name, email = DELETED_USER_NAME, ""
        else:
            name = f"{first_name} {last_name}".strip() or username
        yield [
            user_id,
            username,
            name,
            email,
            enrolled_at.isoformat(),
            progress,
            completed_at.isoformat() if completed_at else "",
            modules_completed,
            lessons_completed,
            "" if score is None else _score(score),
            *scores,
            (last_activity or timezone.localdate(enrolled_at)).isoformat(),
        ]


def time_in_course(*, course_id: int, user_id: int) -> int:
    """Active seconds of the student in the course, all days."""
    return (
        CourseActivity.objects.filter(course_id=course_id, user_id=user_id).aggregate(
            total=Sum("seconds")
        )["total"]
        or 0
    )


def roster_row_settled(
    *,
    enrollment: Enrollment,
    active_on: str | None,
    modules_completed: int | None = None,
    modules_total: int | None = None,
) -> dict[str, Any]:
    """The part of a roster row that a settled enrollment gives without a query: after a
    completion (progress.services._settle_enrollment) with its module counts, after the day's
    first activity report in the course without them; never the score, lesson count nor
    names. The student has started the course either way."""
    row = {
        "user_id": enrollment.user_id,
        "partial": True,
        "progress": enrollment.progress,
        "status": "completed" if enrollment.completed_at else "in_progress",
        "enrolled_at": enrollment.enrolled_at,
        "completed_at": enrollment.completed_at,
    }
    if modules_completed is not None:
        row["modules_completed"] = modules_completed
        row["modules_total"] = modules_total
    if active_on is not None:
        row["last_active"] = active_on
    return row
