"""Pages of read positions and follows: the Follow button, the no-script read beacon and
"New in your discussions". They work as plain forms; static/js/unread.js adds the live parts."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from discussions import permissions, reading, selectors
from discussions.models import DiscussionThread
from lms.catalog.models import Course, User

# A transparent 1×1 GIF: what the no-script image of the thread page loads.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def thread_reading_context(
    *, user: User, thread: DiscussionThread, shown_ids: list[int]
) -> dict[str, Any]:
    """What the thread page shows of reading: the Follow button, and the no-script image
    that marks the page's messages read (a browser without JavaScript saw them all)."""
    upto = max(shown_ids, default=0)
    token = reading.read_beacon_token(user=user, thread=thread, last_read_id=upto)
    return {
        "is_following": reading.thread_is_following(user=user, thread=thread),
        "read_beacon_url": f"{reverse('thread-read-beacon', args=[thread.pk])}?t={token}",
    }


@login_required
@require_POST
def thread_follow_toggle(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Follow (`action=follow`) or unfollow (`action=unfollow`) a thread I may read;
    a thread closed to me leads to the course's list, like its page."""
    thread = selectors.thread_find(thread_id=thread_id)
    try:
        permissions.thread_member_or_error(request.user, thread)
    except permissions.ThreadClosed as closed:
        messages.warning(request, "This thread has been closed.")
        return redirect("course-discussions", course_id=closed.course_id)
    action = request.POST.get("action")
    if action == "follow":
        reading.thread_follow(user=request.user, thread=thread)
        messages.success(request, "You follow this thread: replies will notify you.")
    elif action == "unfollow":
        reading.thread_unfollow(user=request.user, thread=thread)
        messages.success(request, "You no longer follow this thread.")
    else:
        messages.error(request, "Unknown action.")
    return redirect("thread-detail", thread_id=thread.pk)


@login_required
@require_GET
@never_cache
def thread_read_beacon(request: HttpRequest, thread_id: int) -> HttpResponse:
    """The no-script image of the thread page: marks what the page showed read.

    The token is signed for this user, thread and message id, so another site
    cannot move anyone's read position. Answers the image whatever happens."""
    opened = reading.read_beacon_open(request.GET.get("t", ""), user=request.user)
    if opened is not None and opened[0] == thread_id:
        thread = selectors.thread_find(thread_id=thread_id)
        if thread is not None and permissions.thread_access(request.user, thread) is not None:
            reading.thread_read_mark(user=request.user, thread=thread, last_read_id=opened[1])
    return HttpResponse(_PIXEL, content_type="image/gif")


@login_required
@require_GET
def discussions_unread_page(request: HttpRequest) -> HttpResponse:
    """My courses whose discussions have messages new for me, with how many."""
    rows = reading.discussions_unread(user=request.user)
    courses = Course.objects.in_bulk([row["course"] for row in rows if row["unread_messages"]])
    unread = [
        {**row, "title": courses[row["course"]].title} for row in rows if row["course"] in courses
    ]
    return render(
        request,
        "discussions/unread.html",
        {"unread": unread, "watched": len(rows), "nav_section": "discussions"},
    )
