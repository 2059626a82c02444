"""Quizzes for tests: `quiz_of(lesson, [[True, False], [True, True, False]])` makes one
question per list, one choice per flag (True: a correct choice)."""

from lms.catalog.models import Choice, Question, Quiz


def quiz_of(lesson, questions: list[list[bool]], *, pass_mark: int = 70, pass_required=True):
    quiz = Quiz.objects.create(lesson=lesson, pass_mark=pass_mark, pass_required=pass_required)
    for q_order, flags in enumerate(questions):
        question = Question.objects.create(
            quiz=quiz, text=f"Question {q_order + 1}?", order=q_order
        )
        Choice.objects.bulk_create(
            Choice(
                question=question, text=f"Choice {q_order + 1}.{c + 1}", is_correct=flag, order=c
            )
            for c, flag in enumerate(flags)
        )
    return quiz


def right_answers(quiz) -> dict[str, list[int]]:
    """The answers that get every question right."""
    return {
        str(question.pk): sorted(
            question.choices.filter(is_correct=True).values_list("pk", flat=True)
        )
        for question in quiz.questions.all()
    }


def wrong_answers(quiz) -> dict[str, list[int]]:
    """The answers that get every question wrong: the first wrong choice alone."""
    return {
        str(question.pk): [
            question.choices.filter(is_correct=False).values_list("pk", flat=True)[0]
        ]
        for question in quiz.questions.all()
    }


def answers_with(quiz, right: int) -> dict[str, list[int]]:
    """The first `right` questions right, the others wrong."""
    good, bad = right_answers(quiz), wrong_answers(quiz)
    keys = list(good)
    return {key: good[key] if i < right else bad[key] for i, key in enumerate(keys)}
