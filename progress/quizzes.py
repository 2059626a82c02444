"""Quizzes: a student's attempts at a lesson's quiz, their scores, and what pages show.

The answers stay on the server until an attempt is submitted: nothing here hands out
which choices are correct except the results of a submitted attempt
(`attempt_detail`), and only to its owner (the callers look the attempt up by user).

A submitted attempt is scored once: the percent of questions answered exactly right
(the ticked choices are the correct ones, no more, no fewer), rounded half up. It
passes at or above the quiz's pass mark. A passing attempt, or any submitted attempt
of a quiz that need not be passed, completes the lesson through
`progress.services.lesson_complete`, in the same transaction; the lesson's score is
the student's best submitted score.

Locks, in the order of `progress.services`: the Enrollment row of (user, course),
then the attempt row. Starting under the enrollment lock gives each attempt its own
number; submitting under the attempt lock stores one score per attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException

from lms.catalog.models import Enrollment, Lesson, Question, Quiz, User
from progress.models import QuizAttempt
from progress.services import NotEnrolled, lesson_complete

NO_QUIZ = "This lesson has no quiz."


class AttemptSubmitted(APIException):
    """The attempt was submitted already: a second submission changes nothing (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This attempt was submitted already. Start a new attempt to try again."
    default_code = "attempt_submitted"


@dataclass
class AttemptsSummary:
    """A student's submitted attempts at one quiz."""

    attempts: int
    best_score: int | None
    passed: bool


@dataclass
class QuestionResult:
    """How one question of a submitted attempt was answered, with its correct choices."""

    question: Question
    chosen: list[int]
    correct: list[int]
    right: bool

    @property
    def choices(self) -> list[dict]:
        """Each choice with whether it was ticked and whether it is correct (for pages)."""
        return [
            {
                "choice": choice,
                "chosen": choice.pk in self.chosen,
                "correct": choice.pk in self.correct,
            }
            for choice in self.question.choices.all()
        ]


@dataclass
class AttemptDetail:
    """An attempt with its quiz's questions; `results` only once it is submitted."""

    attempt: QuizAttempt
    questions: list[Question]
    results: list[QuestionResult] | None


@dataclass
class LessonQuiz:
    """What the lesson page shows of its quiz to the signed-in user."""

    quiz: Quiz
    questions: list[Question]
    summary: AttemptsSummary
    can_take: bool
    shown: AttemptDetail | None  # a submitted attempt whose result the page shows

    @property
    def blocks_completion(self) -> bool:
        return self.quiz.pass_required and not self.summary.passed


# Reads.


def _questions_with_choices():
    return Prefetch("questions", queryset=Question.objects.prefetch_related("choices"))


def quiz_of_lesson(*, lesson: Lesson) -> Quiz | None:
    """The lesson's quiz with its questions and choices in order; three queries (one when
    the lesson has none)."""
    return (
        Quiz.objects.filter(lesson_id=lesson.pk).prefetch_related(_questions_with_choices()).first()
    )


def quiz_of_lesson_or_404(*, lesson: Lesson) -> Quiz:
    quiz = quiz_of_lesson(lesson=lesson)
    if quiz is None:
        raise Http404(NO_QUIZ)
    return quiz


def attempts_summary(*, user: User, quiz: Quiz) -> AttemptsSummary:
    """Count, best score and whether one passed, of the user's submitted attempts. One query."""
    figures = QuizAttempt.objects.filter(
        user=user, quiz=quiz, submitted_at__isnull=False
    ).aggregate(
        attempts=Count("id"), best_score=Max("score"), passes=Count("id", filter=Q(passed=True))
    )
    return AttemptsSummary(
        attempts=figures["attempts"], best_score=figures["best_score"], passed=figures["passes"] > 0
    )


def attempt_of_user(*, user: User, attempt_id: int) -> QuizAttempt | None:
    """The user's attempt with its quiz and lesson; None for another user's or an unknown id."""
    return (
        QuizAttempt.objects.select_related("quiz__lesson__module")
        .filter(pk=attempt_id, user_id=user.pk)
        .first()
    )


def attempt_of_user_or_404(*, user: User, attempt_id: int) -> QuizAttempt:
    attempt = attempt_of_user(user=user, attempt_id=attempt_id)
    if attempt is None:
        raise Http404("No such attempt.")
    return attempt


def _chosen(attempt: QuizAttempt, question_id: int) -> list[int]:
    return sorted(attempt.answers.get(str(question_id), []))


def attempt_detail(*, attempt: QuizAttempt, quiz: Quiz | None = None) -> AttemptDetail:
    """The attempt with its questions, and the results of a submitted one.

    The results are read from the quiz as it is now: a choice edited after the attempt
    shows as it reads today, while the stored score stays.
    """
    if quiz is None:
        quiz = Quiz.objects.prefetch_related(_questions_with_choices()).get(pk=attempt.quiz_id)
    questions = list(quiz.questions.all())
    results = None
    if attempt.submitted_at is not None:
        results = []
        for question in questions:
            correct = sorted(choice.pk for choice in question.choices.all() if choice.is_correct)
            chosen = _chosen(attempt, question.pk)
            results.append(
                QuestionResult(
                    question=question, chosen=chosen, correct=correct, right=chosen == correct
                )
            )
    return AttemptDetail(attempt=attempt, questions=questions, results=results)


def lesson_quiz(*, user: User, lesson: Lesson, attempt_id: int | None = None) -> LessonQuiz | None:
    """The lesson page's quiz: questions, my attempts, and the result of my attempt
    `attempt_id` when it is submitted. None when the lesson has no quiz."""
    quiz = quiz_of_lesson(lesson=lesson)
    if quiz is None:
        return None
    shown = None
    if attempt_id is not None:
        attempt = (
            QuizAttempt.objects.filter(pk=attempt_id, user_id=user.pk, quiz=quiz)
            .exclude(submitted_at=None)
            .first()
        )
        if attempt is not None:
            shown = attempt_detail(attempt=attempt, quiz=quiz)
    return LessonQuiz(
        quiz=quiz,
        questions=list(quiz.questions.all()),
        summary=attempts_summary(user=user, quiz=quiz),
        can_take=Enrollment.objects.filter(
            user_id=user.pk, course_id=lesson.module.course_id
        ).exists(),
        shown=shown,
    )


def quiz_results(*, user: User) -> list[dict]:
    """The user's quizzes with a submitted attempt, by course then lesson: `course_id`,
    `course_title`, `lesson_id`, `lesson_title`, `attempts`, `best_score`, `passed`.
    One query."""
    lesson = "quiz__lesson"
    rows = (
        QuizAttempt.objects.filter(user=user, submitted_at__isnull=False)
        .values(
            "quiz_id",
            course_id=F(f"{lesson}__module__course_id"),
            course_title=F(f"{lesson}__module__course__title"),
            lesson_id=F(f"{lesson}_id"),
            lesson_title=F(f"{lesson}__title"),
            module_order=F(f"{lesson}__module__order"),
            lesson_order=F(f"{lesson}__order"),
        )
        .annotate(
            attempts=Count("id"),
            best_score=Max("score"),
            passes=Count("id", filter=Q(passed=True)),
        )
        .order_by("course_title", "course_id", "module_order", "lesson_order", "lesson_id")
    )
    results = []
    for row in rows:
        passes = row.pop("passes")
        results.append({**row, "passed": passes > 0})
    return results


# Writes.


def _enrollment_lock(*, user: User, lesson: Lesson) -> Enrollment:
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .filter(user=user, course_id=lesson.module.course_id)
        .first()
    )
    if enrollment is None:
        raise NotEnrolled()
    return enrollment


@transaction.atomic
def quiz_attempt_start(*, user: User, lesson: Lesson) -> QuizAttempt:
    """Start the user's next attempt at the lesson's quiz (numbered 1, 2, ...).

    Locks the enrollment row, so concurrent starts take distinct numbers.
    Raises Http404 (no quiz) and NotEnrolled (403).
    """
    quiz = Quiz.objects.filter(lesson_id=lesson.pk).first()
    if quiz is None:
        raise Http404(NO_QUIZ)
    _enrollment_lock(user=user, lesson=lesson)
    last = QuizAttempt.objects.filter(user=user, quiz=quiz).aggregate(last=Max("number"))["last"]
    attempt = QuizAttempt.objects.create(user=user, quiz=quiz, number=(last or 0) + 1)
    attempt.quiz = quiz
    return attempt


def _answers_error(message: str) -> ValidationError:
    return ValidationError({"answers": [message]})


def _answers_clean(answers, *, choices_of: dict[int, set[int]]) -> dict[int, set[int]]:
    """The chosen choice ids per question id, every id checked against the quiz."""
    if not isinstance(answers, dict):
        raise _answers_error("Send an object of question ids to lists of choice ids.")
    cleaned: dict[int, set[int]] = {}
    for key, chosen in answers.items():
        text = str(key)
        question_id = int(text) if text.isascii() and text.isdigit() else None
        if question_id not in choices_of:
            raise _answers_error(f"Question {text[:20]} is not in this quiz.")
        if not isinstance(chosen, list) or any(
            isinstance(choice, bool) or not isinstance(choice, int) for choice in chosen
        ):
            raise _answers_error(
                f"The answer to question {question_id} must be a list of choice ids."
            )
        unknown = set(chosen) - choices_of[question_id]
        if unknown:
            raise _answers_error(
                f"Choice {min(unknown)} is not a choice of question {question_id}."
            )
        cleaned[question_id] = set(chosen)
    return cleaned


def score_percent(*, right: int, total: int) -> int:
    """Questions answered right over all questions, a whole percent rounded half up (an
    empty quiz scores 100)."""
    if total <= 0:
        return 100
    return (200 * right + total) // (2 * total)


@transaction.atomic
def quiz_attempt_submit(*, user: User, attempt: QuizAttempt, answers) -> QuizAttempt:
    """Score the attempt once and, when it passed or need not pass, complete the lesson.

    `answers` maps question ids to lists of choice ids; a question left out is answered
    with no choice. Locks the enrollment, then the attempt row: of two submissions of
    one attempt, the second finds it submitted and raises AttemptSubmitted (409), so
    one score is stored. Raises ValidationError (400, nothing stored), NotEnrolled (403).
    """
    lesson = attempt.quiz.lesson
    _enrollment_lock(user=user, lesson=lesson)
    locked = QuizAttempt.objects.select_for_update().filter(pk=attempt.pk, user=user).first()
    if locked is None:
        raise Http404("No such attempt.")
    if locked.submitted_at is not None:
        raise AttemptSubmitted()

    choices_of: dict[int, set[int]] = {}
    correct_of: dict[int, set[int]] = {}
    for question_id, choice_id, is_correct in Question.objects.filter(
        quiz_id=attempt.quiz_id
    ).values_list("id", "choices__id", "choices__is_correct"):
        choices_of.setdefault(question_id, set())
        correct_of.setdefault(question_id, set())
        if choice_id is not None:
            choices_of[question_id].add(choice_id)
            if is_correct:
                correct_of[question_id].add(choice_id)
    chosen = _answers_clean(answers, choices_of=choices_of)
    right = sum(
        chosen.get(question_id, set()) == correct for question_id, correct in correct_of.items()
    )

    quiz = attempt.quiz
    locked.score = score_percent(right=right, total=len(correct_of))
    locked.passed = locked.score >= quiz.pass_mark
    locked.answers = {str(question_id): sorted(ids) for question_id, ids in sorted(chosen.items())}
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["score", "passed", "answers", "submitted_at"])
    locked.quiz = quiz
    if locked.passed or not quiz.pass_required:
        # The lesson's score is the best submitted attempt's: lesson_complete reads it.
        lesson_complete(user=user, lesson=lesson)
    return locked


@transaction.atomic
def quiz_attempt_take(*, user: User, lesson: Lesson, answers) -> QuizAttempt:
    """Start an attempt and submit it at once: the lesson page's form, without JavaScript.

    A bad answer stores nothing, not even the attempt.
    """
    attempt = quiz_attempt_start(user=user, lesson=lesson)
    attempt.quiz.lesson = lesson
    return quiz_attempt_submit(user=user, attempt=attempt, answers=answers)
