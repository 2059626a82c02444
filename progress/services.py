"""Every write of the progress app: enrollment, the completion cascade, activity time.

Locking, in this order and never the other way round, so that concurrent
writers queue instead of deadlocking:

1. the Enrollment row (`select_for_update`): the per-(user, course) lock that
   serializes completions of one student in one course;
2. the LessonActivity row of (user, lesson) for activity reports;
3. the user's LearningStats row: the per-user lock for stats and achievements;
4. the user's CourseActivity row of (course, day), then DailyActivity row of the day,
   each written by one upsert that adds (`_daily_activity_add`), only ever under the
   stats lock;
5. the realtime topic counters, taken when the batch of events of a write is
   stored (`lms.realtime.events.batch`), after every row above is written.

Unique constraints back every "once" rule (completions, certificate,
achievements). On SQLite, `select_for_update` is a no-op and the settings open
IMMEDIATE transactions instead, which serialize writers.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Avg, Count, Q
from django.dispatch import Signal
from django.utils import timezone

from lms.catalog.models import Enrollment, Lesson, Module, Quiz, User
from lms.catalog.serializers import EnrollmentSerializer
from lms.realtime.events import batch, event_data, publish
from notifications import services as notifications
from notifications.events import user_topic
from progress.models import (
    ACTIVITY_MAX_SECONDS,
    SCORE_MAX,
    SCORE_MIN,
    Achievement,
    Certificate,
    CourseActivity,
    DailyActivity,
    LearningStats,
    LessonActivity,
    LessonCompletion,
    ModuleCompletion,
    QuizAttempt,
)
from progress.selectors import courses_completed_count, module_status, progress_percent
from progress.serializers import (
    AchievementSerializer,
    CertificateSerializer,
    LearningStatsSerializer,
    LessonCompletionSerializer,
    ModuleCompletionSerializer,
)

# The progress app's own signal, for the apps above it (the leaderboard, the roster).
# Sent (inside the writer's transaction) whenever what a student's points are made
# of changes: stats, a certificate, a course completion, time spent.
# Arguments: user_id: int, course_id: int | None, and from the services below:
# - stats_locked: bool: the sender holds the user's LearningStats row lock already;
# - settled: dict | None: after a completion, the enrollment as the cascade left it and its
#   module counts (`enrollment`, `modules_completed`, `modules_total`, `active_on`); after
#   the day's first activity report in the course, the enrollment and `active_on` only; so
#   that listeners need not read them again;
# - time_only: bool: only time spent changed, on a day the student was already active in
#   the course (an activity report);
# - changed: frozenset of the names below: what the write changed. Absent (another sender),
#   anything may have.
learning_changed = Signal()

COMPLETIONS = "completions"  # lessons completed or their scores, the enrollment's progress
COURSE_COMPLETED = "course_completed"
CERTIFICATE = "certificate"
TIME = "time"  # time spent

# Leeway for timers and network jitter when capping reported time by elapsed time.
ACTIVITY_SLACK_SECONDS = 2
STREAK_DAYS = 7


class NotEnrolled(PermissionDenied):
    """The user is not enrolled in the lesson's course."""

    def __init__(self, message: str = "You are not enrolled in this course.") -> None:
        super().__init__(message)


class QuizNotPassed(PermissionDenied):
    """The lesson's quiz must be passed before the lesson is complete."""

    def __init__(self, message: str = "Pass the quiz to complete this lesson.") -> None:
        super().__init__(message)


@dataclass
class _Outcome:
    """What one write changed for a user: the events to publish, in order."""

    user: User
    events: list[tuple[str, object]] = field(default_factory=list)
    stats_changed: bool = False
    # Per course whose learning changed, what changed (COMPLETIONS ... TIME): sent with
    # learning_changed (`changed`), so that listeners skip what does not concern them.
    changes: dict[int | None, set[str]] = field(default_factory=dict)
    # Per course, the enrollment the write settled (and, after a completion, its module
    # counts), as they are now: sent with learning_changed (`settled`), so that listeners
    # need not read them again.
    settled: dict[int, dict] = field(default_factory=dict)
    # The notifications of the write, in order: written together after the events.
    notify: list[notifications.Notice] = field(default_factory=list)
    # Today's activity after the write, when it added to it: sent with stats.updated.
    today: dict | None = None
    # Courses where the write only added time, on a day the student was already active in
    # them: sent with learning_changed (`time_only`), for listeners that show no time.
    time_only_courses: set[int] = field(default_factory=set)

    def add(self, event: str, data) -> None:
        self.events.append((event, data))

    def note_change(self, course_id: int | None, *what: str) -> None:
        """Send learning_changed for the course after the events, saying what changed."""
        self.changes.setdefault(course_id, set()).update(what)

    def publish(self, stats: LearningStats) -> None:
        """Publish every event on `user:{id}`, stats last, then the notifications.

        As one batch: one counter increment and one insert for all of them; the
        notifications in one insert too.
        """
        topic = user_topic(self.user.pk)
        with batch():
            for event, data in self.events:
                publish(topic, event, data)
            if self.stats_changed:
                data = event_data(LearningStatsSerializer, stats)
                if self.today is not None:
                    data = {**data, "today": self.today}
                publish(topic, "stats.updated", data)
            notifications.notifications_send(user=self.user, notices=self.notify)
            for course_id in sorted(self.changes, key=lambda c: c or 0):
                learning_changed.send(
                    sender=None,
                    user_id=self.user.pk,
                    course_id=course_id,
                    stats_locked=True,
                    settled=self.settled.get(course_id),
                    time_only=course_id in self.time_only_courses,
                    changed=frozenset(self.changes[course_id]),
                )


# Stats and achievements.


def _row_locked(model, *, keys: dict, defaults: dict | None = None):
    """The row of `model` with these key values (a unique key), locked until commit; created
    first with the model's defaults (and `defaults`) when missing.

    One statement, `INSERT ... ON CONFLICT (keys) DO UPDATE ... RETURNING`, where the ORM
    took one for a row that exists (`select_for_update`) and three for a new one (look,
    insert, look again): the row is created or locked at once, on PostgreSQL and SQLite.
    """
    quote = connection.ops.quote_name
    instance = model(**keys, **(defaults or {}))
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields]
    key_columns = [quote(model._meta.get_field(name).column) for name in keys]
    columns = [quote(f.column) for f in fields]
    returned = ", ".join(quote(f.column) for f in [model._meta.pk, *fields])
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET "
        f"{key_columns[0]} = EXCLUDED.{key_columns[0]} RETURNING {returned}"
    )
    # raw(): the row comes back as a model instance, through the backend's converters.
    return model.objects.raw(sql, values)[0]


def _stats_for_update(*, user: User) -> LearningStats:
    stats = _row_locked(LearningStats, keys={"user": user})
    stats.user = user
    return stats


def _record_active_day(*, stats: LearningStats, today: date) -> bool:
    """Count `today` as an activity day; returns whether the stats changed."""
    if stats.last_active_date == today:
        return False
    if stats.last_active_date == today - timedelta(days=1):
        stats.current_streak += 1
    else:
        stats.current_streak = 1
    stats.last_active_date = today
    stats.longest_streak = max(stats.longest_streak, stats.current_streak)
    return True


def _activity_add(model, *, keys: dict, seconds: int, lessons_completed: int) -> tuple[int, int]:
    """Add seconds and lessons to the row of `model` (DailyActivity, CourseActivity) with
    these key values; returns the row's totals (seconds, lessons_completed).

    One INSERT ... ON CONFLICT DO UPDATE that adds to the stored figures (PostgreSQL and
    SQLite alike): the row is created or incremented atomically, so racing writers never
    lose an increment nor collide on the unique key.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key_columns = [model._meta.get_field(name).column for name in keys]
    key_values = [
        model._meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in keys.items()
    ]
    seconds_, lessons_ = quote("seconds"), quote("lessons_completed")
    columns = ", ".join(quote(column) for column in [*key_columns, "seconds", "lessons_completed"])
    conflict = ", ".join(quote(column) for column in key_columns)
    placeholders = ", ".join(["%s"] * (len(key_columns) + 2))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "
            f"ON CONFLICT ({conflict}) DO UPDATE SET "
            f"{seconds_} = {table}.{seconds_} + EXCLUDED.{seconds_}, "
            f"{lessons_} = {table}.{lessons_} + EXCLUDED.{lessons_} "
            f"RETURNING {seconds_}, {lessons_}",
            [*key_values, seconds, lessons_completed],
        )
        return cursor.fetchone()


def _daily_activity_add(
    *, user: User, course_id: int, day: date, seconds: int = 0, lessons_completed: int = 0
) -> tuple[dict, bool]:
    """Add to the user's activity of `day`, overall and in the course; returns the day's
    overall totals `{date, seconds, lessons_completed}`, and whether it is the first
    activity of the day in the course. Two upserts, under the stats lock.
    """
    course_seconds, course_lessons = _activity_add(
        CourseActivity,
        keys={"course": course_id, "user": user.pk, "day": day},
        seconds=seconds,
        lessons_completed=lessons_completed,
    )
    day_seconds, day_lessons = _activity_add(
        DailyActivity,
        keys={"user": user.pk, "day": day},
        seconds=seconds,
        lessons_completed=lessons_completed,
    )
    totals = {"date": day.isoformat(), "seconds": day_seconds, "lessons_completed": day_lessons}
    return totals, (course_seconds, course_lessons) == (seconds, lessons_completed)


def _achievements_unlock(
    *, user: User, stats: LearningStats, outcome: _Outcome, lesson_completed: bool = False
) -> None:
    """Unlock every achievement the user now qualifies for and does not hold yet.

    Runs under the user's stats lock; the unique constraint backs it up.
    """
    wanted = []
    if stats.courses_completed >= 1:
        wanted.append(Achievement.Kind.FIRST_COURSE)
    if stats.courses_completed >= 5:
        wanted.append(Achievement.Kind.FIVE_COURSES)
    if stats.current_streak >= STREAK_DAYS:
        wanted.append(Achievement.Kind.STREAK_7)
    if lesson_completed:
        wanted.append(Achievement.Kind.FIRST_LESSON)
    if not wanted:
        return
    held = set(
        Achievement.objects.filter(user=user, kind__in=wanted).values_list("kind", flat=True)
    )
    for kind in wanted:
        if kind in held:
            continue
        achievement = Achievement.objects.create(user=user, kind=kind)
        outcome.add("achievement.unlocked", event_data(AchievementSerializer, achievement))
        outcome.notify.append(notifications.achievement_unlocked_notice(achievement=achievement))


# The completion cascade.


def _validate_score(score) -> int | None:
    if score is None:
        return None
    if isinstance(score, bool) or not isinstance(score, int) or not SCORE_MIN <= score <= SCORE_MAX:
        raise ValidationError(
            {"score": f"Ensure the score is a whole number from {SCORE_MIN} to {SCORE_MAX}."}
        )
    return score


def _enrollment_for_completion(*, user: User, lesson: Lesson) -> Enrollment | None:
    """The user's enrollment in the lesson's course, locked until commit, with the lesson's
    quiz as it bears on completing it: None when not enrolled.

    `quiz_pass_required` is None when the lesson has no quiz; `quiz_passed` says a
    submitted attempt passed; `quiz_best_score` is the best submitted score. A lesson
    without a quiz costs no query more. Written out (every completion reads it): the ORM
    spent more building its three subqueries than PostgreSQL running them.
    """
    quote = connection.ops.quote_name
    enrollment, quiz = quote(Enrollment._meta.db_table), quote(Quiz._meta.db_table)
    attempt = quote(QuizAttempt._meta.db_table)
    submitted = (
        f"FROM {attempt} a JOIN {quiz} q ON q.id = a.quiz_id WHERE a.user_id = %(user)s "
        "AND q.lesson_id = %(lesson)s AND a.submitted_at IS NOT NULL AND a.score IS NOT NULL"
    )
    # Only the enrollment is locked, never the course row every student shares.
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (
        "SELECT e.id, e.user_id, e.course_id, e.progress, e.enrolled_at, e.completed_at, "
        f"(SELECT q.pass_required FROM {quiz} q WHERE q.lesson_id = %(lesson)s) "
        "AS quiz_pass_required, "
        f"EXISTS (SELECT 1 {submitted} AND a.passed) AS quiz_passed, "
        f"(SELECT a.score {submitted} ORDER BY a.score DESC LIMIT 1) AS quiz_best_score "
        f"FROM {enrollment} e WHERE e.user_id = %(user)s AND e.course_id = %(course)s{lock}"
    )
    params = {"user": user.pk, "lesson": lesson.pk, "course": lesson.module.course_id}
    found = list(Enrollment.objects.raw(sql, params))
    if not found:
        return None
    found[0].user = user
    return found[0]


def _settle_enrollment(
    *,
    user: User,
    enrollment: Enrollment,
    stats: LearningStats,
    outcome: _Outcome,
    now: datetime,
    progress_event: bool,
) -> None:
    """Bring modules, progress, course completion and certificate up to date.

    Two queries when nothing completes the course, whatever its size; a few
    more when it does.
    """
    course_id = enrollment.course_id
    modules = module_status(user_id=user.pk, course_id=course_id)
    complete = [module_id for module_id, total, done, _ in modules if done >= total]
    unrecorded = [
        module_id for module_id, total, done, recorded in modules if done >= total and not recorded
    ]
    if unrecorded:
        created = ModuleCompletion.objects.bulk_create(
            [ModuleCompletion(user=user, module_id=module_id) for module_id in unrecorded]
        )
        for module_completion in created:
            module_completion.module = Module(pk=module_completion.module_id, course_id=course_id)
            outcome.add(
                "module.completed", event_data(ModuleCompletionSerializer, module_completion)
            )

    progress = progress_percent(modules_total=len(modules), modules_done=len(complete))
    outcome.settled[course_id] = {
        "enrollment": enrollment,
        "modules_completed": len(complete),
        "modules_total": len(modules),
        "active_on": outcome.today["date"] if outcome.today else None,
    }
    changed_fields = []
    if progress != enrollment.progress:
        enrollment.progress = progress
        changed_fields.append("progress")
    course_completed = progress == 100 and enrollment.completed_at is None
    if course_completed:
        # Kept even if lessons are added later: the student finished the course as it was.
        enrollment.completed_at = now
        changed_fields.append("completed_at")
    if changed_fields:
        enrollment.save(update_fields=changed_fields)
    if changed_fields or progress_event:
        enrollment_data = event_data(EnrollmentSerializer, enrollment)
        outcome.add("progress.updated", enrollment_data)
        if course_completed:  # completed_at is among the changed fields
            outcome.add("course.completed", enrollment_data)
            course = enrollment.course
            outcome.notify.append(notifications.course_completed_notice(course=course))

    certificate = None
    # Under the enrollment lock nobody else issues this certificate; the unique
    # constraint backs that up. A missing one (deleted by staff) is issued again.
    if progress == 100 and not Certificate.objects.filter(user=user, course_id=course_id).exists():
        certificate = Certificate.objects.create(user=user, course=enrollment.course)
        outcome.add("certificate.issued", event_data(CertificateSerializer, certificate))
        outcome.notify.append(notifications.certificate_issued_notice(certificate=certificate))
    if course_completed or certificate is not None:
        stats.courses_completed = courses_completed_count(user=user)
        stats.certificates_earned = Certificate.objects.filter(user=user).count()
        outcome.stats_changed = True
        outcome.note_change(
            course_id,
            *([COURSE_COMPLETED] if course_completed else []),
            *([CERTIFICATE] if certificate is not None else []),
        )


@transaction.atomic
def lesson_complete(
    *, user: User, lesson: Lesson, score: int | None = None
) -> tuple[Enrollment, bool]:
    """Complete a lesson and run the cascade; returns (enrollment, newly completed).

    Idempotent: completing a lesson again creates nothing and sends no
    completion event. A score given again replaces the stored one (the latest
    attempt counts); a call without a score never erases one.

    A lesson with a quiz is scored by it: the score is the student's best submitted
    attempt's, whatever score is given. When its quiz must be passed, the lesson
    completes only once an attempt passed (progress/quizzes.py submits, then calls this).

    Locks: the Enrollment row for (user, course), then the user's stats row.
    The number of queries does not depend on the size of the course.
    Raises NotEnrolled (403), QuizNotPassed (403) and ValidationError (400, a bad score).
    """
    score = _validate_score(score)
    course_id = lesson.module.course_id
    enrollment = _enrollment_for_completion(user=user, lesson=lesson)
    if enrollment is None:
        raise NotEnrolled()
    if enrollment.quiz_pass_required is not None:
        if enrollment.quiz_pass_required and not enrollment.quiz_passed:
            raise QuizNotPassed()
        score = enrollment.quiz_best_score
    stats = _stats_for_update(user=user)
    outcome = _Outcome(user=user)
    now = timezone.now()

    completion = _completion_insert(user=user, lesson=lesson, score=score, now=now)
    if completion is None:
        if score is None:
            return enrollment, False
        completion = LessonCompletion.objects.get(user=user, lesson=lesson)
        if completion.score != score:
            completion.score = score
            completion.save(update_fields=["score"])
            stats.average_score = _average_score(user=user)
            stats.save(update_fields=["average_score"])
            outcome.stats_changed = True
            outcome.note_change(course_id, COMPLETIONS)
            outcome.publish(stats)
        return enrollment, False

    outcome.add("lesson.completed", event_data(LessonCompletionSerializer, completion))
    outcome.notify.append(notifications.lesson_completed_notice(lesson=lesson))
    today = timezone.localdate(now)
    _record_active_day(stats=stats, today=today)
    outcome.today, _ = _daily_activity_add(
        user=user, course_id=course_id, day=today, lessons_completed=1
    )
    if score is not None:
        stats.average_score = _average_score(user=user)
    _settle_enrollment(
        user=user,
        enrollment=enrollment,
        stats=stats,
        outcome=outcome,
        now=now,
        progress_event=True,
    )
    _achievements_unlock(user=user, stats=stats, outcome=outcome, lesson_completed=True)
    stats.save()
    outcome.stats_changed = True
    outcome.note_change(course_id, COMPLETIONS)
    outcome.publish(stats)
    return enrollment, True


def _completion_insert(
    *, user: User, lesson: Lesson, score: int | None, now: datetime
) -> LessonCompletion | None:
    """Record the completion; None when the user had completed the lesson already.

    One INSERT ... ON CONFLICT DO NOTHING RETURNING: a new completion costs one query,
    not a look-up and an insert.
    """
    quote = connection.ops.quote_name
    table = quote(LessonCompletion._meta.db_table)
    completed_at = LessonCompletion._meta.get_field("completed_at").get_db_prep_save(
        now, connection
    )
    user_id, lesson_id = quote("user_id"), quote("lesson_id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({user_id}, {lesson_id}, {quote('score')}, "
            f"{quote('completed_at')}) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT ({user_id}, {lesson_id}) DO NOTHING RETURNING {quote('id')}",
            [user.pk, lesson.pk, score, completed_at],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return LessonCompletion(pk=row[0], user=user, lesson=lesson, score=score, completed_at=now)


def _average_score(*, user: User) -> float | None:
    average = LessonCompletion.objects.filter(user=user, score__isnull=False).aggregate(
        average=Avg("score")
    )["average"]
    return round(average, 2) if average is not None else None


@transaction.atomic
def course_progress_refresh(*, course_id: int) -> list[Enrollment]:
    """Recompute every enrollment of a course after its lessons or modules changed.

    A lesson added to a finished module lowers progress; a removed lesson may
    raise it, up to completing the course. Returns the enrollments that changed.
    """
    # Only students with completions in the course, or some progress, can be off: the
    # others are at 0 before and after. Lock them first, then count, so a completion
    # committed meanwhile is counted, never undone.
    students = LessonCompletion.objects.filter(lesson__module__course_id=course_id).values(
        "user_id"
    )
    enrollments = list(
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("user", "course")
        .filter(Q(user_id__in=students) | Q(progress__gt=0), course_id=course_id)
        .order_by("id")
    )
    if not enrollments:
        return []
    lesson_counts = dict(
        Module.objects.filter(course_id=course_id)
        .annotate(lesson_count=Count("lessons"))
        .filter(lesson_count__gt=0)
        .values_list("id", "lesson_count")
    )
    done: dict[int, int] = {}
    for user_id, module_id, count in (
        LessonCompletion.objects.filter(lesson__module_id__in=list(lesson_counts))
        .values("user_id", "lesson__module_id")
        .annotate(done=Count("id"))
        .values_list("user_id", "lesson__module_id", "done")
    ):
        if count >= lesson_counts[module_id]:
            done[user_id] = done.get(user_id, 0) + 1
    changed = [
        enrollment
        for enrollment in enrollments
        if enrollment.progress
        != progress_percent(
            modules_total=len(lesson_counts), modules_done=done.get(enrollment.user_id, 0)
        )
    ]
    now = timezone.now()
    for enrollment in sorted(changed, key=lambda e: e.user_id):
        user = enrollment.user
        stats = _stats_for_update(user=user)
        outcome = _Outcome(user=user)
        _settle_enrollment(
            user=user,
            enrollment=enrollment,
            stats=stats,
            outcome=outcome,
            now=now,
            progress_event=False,
        )
        _achievements_unlock(user=user, stats=stats, outcome=outcome)
        if outcome.stats_changed:
            stats.save()
        outcome.publish(stats)
    return changed


_pending_refresh = threading.local()


def course_progress_refresh_on_commit(*, course_id: int) -> None:
    """Schedule one progress refresh of the course after the current transaction.

    An admin save of many lessons schedules it many times; it runs once.
    """
    pending = getattr(_pending_refresh, "courses", None)
    if pending is None:
        pending = _pending_refresh.courses = set()
    pending.add(course_id)

    def run() -> None:
        if course_id in pending:
            pending.discard(course_id)
            course_progress_refresh(course_id=course_id)

    # robust: the content change is committed already; a failed refresh is logged, not raised.
    transaction.on_commit(run, robust=True)


@transaction.atomic
def enrollment_progress_restore(*, enrollment: Enrollment) -> bool:
    """Bring a just-created enrollment up to what the student already did in the course.

    A student who left a course keeps their completions; enrolling again restores
    their progress at once (a `progress.updated` event) and, when they hold the
    course's certificate, the course as completed on the certificate's date, so
    nothing is notified twice. Returns whether anything was restored: one query
    when the student never completed a lesson of the course.

    The enrollment is new in this transaction, so no other writer can hold it;
    the stats lock is taken as in the cascade.
    """
    course_id = enrollment.course_id
    user = enrollment.user
    if not LessonCompletion.objects.filter(user=user, lesson__module__course_id=course_id).exists():
        return False
    stats = _stats_for_update(user=user)
    outcome = _Outcome(user=user)
    if enrollment.completed_at is None:
        issued_at = (
            Certificate.objects.filter(user=user, course_id=course_id)
            .values_list("issued_at", flat=True)
            .first()
        )
        if issued_at is not None:
            enrollment.completed_at = issued_at
            enrollment.save(update_fields=["completed_at"])
    _settle_enrollment(
        user=user,
        enrollment=enrollment,
        stats=stats,
        outcome=outcome,
        now=timezone.now(),
        progress_event=True,
    )
    _achievements_unlock(user=user, stats=stats, outcome=outcome)
    if outcome.stats_changed:
        stats.save()
    # The course may be completed again, on its certificate's date.
    outcome.note_change(course_id, COMPLETIONS, COURSE_COMPLETED)
    outcome.publish(stats)
    return True


# Activity time.


@dataclass
class ActivityResult:
    credited: int
    lesson_seconds: int
    total_time_spent: int
    total_seconds_spent: int


@transaction.atomic
def lesson_activity_record(
    *, user: User, lesson: Lesson, seconds: int, now: datetime | None = None
) -> ActivityResult:
    """Credit active seconds spent on a lesson page to the user's time.

    `seconds` must be 1..ACTIVITY_MAX_SECONDS. A report is credited at most the time elapsed
    since the previous report on that lesson (plus a little slack), so a
    client, or two open tabs, cannot claim more than the wall clock. The
    first report on a lesson is credited in full.

    Locks: the LessonActivity row of (user, lesson), then the stats row.
    Raises NotEnrolled and ValidationError.
    """
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not 1 <= seconds <= ACTIVITY_MAX_SECONDS
    ):
        raise ValidationError(
            {"seconds": f"Ensure seconds is a whole number from 1 to {ACTIVITY_MAX_SECONDS}."}
        )
    course_id = lesson.module.course_id
    # What a roster row shows of the enrollment, for the day's first report in the course.
    enrollment = (
        Enrollment.objects.filter(user=user, course_id=course_id)
        .only("user_id", "course_id", "progress", "enrolled_at", "completed_at")
        .first()
    )
    if enrollment is None:
        raise NotEnrolled()
    now = now or timezone.now()

    activity = _row_locked(
        LessonActivity, keys={"user": user, "lesson": lesson}, defaults={"updated_at": now}
    )
    if activity.seconds == 0:
        credited = seconds
    else:
        elapsed = (now - activity.updated_at).total_seconds() + ACTIVITY_SLACK_SECONDS
        credited = max(0, min(seconds, math.floor(elapsed)))
    activity.seconds += credited
    # updated_at marks the end of the credited time, even when nothing was credited.
    LessonActivity.objects.filter(pk=activity.pk).update(seconds=activity.seconds, updated_at=now)

    stats = _stats_for_update(user=user)
    outcome = _Outcome(user=user)
    minutes_before = stats.total_time_spent
    stats.total_seconds_spent += credited
    stats.total_time_spent = stats.total_seconds_spent // 60
    today = timezone.localdate(now)
    day_changed = credited > 0 and _record_active_day(stats=stats, today=today)
    if day_changed:
        _achievements_unlock(user=user, stats=stats, outcome=outcome)
    if credited:
        stats.save()
        outcome.today, course_day_started = _daily_activity_add(
            user=user, course_id=course_id, day=today, seconds=credited
        )
        outcome.note_change(course_id, TIME)
        if course_day_started:
            outcome.settled[course_id] = {
                "enrollment": enrollment,
                "active_on": outcome.today["date"],
            }
        else:
            outcome.time_only_courses.add(course_id)
    outcome.stats_changed = day_changed or stats.total_time_spent != minutes_before
    outcome.publish(stats)
    return ActivityResult(
        credited=credited,
        lesson_seconds=activity.seconds,
        total_time_spent=stats.total_time_spent,
        total_seconds_spent=stats.total_seconds_spent,
    )
