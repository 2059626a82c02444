from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from lms.models import Lesson
from lms.selectors import course_is_visible
from progress import services
from progress.selectors import certificate_by_code


@login_required
@require_POST
def lesson_complete(request, lesson_id: int):
    """The lesson page's "Mark complete" form: works without JavaScript."""
    lesson = get_object_or_404(Lesson.objects.select_related("module__course"), pk=lesson_id)
    try:
        enrollment, created = services.lesson_complete(user=request.user, lesson=lesson)
    except services.NotEnrolled:
        if not course_is_visible(user=request.user, course=lesson.module.course):
            # As for a lesson that does not exist: a redirect would name the hidden course.
            raise Http404("No such lesson.") from None
        messages.warning(request, "Enroll in this course to complete its lessons.")
        return redirect(lesson.module.course)
    if enrollment.completed_at and created and enrollment.progress == 100:
        messages.success(request, f"You completed {lesson.module.course.title}. Well done!")
    elif created:
        messages.success(request, f"Lesson completed. Course progress: {enrollment.progress}%.")
    else:
        messages.info(request, "You had already completed this lesson.")
    return redirect(lesson)


@require_GET
def certificate_verify(request, code: str):
    """Public: anyone holding the code can check who earned the certificate, and for what."""
    certificate = certificate_by_code(code=code)
    if certificate is None:
        raise Http404("No certificate has this verification code.")
    return render(request, "progress/certificate_verify.html", {"certificate": certificate})
