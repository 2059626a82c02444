"""Quiz attempts racing on PostgreSQL: threads, each with its own connection and transaction."""

import pytest

from lms.catalog.models import Lesson
from progress import quizzes
from progress.models import LessonCompletion, QuizAttempt
from tests.factories import UserFactory
from tests.progress.factories import enrolled_course, lessons_of
from tests.progress.quiz_factories import quiz_of, right_answers, wrong_answers
from tests.progress.test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = "409: submitted already"


@pytest.fixture
def student():
    return UserFactory()


@pytest.fixture
def lesson(student):
    course = enrolled_course(student, modules=1, lessons_per_module=2)
    return Lesson.objects.select_related("module").get(pk=lessons_of(course)[0].pk)


def submission(student, attempt_id, answers):
    def submit():
        attempt = quizzes.attempt_of_user(user=student, attempt_id=attempt_id)
        try:
            return quizzes.quiz_attempt_submit(user=student, attempt=attempt, answers=answers)
        except quizzes.AttemptSubmitted:
            return REFUSED

    return submit


def test_two_submissions_of_one_attempt_store_one_score(postgres, student, lesson):
    quiz = quiz_of(lesson, [[True, False], [True, False]], pass_mark=50)
    attempt = quizzes.quiz_attempt_start(user=student, lesson=lesson)

    results = run_together(
        [
            submission(student, attempt.pk, right_answers(quiz)),
            submission(student, attempt.pk, wrong_answers(quiz)),
        ]
    )

    refused = [r for r in results if r == REFUSED]
    stored = [r for r in results if isinstance(r, QuizAttempt)]
    assert (len(refused), len(stored)) == (1, 1)
    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (stored[0].score, stored[0].passed)
    completions = LessonCompletion.objects.filter(user=student, lesson=lesson)
    assert list(completions.values_list("score", flat=True)) == ([100] if attempt.passed else [])


def test_attempts_started_at_once_take_distinct_numbers(postgres, student, lesson):
    quiz_of(lesson, [[True, False]])

    run_together(
        [lambda: quizzes.quiz_attempt_start(user=student, lesson=lesson) for _ in range(6)]
    )

    numbers = sorted(QuizAttempt.objects.filter(user=student).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6]


def test_passing_attempts_submitted_at_once_complete_the_lesson_once_with_the_best_score(
    postgres, student, lesson
):
    quiz = quiz_of(lesson, [[True, False], [True, False]], pass_mark=50)
    first, second = quiz.questions.all()
    half = {str(first.pk): right_answers(quiz)[str(first.pk)]}
    attempts = [quizzes.quiz_attempt_start(user=student, lesson=lesson) for _ in range(4)]

    run_together(
        [
            submission(student, attempt.pk, right_answers(quiz) if i == 2 else half)
            for i, attempt in enumerate(attempts)
        ]
    )

    completion = LessonCompletion.objects.get(user=student, lesson=lesson)
    assert completion.score == 100
