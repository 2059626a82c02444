"""The lesson page's quiz form: answered and scored in one post, without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from lms.catalog.models import Lesson
from lms.catalog.permissions import course_is_visible
from progress import quizzes
from progress.services import NotEnrolled

FIELD_PREFIX = "question-"  # one checkbox group per question: question-<id>


def answers_from_form(data) -> dict[str, list]:
    """The ticked choices per question of the posted form, as the API takes them; a value
    that is not a number stays as it is, for the service to refuse."""
    return {
        name.removeprefix(FIELD_PREFIX): [
            int(value) if value.isascii() and value.isdigit() else value
            for value in data.getlist(name)
        ]
        for name in data
        if name.startswith(FIELD_PREFIX)
    }


@login_required
@require_POST
def lesson_quiz_submit(request, lesson_id: int):
    """Start and submit an attempt, then show its result on the lesson page (PRG)."""
    lesson = get_object_or_404(Lesson.objects.select_related("module__course"), pk=lesson_id)
    course = lesson.module.course
    try:
        attempt = quizzes.quiz_attempt_take(
            user=request.user, lesson=lesson, answers=answers_from_form(request.POST)
        )
    except NotEnrolled:
        if not course_is_visible(user=request.user, course=course):
            # As for a lesson that does not exist: a redirect would name the hidden course.
            raise Http404("No such lesson.") from None
        messages.warning(request, "Enroll in this course to take its quizzes.")
        return redirect(course)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"{lesson.get_absolute_url()}#quiz")
    if attempt.passed:
        messages.success(request, f"You passed the quiz with {attempt.score}%.")
    else:
        messages.warning(
            request, f"You scored {attempt.score}%: the pass mark is {attempt.quiz.pass_mark}%."
        )
    return redirect(f"{reverse('lesson-detail', args=[lesson.pk])}?attempt={attempt.pk}#quiz")
