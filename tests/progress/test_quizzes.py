"""Quizzes in the services: scoring, the pass rule, completion with the best score."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.catalog.models import Lesson, Question, Quiz
from lms.realtime.models import Event
from progress import quizzes
from progress.models import LearningStats, LessonCompletion, QuizAttempt
from progress.services import NotEnrolled, QuizNotPassed, lesson_complete
from tests.factories import UserFactory
from tests.progress.factories import enrolled_course, lessons_of
from tests.progress.quiz_factories import answers_with, quiz_of, right_answers, wrong_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson(user):
    return Lesson.objects.select_related("module").get(
        pk=lessons_of(enrolled_course(user, modules=1, lessons_per_module=2))[0].pk
    )


def take(user, lesson, answers):
    return quizzes.quiz_attempt_take(user=user, lesson=lesson, answers=answers)


def completion(user, lesson):
    return LessonCompletion.objects.filter(user=user, lesson=lesson).first()


# Scoring.


@pytest.mark.parametrize(
    ("right", "total", "score"),
    [(0, 3, 0), (1, 3, 33), (2, 3, 67), (3, 3, 100), (1, 8, 13), (1, 2, 50), (0, 0, 100)],
)
def test_the_score_is_the_percent_of_right_questions_rounded_half_up(right, total, score):
    assert quizzes.score_percent(right=right, total=total) == score


def test_a_question_is_right_only_when_the_ticked_set_is_the_correct_set(user, lesson):
    quiz = quiz_of(lesson, [[True, True, False], [True, False]], pass_mark=0)
    first, second = quiz.questions.all()
    a, b, c = first.choices.values_list("pk", flat=True)
    right_choice = second.choices.get(is_correct=True).pk

    half = take(user, lesson, {str(first.pk): [a], str(second.pk): [right_choice]})
    too_many = take(user, lesson, {str(first.pk): [a, b, c], str(second.pk): []})
    both = take(user, lesson, {str(first.pk): [b, a], str(second.pk): [right_choice]})

    assert (half.score, too_many.score, both.score) == (50, 0, 100)
    assert both.answers == {str(first.pk): sorted([a, b]), str(second.pk): [right_choice]}


def test_a_question_left_out_counts_as_wrong(user, lesson):
    quiz = quiz_of(lesson, [[True, False], [False, True]], pass_mark=0)
    first = quiz.questions.first()

    attempt = take(user, lesson, {str(first.pk): right_answers(quiz)[str(first.pk)]})

    assert attempt.score == 50


def test_attempts_are_numbered_per_student_and_quiz(user, lesson):
    quiz = quiz_of(lesson, [[True, False]])
    other = UserFactory()
    enrolled = lesson.module.course.enrollments.create(user=other)
    assert enrolled

    numbers = [quizzes.quiz_attempt_start(user=user, lesson=lesson).number for _ in range(3)]
    theirs = quizzes.quiz_attempt_start(user=other, lesson=lesson).number

    assert numbers == [1, 2, 3]
    assert theirs == 1
    assert QuizAttempt.objects.filter(quiz=quiz).count() == 4


@pytest.mark.parametrize(
    "answers_of",
    [
        lambda first, second: ["not", "an", "object"],
        lambda first, second: {"999999": []},
        lambda first, second: {"abc": []},
        lambda first, second: {str(first.pk): first.choices.first().pk},
        lambda first, second: {str(first.pk): [True]},
        lambda first, second: {str(first.pk): [second.choices.first().pk]},
        lambda first, second: {str(first.pk): [999999]},
    ],
    ids=[
        "not an object",
        "unknown question",
        "not a question id",
        "not a list",
        "not a choice id",
        "choice of another question",
        "unknown choice",
    ],
)
def test_a_bad_answer_stores_nothing(user, lesson, answers_of):
    quiz = quiz_of(lesson, [[True, False], [True, False]])
    first, second = quiz.questions.all()

    with pytest.raises(ValidationError) as refused:
        take(user, lesson, answers_of(first, second))

    assert "answers" in refused.value.message_dict
    assert not QuizAttempt.objects.exists()
    assert completion(user, lesson) is None


# The pass rule and completion.


def test_a_failed_attempt_of_a_required_quiz_does_not_complete_the_lesson(user, lesson):
    quiz = quiz_of(lesson, [[True, False], [True, False]], pass_mark=60)

    attempt = take(user, lesson, answers_with(quiz, right=1))

    assert (attempt.score, attempt.passed) == (50, False)
    assert attempt.submitted_at is not None
    assert completion(user, lesson) is None
    assert not Event.objects.filter(event="lesson.completed").exists()


def test_a_passing_attempt_completes_the_lesson_with_its_score(user, lesson):
    quiz = quiz_of(lesson, [[True, False], [True, False], [False, True]], pass_mark=60)

    attempt = take(user, lesson, answers_with(quiz, right=2))

    assert (attempt.score, attempt.passed) == (67, True)
    assert completion(user, lesson).score == 67
    assert LearningStats.objects.get(user=user).average_score == 67
    assert Event.objects.filter(topic=f"user:{user.pk}", event="lesson.completed").count() == 1
    assert lesson.module.course.enrollments.get(user=user).progress == 0  # 1 of 2 lessons


def test_the_pass_mark_itself_passes(user, lesson):
    quiz = quiz_of(lesson, [[True, False], [True, False]], pass_mark=50)

    assert take(user, lesson, answers_with(quiz, right=1)).passed is True


def test_any_submitted_attempt_completes_a_lesson_whose_quiz_need_not_be_passed(user, lesson):
    quiz = quiz_of(lesson, [[True, False]], pass_mark=80, pass_required=False)

    attempt = take(user, lesson, wrong_answers(quiz))

    assert (attempt.score, attempt.passed) == (0, False)
    assert completion(user, lesson).score == 0


def test_the_lesson_keeps_the_best_score(user, lesson):
    quiz = quiz_of(lesson, [[True, False]] * 4, pass_mark=50)

    take(user, lesson, answers_with(quiz, right=3))
    take(user, lesson, answers_with(quiz, right=4))
    worse = take(user, lesson, answers_with(quiz, right=2))

    assert worse.passed is True
    assert completion(user, lesson).score == 100
    assert LearningStats.objects.get(user=user).average_score == 100
    summary = quizzes.attempts_summary(user=user, quiz=quiz)
    assert (summary.attempts, summary.best_score, summary.passed) == (3, 100, True)


def test_a_better_attempt_raises_the_average_score(user, lesson):
    quiz = quiz_of(lesson, [[True, False]] * 4, pass_mark=0, pass_required=False)
    other = lessons_of(lesson.module.course)[1]
    lesson_complete(user=user, lesson=other, score=100)

    take(user, lesson, answers_with(quiz, right=2))
    assert LearningStats.objects.get(user=user).average_score == 75
    take(user, lesson, answers_with(quiz, right=4))

    assert LearningStats.objects.get(user=user).average_score == 100
    assert Event.objects.filter(topic=f"user:{user.pk}", event="stats.updated").exists()


def test_submitting_twice_is_refused_and_changes_nothing(user, lesson):
    quiz = quiz_of(lesson, [[True, False]], pass_mark=50)
    attempt = quizzes.quiz_attempt_start(user=user, lesson=lesson)
    attempt = quizzes.attempt_of_user(user=user, attempt_id=attempt.pk)
    quizzes.quiz_attempt_submit(user=user, attempt=attempt, answers=wrong_answers(quiz))

    with pytest.raises(quizzes.AttemptSubmitted):
        quizzes.quiz_attempt_submit(user=user, attempt=attempt, answers=right_answers(quiz))

    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (0, False)
    assert completion(user, lesson) is None


def test_only_enrolled_students_take_a_quiz(lesson):
    quiz_of(lesson, [[True, False]])

    with pytest.raises(NotEnrolled):
        quizzes.quiz_attempt_start(user=UserFactory(), lesson=lesson)
    with pytest.raises(NotEnrolled):
        quizzes.quiz_attempt_start(user=lesson.module.course.instructor, lesson=lesson)


# Completing a lesson that has a quiz, without it.


def test_a_required_quiz_refuses_the_completion_until_passed(user, lesson):
    quiz = quiz_of(lesson, [[True, False]], pass_mark=100)
    take(user, lesson, wrong_answers(quiz))

    with pytest.raises(QuizNotPassed, match="Pass the quiz to complete this lesson."):
        lesson_complete(user=user, lesson=lesson)
    assert completion(user, lesson) is None

    take(user, lesson, right_answers(quiz))
    enrollment, created = lesson_complete(user=user, lesson=lesson, score=10)

    assert created is False
    assert completion(user, lesson).score == 100  # the quiz scores the lesson, not the caller


def test_a_quiz_that_need_not_be_passed_lets_the_lesson_be_completed_without_a_score(user, lesson):
    quiz_of(lesson, [[True, False]], pass_required=False)

    _, created = lesson_complete(user=user, lesson=lesson, score=90)

    assert created is True
    assert completion(user, lesson).score is None


def test_a_lesson_without_quiz_completes_at_the_same_query_cost_as_before(user):
    """The quiz check rides on the enrollment query: no query more."""
    course = enrolled_course(user, modules=1, lessons_per_module=3)
    first, middle, _ = lessons_of(course)
    lesson_complete(user=user, lesson=first)
    other_lesson = Lesson.objects.select_related("module").get(pk=middle.pk)
    quiz_lesson_user = UserFactory()
    quiz_course = enrolled_course(quiz_lesson_user, modules=1, lessons_per_module=3)
    q_first, q_middle, _ = lessons_of(quiz_course)
    lesson_complete(user=quiz_lesson_user, lesson=q_first)
    quiz_of(q_middle, [[True, False]], pass_required=False)
    q_middle = Lesson.objects.select_related("module").get(pk=q_middle.pk)

    with CaptureQueriesContext(connection) as plain:
        lesson_complete(user=user, lesson=other_lesson)
    with CaptureQueriesContext(connection) as with_quiz:
        lesson_complete(user=quiz_lesson_user, lesson=q_middle)

    assert len(with_quiz) == len(plain)


def test_the_demo_data_has_one_quiz_in_the_first_course_however_often_it_is_seeded():
    for _ in range(2):
        call_command("seed_demo", stdout=StringIO())

    quiz = Quiz.objects.select_related("lesson__module__course").get()
    assert quiz.lesson.module.course.title == "Python Foundations"
    assert quiz.pass_required is True
    assert Question.objects.filter(quiz=quiz).count() == 3
    for question in quiz.questions.all():
        assert question.choices.count() >= 2
        assert question.choices.filter(is_correct=True).exists()
