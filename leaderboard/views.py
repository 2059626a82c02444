from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from leaderboard.events import board_topic
from leaderboard.selectors import leaderboard_board, leaderboard_courses_for
from lms.catalog.models import Course
from lms.catalog.permissions import course_member_or_error


def _course_from_query(request) -> int | None:
    raw = request.GET.get("course", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Http404("No such course.")
    return int(raw)


@login_required
@require_GET
def leaderboard_page(request, course_id: int | None = None):
    """The global board, or a course's (/leaderboard/?course=<id>, /courses/<id>/leaderboard/)."""
    if course_id is None:
        course_id = _course_from_query(request)
    course = None
    if course_id is not None:
        course = Course.objects.filter(pk=course_id).only("id", "title", "is_published").first()
        if course is None:
            raise Http404("No such course.")
        course_member_or_error(
            user=request.user,
            course_id=course_id,
            denied="Only the course's students, its instructor and staff see it.",
        )
    limit = settings.LEADERBOARD_DEFAULT_LIMIT
    board = leaderboard_board(user=request.user, course=course_id, limit=limit)
    me = board["me"]
    return render(
        request,
        "leaderboard/leaderboard.html",
        {
            "course": course,
            "courses": leaderboard_courses_for(user=request.user),
            "entries": board["entries"],
            "me": me,
            "me_outside_top": me is not None and me["rank"] > len(board["entries"]),
            "topic": board_topic(course_id),
            "limit": limit,
            "nav_section": "leaderboard",  # also under /courses/<id>/leaderboard/
        },
    )
