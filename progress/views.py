"""The learner's pages: the dashboard, a course with my progress in it, a lesson, and the
forms that complete lessons; the public certificate check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from lms.catalog import selectors as catalog
from lms.catalog.models import Lesson
from lms.catalog.permissions import course_access, course_is_visible, course_member_or_error
from progress import selectors, services


def _enroll_first(request, course, message: str):
    """A published course the user is not part of: back to its page, told why.

    Any other refusal (an unknown or unpublished course) is the 404 it raises.
    """
    try:
        course_member_or_error(user=request.user, course_id=course.pk)
    except PermissionDenied:
        messages.warning(request, message)
        return redirect(course)
    return None


@login_required
@require_GET
def dashboard(request):
    enrollments = list(catalog.dashboard_enrollments(user=request.user))
    taught = (
        list(catalog.courses_taught(user=request.user))
        if request.user.role == request.user.Role.INSTRUCTOR
        else []
    )
    return render(
        request, "progress/dashboard.html", {"enrollments": enrollments, "courses_taught": taught}
    )


@require_GET
def course_detail(request, course_id: int):
    course = catalog.course_with_content(course_id=course_id)
    if course is None or not course_is_visible(user=request.user, course=course):
        raise Http404("No such course.")
    enrollment = catalog.enrollment_for(user=request.user, course=course)
    grant = course_access(user=request.user, course_id=course.pk)
    completed_ids = selectors.completed_lesson_ids(user=request.user, course=course)
    modules = list(course.modules.all())
    lessons = [lesson for module in modules for lesson in module.lessons.all()]
    # "Continue" opens the first lesson not completed yet.
    first_lesson = next((x for x in lessons if x.pk not in completed_ids), None) or (
        lessons[0] if lessons else None
    )
    return render(
        request,
        "progress/course_detail.html",
        {
            "course": course,
            "modules": modules,
            "enrollment": enrollment,
            "can_open_lessons": grant is not None,
            "completed_ids": completed_ids,
            "first_lesson": first_lesson,
            "lesson_count": len(lessons),
            "total_minutes": sum(lesson.duration_minutes for lesson in lessons),
        },
    )


@login_required
@require_GET
def lesson_detail(request, lesson_id: int):
    lesson = catalog.lesson_with_course(lesson_id=lesson_id)
    if lesson is None:
        raise Http404("No such lesson.")
    course = lesson.module.course
    refused = _enroll_first(request, course, "Enroll in this course to open its lessons.")
    if refused:
        return refused
    previous, following = catalog.lesson_neighbours(lesson=lesson)
    return render(
        request,
        "progress/lesson_detail.html",
        {
            "lesson": lesson,
            "module": lesson.module,
            "course": course,
            "previous_lesson": previous,
            "next_lesson": following,
            "is_completed": lesson.pk
            in selectors.completed_lesson_ids(user=request.user, course=course),
        },
    )


@login_required
@require_POST
def lesson_complete(request, lesson_id: int):
    """The lesson page's "Mark complete" form: works without JavaScript."""
    lesson = get_object_or_404(Lesson.objects.select_related("module__course"), pk=lesson_id)
    try:
        enrollment, created = services.lesson_complete(user=request.user, lesson=lesson)
    except services.NotEnrolled:
        course = lesson.module.course
        if not course_is_visible(user=request.user, course=course):
            # As for a lesson that does not exist: a redirect would name the hidden course.
            raise Http404("No such lesson.") from None
        messages.warning(request, "Enroll in this course to complete its lessons.")
        return redirect(course)
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
    certificate = selectors.certificate_by_code(code=code)
    if certificate is None:
        raise Http404("No certificate has this verification code.")
    return render(request, "progress/certificate_verify.html", {"certificate": certificate})
