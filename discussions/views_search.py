"""Search pages: a course's discussions, and my direct messages. Plain GET forms."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from discussions import search
from discussions.api_search import SearchThrottle
from lms.catalog.models import Course
from lms.catalog.permissions import course_member_or_error

RESULTS_PER_PAGE = 20


def _search_page(request: HttpRequest, *, hits_of, context: dict) -> HttpResponse:
    """Render discussions/search.html for `?q=`: results, or what is wrong with the query."""
    raw = request.GET.get("q")
    context.update(search=raw or "", max_length=search.QUERY_MAX_LENGTH, searched=False)
    status = 200
    retry_after = 0
    if raw is not None:
        throttle = SearchThrottle()
        try:
            text = search.clean_query(raw)
        except ValidationError as error:
            context["error"] = error.message_dict["q"][0]
            status = 400
        else:
            if throttle.allow_request(request, None):
                page = Paginator(hits_of(text), RESULTS_PER_PAGE).get_page(request.GET.get("page"))
                context.update(searched=True, page=page)
                context["results"] = search.search_results(
                    page.object_list, user=request.user, text=text
                )
            else:
                retry_after = int(throttle.wait() or 1)
                context["error"] = (
                    f"Too many searches: try again in {retry_after} second"
                    f"{'' if retry_after == 1 else 's'}."
                )
                status = 429
    response = render(request, "discussions/search.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@login_required
@require_GET
def course_discussions_search(request: HttpRequest, course_id: int) -> HttpResponse:
    """Search a course's threads and messages, as its discussion page shows them."""
    course = get_object_or_404(Course, pk=course_id)
    course_member_or_error(
        user=request.user,
        course_id=course.pk,
        denied="Enroll in this course to join its discussions.",
    )
    return _search_page(
        request,
        hits_of=lambda text: search.course_search(
            user=request.user, course_id=course.pk, text=text
        ),
        context={"course": course},
    )


@login_required
@require_GET
def direct_messages_search(request: HttpRequest) -> HttpResponse:
    """Search the direct messages I sent or received."""
    return _search_page(
        request,
        hits_of=lambda text: search.direct_message_search(user=request.user, text=text),
        context={"course": None},
    )
