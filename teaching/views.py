"""Pages of a course's teachers: dashboard, roster, a student's detail, the gradebook CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from datetime import date
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from lms.catalog.models import Course
from lms.catalog.permissions import course_teacher_or_error
from teaching.selectors import (
    ROSTER_PAGE_SIZE,
    SORTS,
    STATUSES,
    gradebook_rows,
    roster_page,
    student_detail,
    taught_courses,
    taught_courses_with_online,
)

DASHBOARD_PAGE_SIZE = 50
CSV_ROWS_PER_CHUNK = 500
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def relative_day(day: date) -> str:
    days = (timezone.localdate() - day).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def _teaches_something(user) -> bool:
    return user.is_staff or user.role == user.Role.INSTRUCTOR


@login_required
@require_GET
def dashboard(request):
    if not _teaches_something(request.user):
        raise PermissionDenied("Only instructors and staff teach courses.")
    page = Paginator(taught_courses(user=request.user), DASHBOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    courses = taught_courses_with_online(list(page.object_list))
    return render(
        request,
        "teaching/dashboard.html",
        {"page": page, "courses": courses, "nav_section": "teaching"},
    )


def roster_filters(params) -> dict:
    """The roster's filters from query parameters; what is not understood is left out."""
    status = params.get("status")
    sort = params.get("sort", "name")
    inactive = params.get("inactive_days", "")
    return {
        "status": status if status in STATUSES else None,
        "inactive_days": int(inactive)
        if inactive.isdigit() and 0 < int(inactive) <= 3650
        else None,
        "online": params.get("online") in {"1", "true"},
        "q": params.get("q", "").strip()[:100],
        "sort": sort if sort in SORTS else "name",
    }


@login_required
@require_GET
def roster(request, course_id: int):
    course_teacher_or_error(user=request.user, course_id=course_id)
    course = Course.objects.get(pk=course_id)
    filters = roster_filters(request.GET)
    page = roster_page(
        course_id=course_id,
        **filters,
        page=request.GET.get("page"),
        page_size=ROSTER_PAGE_SIZE,
        with_online_now=True,
    )
    for row in page.rows:
        row["last_active_text"] = relative_day(row["last_active"])
    kept = {
        name: value
        for name, value in {**filters, "online": "1" if filters["online"] else ""}.items()
        if value and not (name == "sort" and value == "name")
    }
    return render(
        request,
        "teaching/roster.html",
        {
            "course": course,
            "page": page,
            "filters": filters,
            "statuses": [
                ("not_started", "Not started"),
                ("in_progress", "In progress"),
                ("completed", "Completed"),
            ],
            "query": urlencode(kept),
            "filtered": any(name != "sort" for name in kept),
            "nav_section": "teaching",
        },
    )


@login_required
@require_GET
def student(request, course_id: int, user_id: int):
    course_teacher_or_error(user=request.user, course_id=course_id)
    detail = student_detail(course_id=course_id, user_id=user_id)
    if detail is None:
        raise Http404("No such student in this course.")
    detail.row["last_active_text"] = relative_day(detail.row["last_active"])
    return render(
        request,
        "teaching/student.html",
        {
            "course": Course.objects.get(pk=course_id),
            "detail": detail,
            "student": detail.row,
            "nav_section": "teaching",
        },
    )


def csv_cell(value) -> object:
    """A cell as written: text that a spreadsheet would run as a formula starts with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def gradebook_chunks(course_id: int) -> Iterator[str]:
    """The gradebook as CSV text, CSV_ROWS_PER_CHUNK rows a piece."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, row in enumerate(gradebook_rows(course_id=course_id), start=1):
        writer.writerow([csv_cell(value) for value in row])
        if number % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


async def _async_chunks(chunks: Iterator[str]) -> AsyncIterator[str]:
    # Under ASGI, Django would read a synchronous iterator to the end before sending it:
    # each piece is read in the request's thread (its database connection) as it is sent.
    next_chunk = sync_to_async(next, thread_sensitive=True)
    while (chunk := await next_chunk(chunks, None)) is not None:
        yield chunk


def gradebook_response(request, *, course_id: int) -> StreamingHttpResponse:
    """The course's gradebook, streamed: no more than a chunk of rows is ever in memory."""
    chunks = gradebook_chunks(course_id)
    content = _async_chunks(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    filename = f"gradebook-course-{course_id}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def gradebook(request, course_id: int):
    course_teacher_or_error(user=request.user, course_id=course_id)
    return gradebook_response(request, course_id=course_id)
