"""The completion cascade of docs/progress.md, through the service."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lms.catalog.models import Enrollment, Lesson
from notifications.models import Notification
from progress.models import (
    Achievement,
    Certificate,
    LearningStats,
    LessonCompletion,
    ModuleCompletion,
)
from progress.selectors import progress_percent
from progress.services import (
    NotEnrolled,
    course_progress_refresh,
    learning_changed,
    lesson_complete,
)
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    LessonFactory,
    ModuleFactory,
    UserFactory,
    course_with_lessons,
)
from tests.progress.factories import enrolled_course, lessons_of

pytestmark = pytest.mark.django_db


def complete_all(user, course, score=None):
    enrollment = None
    for lesson in lessons_of(course):
        enrollment, _ = lesson_complete(user=user, lesson=lesson, score=score)
    return enrollment


def test_completing_one_lesson_of_a_module_records_it_without_moving_progress(user):
    course = enrolled_course(user, modules=2, lessons_per_module=2)
    first = lessons_of(course)[0]

    enrollment, created = lesson_complete(user=user, lesson=first)

    assert created is True
    assert enrollment.progress == 0
    assert LessonCompletion.objects.filter(user=user, lesson=first).count() == 1
    assert not ModuleCompletion.objects.filter(user=user).exists()


def test_last_lesson_of_a_module_completes_the_module_and_moves_progress(user):
    course = enrolled_course(user, modules=2, lessons_per_module=2)
    lessons = lessons_of(course)

    lesson_complete(user=user, lesson=lessons[0])
    enrollment, _ = lesson_complete(user=user, lesson=lessons[1])

    assert enrollment.progress == 50
    assert list(ModuleCompletion.objects.filter(user=user).values_list("module", flat=True)) == [
        lessons[0].module_id
    ]
    assert Enrollment.objects.get(pk=enrollment.pk).progress == 50
    assert enrollment.completed_at is None


def test_completing_every_lesson_completes_the_course_with_one_certificate(user):
    course = enrolled_course(user, modules=2, lessons_per_module=2)

    enrollment = complete_all(user, course)

    assert enrollment.progress == 100
    assert enrollment.completed_at is not None
    certificate = Certificate.objects.get(user=user, course=course)
    assert len(certificate.verification_code) >= 8
    stats = LearningStats.objects.get(user=user)
    assert stats.courses_completed == 1
    assert stats.certificates_earned == 1
    assert stats.last_active_date == timezone.localdate()
    assert set(Achievement.objects.filter(user=user).values_list("kind", flat=True)) == {
        Achievement.Kind.FIRST_LESSON,
        Achievement.Kind.FIRST_COURSE,
    }


def test_the_cascade_notifies_each_step_once(user):
    course = enrolled_course(user, modules=1, lessons_per_module=2)

    complete_all(user, course)

    kinds = list(
        Notification.objects.filter(user=user)
        .order_by("id")
        .values_list("related_entity_type", flat=True)
    )
    assert kinds.count("lesson") == 2
    assert kinds.count("course") == 1
    assert kinds.count("certificate") == 1
    assert kinds.count("achievement") == 2
    assert all(n.type == "success" for n in Notification.objects.filter(user=user))


def test_completing_a_lesson_twice_is_idempotent(user):
    course = enrolled_course(user, modules=1, lessons_per_module=1)
    lesson = lessons_of(course)[0]
    first, created_first = lesson_complete(user=user, lesson=lesson)
    notifications = Notification.objects.count()

    again, created_again = lesson_complete(user=user, lesson=lesson)

    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert again.progress == 100
    assert again.completed_at == first.completed_at
    assert LessonCompletion.objects.filter(user=user).count() == 1
    assert ModuleCompletion.objects.filter(user=user).count() == 1
    assert Certificate.objects.filter(user=user).count() == 1
    assert Achievement.objects.filter(user=user).count() == 2
    assert Notification.objects.count() == notifications


def test_average_score_is_the_mean_of_scored_lessons(user):
    course = enrolled_course(user, modules=1, lessons_per_module=3)
    a, b, c = lessons_of(course)

    lesson_complete(user=user, lesson=a, score=80)
    lesson_complete(user=user, lesson=b)
    lesson_complete(user=user, lesson=c, score=91)

    assert LearningStats.objects.get(user=user).average_score == pytest.approx(85.5)


def test_a_new_score_for_a_completed_lesson_replaces_the_old_one(user):
    course = enrolled_course(user, modules=1, lessons_per_module=2)
    a, _ = lessons_of(course)
    lesson_complete(user=user, lesson=a, score=40)

    lesson_complete(user=user, lesson=a, score=70)
    lesson_complete(user=user, lesson=a)  # no score: keeps the last one

    assert LessonCompletion.objects.get(user=user, lesson=a).score == 70
    assert LearningStats.objects.get(user=user).average_score == 70


@pytest.mark.parametrize("score", [-1, 101, 50.5, "80", True])
def test_a_bad_score_is_refused_and_changes_nothing(user, score):
    course = enrolled_course(user, modules=1, lessons_per_module=1)

    with pytest.raises(ValidationError):
        lesson_complete(user=user, lesson=lessons_of(course)[0], score=score)

    assert not LessonCompletion.objects.exists()
    assert not Notification.objects.exists()


def test_a_student_who_is_not_enrolled_cannot_complete_a_lesson(user):
    course = course_with_lessons(modules=1, lessons_per_module=1)

    with pytest.raises(NotEnrolled):
        lesson_complete(user=user, lesson=lessons_of(course)[0])

    assert not LessonCompletion.objects.exists()
    assert not LearningStats.objects.filter(user=user).exists()


def test_a_course_with_no_modules_stays_at_zero(user):
    course = CourseFactory()
    enrollment = EnrollmentFactory(user=user, course=course)

    assert course_progress_refresh(course_id=course.pk) == []

    enrollment.refresh_from_db()
    assert (enrollment.progress, enrollment.completed_at) == (0, None)
    assert progress_percent(modules_total=0, modules_done=0) == 0


def test_a_module_without_lessons_does_not_count(user):
    course = enrolled_course(user, modules=1, lessons_per_module=2)
    ModuleFactory(course=course, title="Coming soon")

    enrollment = complete_all(user, course)

    assert enrollment.progress == 100
    assert Certificate.objects.filter(user=user, course=course).exists()


@pytest.mark.parametrize(
    ("modules", "done", "percent"),
    [(3, 1, 33), (3, 2, 67), (8, 1, 13), (4, 4, 100), (7, 0, 0)],
)
def test_progress_is_a_rounded_percent_of_modules(modules, done, percent):
    assert progress_percent(modules_total=modules, modules_done=done) == percent


def test_progress_rounds_to_whole_percent_in_a_three_module_course(user):
    course = enrolled_course(user, modules=3, lessons_per_module=1)
    lessons = lessons_of(course)

    assert lesson_complete(user=user, lesson=lessons[0])[0].progress == 33
    assert lesson_complete(user=user, lesson=lessons[1])[0].progress == 67


def test_a_lesson_added_after_completion_lowers_progress_but_keeps_the_certificate(
    user, django_capture_on_commit_callbacks
):
    course = enrolled_course(user, modules=2, lessons_per_module=1)
    finished = complete_all(user, course)
    module = lessons_of(course)[0].module

    with django_capture_on_commit_callbacks(execute=True):
        new_lesson = LessonFactory(module=module)

    enrollment = Enrollment.objects.get(pk=finished.pk)
    assert enrollment.progress == 50
    assert enrollment.completed_at == finished.completed_at
    assert Certificate.objects.filter(user=user, course=course).count() == 1

    back, _ = lesson_complete(user=user, lesson=new_lesson)
    assert back.progress == 100
    assert back.completed_at == finished.completed_at
    assert Certificate.objects.filter(user=user).count() == 1
    assert LearningStats.objects.get(user=user).courses_completed == 1


def test_removing_the_last_missing_lesson_completes_the_course(
    user, django_capture_on_commit_callbacks
):
    course = enrolled_course(user, modules=1, lessons_per_module=2)
    done, missing = lessons_of(course)
    lesson_complete(user=user, lesson=done)

    with django_capture_on_commit_callbacks(execute=True):
        Lesson.objects.get(pk=missing.pk).delete()

    enrollment = Enrollment.objects.get(user=user, course=course)
    assert enrollment.progress == 100
    assert enrollment.completed_at is not None
    assert Certificate.objects.filter(user=user, course=course).exists()
    assert LearningStats.objects.get(user=user).courses_completed == 1


def test_first_lesson_achievement_unlocks_once(user):
    course = enrolled_course(user, modules=1, lessons_per_module=3)
    for lesson in lessons_of(course)[:2]:
        lesson_complete(user=user, lesson=lesson)

    assert Achievement.objects.filter(user=user, kind="first_lesson").count() == 1
    assert Notification.objects.filter(related_entity_type="achievement").count() == 1


def test_five_completed_courses_unlock_the_five_courses_achievement(user):
    for n in range(5):
        complete_all(user, enrolled_course(user, modules=1, lessons_per_module=1))
        has_five = Achievement.objects.filter(user=user, kind="five_courses").exists()
        assert has_five == (n == 4)

    stats = LearningStats.objects.get(user=user)
    assert (stats.courses_completed, stats.certificates_earned) == (5, 5)
    assert Achievement.objects.filter(user=user, kind="first_course").count() == 1


def test_a_seventh_consecutive_day_unlocks_the_streak_achievement(user):
    today = timezone.localdate()
    LearningStats.objects.create(
        user=user, last_active_date=today - timedelta(days=1), current_streak=6
    )
    course = enrolled_course(user, modules=1, lessons_per_module=2)

    lesson_complete(user=user, lesson=lessons_of(course)[0])

    assert LearningStats.objects.get(user=user).current_streak == 7
    assert Achievement.objects.filter(user=user, kind="streak_7").exists()


def test_a_missed_day_restarts_the_streak(user):
    today = timezone.localdate()
    LearningStats.objects.create(
        user=user, last_active_date=today - timedelta(days=2), current_streak=6
    )
    course = enrolled_course(user, modules=1, lessons_per_module=2)

    lesson_complete(user=user, lesson=lessons_of(course)[0])

    assert LearningStats.objects.get(user=user).current_streak == 1
    assert not Achievement.objects.filter(user=user, kind="streak_7").exists()


def test_learning_changed_is_sent_for_completions(user):
    course = enrolled_course(user, modules=1, lessons_per_module=1)
    received = []

    def on_change(sender, user_id, course_id, **kwargs):
        received.append((user_id, course_id))

    learning_changed.connect(on_change)
    try:
        complete_all(user, course)
    finally:
        learning_changed.disconnect(on_change)

    assert (user.pk, course.pk) in received


def test_another_students_completions_do_not_count(user):
    course = enrolled_course(user, modules=1, lessons_per_module=2)
    other = UserFactory()
    EnrollmentFactory(user=other, course=course)
    complete_all(other, course)

    enrollment, _ = lesson_complete(user=user, lesson=lessons_of(course)[0])

    assert enrollment.progress == 0


def last_completion_queries(user, lessons_per_module: int) -> int:
    course = enrolled_course(user, modules=2, lessons_per_module=lessons_per_module)
    lessons = lessons_of(course)
    for lesson in lessons[:-1]:
        lesson_complete(user=user, lesson=lesson)
    last = Lesson.objects.select_related("module").get(pk=lessons[-1].pk)
    with CaptureQueriesContext(connection) as queries:
        enrollment, _ = lesson_complete(user=user, lesson=last, score=90)
    assert enrollment.progress == 100
    return len(queries)


def test_one_completion_costs_the_same_queries_in_a_course_of_2_or_30_lessons():
    """The heaviest completion (the last, with every step of the cascade) does not grow."""
    small = last_completion_queries(UserFactory(), lessons_per_module=1)
    large = last_completion_queries(UserFactory(), lessons_per_module=15)

    assert large == small


@pytest.mark.parametrize("lessons_per_module", [1, 15])
def test_one_completion_stays_under_the_query_bound(
    user, django_assert_max_num_queries, lessons_per_module
):
    course = enrolled_course(user, modules=2, lessons_per_module=lessons_per_module)
    lessons = lessons_of(course)
    for lesson in lessons[:-2]:
        lesson_complete(user=user, lesson=lesson)
    middle = Lesson.objects.select_related("module").get(pk=lessons[-2].pk)
    last = Lesson.objects.select_related("module").get(pk=lessons[-1].pk)

    with django_assert_max_num_queries(25):
        lesson_complete(user=user, lesson=middle)
    with django_assert_max_num_queries(40):
        enrollment, _ = lesson_complete(user=user, lesson=last, score=90)

    assert enrollment.progress == 100
