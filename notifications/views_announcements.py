"""A course's announcements: every one, a page at a time, and the form that posts one.

The course page (progress) lists the latest and shows the same form, which posts here.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from lms.catalog.models import Course
from lms.catalog.permissions import (
    course_member_or_error,
    course_teacher_or_error,
    course_teaching_access,
)
from lms.platform.exceptions import RateLimited
from notifications.forms import AnnouncementForm
from notifications.selectors import announcement_list
from notifications.services import announcement_send

PAGE_SIZE = 20


def _post(request, course: Course, form: AnnouncementForm) -> tuple[int, int]:
    """Send the posted form: (200, 0) when sent, else the refusal's (status, Retry-After)."""
    if not form.is_valid():
        return 400, 0
    try:
        announcement_send(
            course=course,
            author=request.user,
            title=form.cleaned_data["title"],
            message=form.cleaned_data["message"],
        )
    except ValidationError as error:
        for field, field_errors in error.message_dict.items():
            for message in field_errors:
                form.add_error(field if field in form.fields else None, message)
        return 400, 0
    except RateLimited as refused:
        messages.error(request, str(refused))
        return 429, refused.retry_after
    except PermissionDenied as refused:
        messages.error(request, str(refused))
        return 403, 0
    return 200, 0


@login_required
@require_http_methods(["GET", "POST"])
def course_announcements(request, course_id: int):
    """Every announcement of the course, newest first (its members); its instructor and
    staff post one here, then land back on the course page."""
    course = get_object_or_404(Course.objects.select_related("instructor"), pk=course_id)
    form = AnnouncementForm(request.POST or None)
    status, retry_after = 200, 0
    if request.method == "POST":
        course_teacher_or_error(user=request.user, course_id=course.pk)
        status, retry_after = _post(request, course, form)
        if status == 200:
            messages.success(request, "Your announcement is posted.")
            return redirect(f"{course.get_absolute_url()}#announcements")
    else:
        course_member_or_error(user=request.user, course_id=course.pk)
    page = Paginator(announcement_list(course=course), PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(
        request,
        "notifications/course_announcements.html",
        {
            "course": course,
            "page": page,
            "announcements": page.object_list,
            "can_announce": course_teaching_access(user=request.user, course_id=course.pk)
            is not None,
            "announcement_form": form,
        },
        status=status,
    )
    if status == 429:
        response["Retry-After"] = str(retry_after)
    return response
