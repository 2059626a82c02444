"""Discussion and message pages. They work as plain forms; static/js adds the live parts."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from discussions import moderation, permissions, reading, selectors, services
from discussions.events import thread_topic
from discussions.forms import MessageForm, RenameForm, ThreadForm
from discussions.mentions import attach_mentions
from discussions.models import DiscussionThread, ThreadMessage
from discussions.reactions import EMOJI_OPTIONS, attach_reactions
from discussions.serializers import user_brief
from discussions.views_reading import thread_reading_context
from lms.catalog.events import course_topic
from lms.catalog.models import Course, User
from lms.catalog.permissions import course_member_or_error
from lms.platform.exceptions import RateLimited
from lms.realtime import replay
from lms.realtime.registry import Role

THREADS_PER_PAGE = 20
CONVERSATIONS_PER_PAGE = 20
HISTORY_PAGE_SIZE = 50


def _cursor(request: HttpRequest, name: str) -> int | None:
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def _form_errors(form, error: ValidationError, field: str) -> None:
    for message in error.message_dict.get(field, error.messages):
        form.add_error(field, message)


def _post_message(request: HttpRequest, form, *, send, url):
    """Send a posted message form's content with `send`: (redirect to `url(sent)`, 200, 0),
    or (None, status, Retry-After seconds) of a refusal, told on the page."""
    if not form.is_valid():
        return None, 400, 0
    try:
        sent = send(form.cleaned_data["content"])
    except ValidationError as error:
        _form_errors(form, error, "content")
        return None, 400, 0
    except RateLimited as refused:
        messages.error(request, str(refused))
        return None, 429, refused.retry_after
    except PermissionDenied as refused:
        messages.error(request, str(refused))
        return None, 403, 0
    return redirect(url(sent)), 200, 0


def _thread_url(thread: DiscussionThread, anchor: str = "") -> str:
    url = reverse("thread-detail", args=[thread.pk])
    return f"{url}#{anchor}" if anchor else url


def _visible_thread(request: HttpRequest, thread_id: int):
    """The thread and the user's grant to it (see permissions.thread_member_or_error)."""
    thread = selectors.thread_find(thread_id=thread_id)
    return thread, permissions.thread_member_or_error(request.user, thread)


def _closed_threads_lead_to_the_list(view):
    """A student whose page is older than the close lands on the thread list, told why."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except permissions.ThreadClosed as closed:
            messages.warning(request, "This thread has been closed.")
            return redirect("course-discussions", course_id=closed.course_id)

    return wrapper


@login_required
@require_http_methods(["GET", "POST"])
def course_discussions(request: HttpRequest, course_id: int) -> HttpResponse:
    """A course's threads, newest activity first, live; and the form to open one."""
    course = get_object_or_404(Course, pk=course_id)
    grant = course_member_or_error(
        user=request.user,
        course_id=course.pk,
        denied="Enroll in this course to join its discussions.",
    )
    form = ThreadForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                thread = services.thread_create(
                    course=course, created_by=request.user, title=form.cleaned_data["title"]
                )
            except ValidationError as error:
                _form_errors(form, error, "title")
            except PermissionDenied as refused:
                messages.error(request, str(refused))
                status = 403
            else:
                messages.success(request, "Your thread is open.")
                return redirect(_thread_url(thread))
        status = status if status == 403 else 400
    since = replay.last_id(course_topic(course.pk))  # before the list: see _thread_context
    threads = reading.threads_with_reading(
        selectors.threads_with_activity(
            selectors.threads_list(user=request.user, course_id=course.pk)
        ),
        user=request.user,
    )
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "discussions/course_discussions.html",
        {
            "course": course,
            "page": page,
            "threads": page.object_list,
            "form": form,
            "sees_closed": grant.role != Role.STUDENT,
            "since": since,
        },
        status=status,
    )


def _thread_context(request: HttpRequest, thread: DiscussionThread, grant) -> dict[str, Any]:
    # Read before the history: the live client replays whatever commits after this id.
    since = replay.last_id(thread_topic(thread.pk))
    moderator = permissions.can_moderate(request.user, thread.course)
    history = selectors.history_page(
        selectors.thread_messages(thread=thread, include_hidden=moderator),
        before=_cursor(request, "before"),
        limit=HISTORY_PAGE_SIZE,
    )
    can_post = permissions.thread_can_post(request.user, thread)
    mute = permissions.discussion_mute(request.user, thread.course_id)
    for message in history.items:
        message.can_delete = permissions.thread_message_can_delete(
            request.user, message, grant=grant
        )
        message.can_edit = mute is None and permissions.thread_message_can_edit(
            request.user, message, grant=grant
        )
        message.can_react = can_post and mute is None and message.hidden_at is None
    attach_mentions(history.items, thread=thread)
    attach_reactions(history.items, viewer=request.user)
    return {
        "thread": thread,
        "course": thread.course,
        "since": since,
        "history": history,
        "chat_messages": history.items,
        "is_latest": not history.has_newer,
        "can_post": can_post,
        "can_moderate": permissions.thread_can_moderate(request.user, thread),
        "moderates_messages": grant.role != Role.STUDENT,
        "moderator": moderator,
        "can_accept": moderator or thread.created_by_id == request.user.pk,
        "mute": mute,
        "delete_window_minutes": settings.MESSAGE_DELETE_WINDOW_MINUTES,
        "edit_window_minutes": settings.MESSAGE_EDIT_WINDOW_MINUTES,
        "reaction_options": EMOJI_OPTIONS,
        "form": MessageForm(),
        "rename_form": RenameForm(initial={"title": thread.title}),
        "me": user_brief(request.user),
        **thread_reading_context(
            user=request.user, thread=thread, shown_ids=[m.pk for m in history.items]
        ),
    }


@login_required
@require_http_methods(["GET", "POST"])
@_closed_threads_lead_to_the_list
def thread_detail(request: HttpRequest, thread_id: int) -> HttpResponse:
    """A thread: history ("Load older" pages), live messages, who is online, who is typing."""
    thread, grant = _visible_thread(request, thread_id)
    form = MessageForm(request.POST or None)
    status, retry_after = 200, 0
    if request.method == "POST":
        posted, status, retry_after = _post_message(
            request,
            form,
            send=lambda content: services.thread_message_post(
                thread=thread, sender=request.user, content=content
            ),
            url=lambda message: _thread_url(thread, f"message-{message.pk}"),
        )
        if posted:
            return posted
    context = _thread_context(request, thread, grant)
    if request.method == "POST":
        context["form"] = form
    response = render(request, "discussions/thread_detail.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(retry_after)
    return response


@login_required
@require_POST
@_closed_threads_lead_to_the_list
def thread_moderate(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Rename, close or reopen: the creator, the instructor and staff."""
    thread, _grant = _visible_thread(request, thread_id)
    action = request.POST.get("action")
    changes: dict[str, Any] = {
        "rename": {"title": request.POST.get("title", "")},
        "close": {"is_active": False},
        "reopen": {"is_active": True},
    }.get(action)
    if changes is None:
        messages.error(request, "Unknown action.")
        return redirect(_thread_url(thread))
    try:
        thread = services.thread_update(thread=thread, actor=request.user, **changes)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_thread_url(thread))
    except PermissionDenied as refused:
        messages.error(request, str(refused))
        return redirect(_thread_url(thread))
    messages.success(
        request,
        {"rename": "Thread renamed.", "close": "Thread closed.", "reopen": "Thread reopened."}[
            action
        ],
    )
    if permissions.thread_access(request.user, thread) is None:
        return redirect("course-discussions", course_id=thread.course_id)
    return redirect(_thread_url(thread))


@login_required
@require_POST
@_closed_threads_lead_to_the_list
def thread_message_delete(request: HttpRequest, thread_id: int, message_id: int) -> HttpResponse:
    thread, _grant = _visible_thread(request, thread_id)
    message = get_object_or_404(ThreadMessage, pk=message_id, thread=thread)
    message.thread = thread
    try:
        services.thread_message_delete(message=message, actor=request.user)
    except PermissionDenied as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Message deleted.")
    return redirect(_thread_url(thread))


@login_required
@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    """My conversations, most recent first, with unread counts; `?to=<username>` starts one."""
    username = request.GET.get("to", "").strip()
    if username:
        partner = User.objects.filter(username__iexact=username, is_active=True).first()
        if partner is not None and permissions.dm_can_message(request.user, partner):
            return redirect("conversation", user_id=partner.pk)
        messages.error(request, f"You cannot send messages to “{username[:150]}”.")
    page = Paginator(selectors.conversations(user=request.user), CONVERSATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "discussions/inbox.html",
        {"page": page, "conversations": selectors.conversations_hydrate(page.object_list)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, user_id: int) -> HttpResponse:
    """Our direct messages, live, with "Seen" on my last message once the other read it."""
    partner = User.objects.filter(pk=user_id).first()
    if partner is None or partner.pk == request.user.pk:
        raise Http404("No such user.")
    dms = selectors.conversation_messages(user=request.user, partner_id=partner.pk)
    can_message = permissions.dm_can_message(request.user, partner)
    blocked = moderation.has_blocked(blocker=request.user, blocked=partner)
    if not can_message and not blocked and not dms.exists():
        raise Http404("No such conversation.")
    form = MessageForm(request.POST or None)
    status, retry_after = 200, 0
    if request.method == "POST":
        posted, status, retry_after = _post_message(
            request,
            form,
            send=lambda content: services.direct_message_send(
                sender=request.user, recipient=partner, content=content
            ),
            url=lambda sent: f"{reverse('conversation', args=[partner.pk])}#dm-{sent.pk}",
        )
        if posted:
            return posted
    before = _cursor(request, "before")
    if before is None:
        services.conversation_mark_read(user=request.user, partner=partner)
    history = selectors.history_page(dms, before=before, limit=HISTORY_PAGE_SIZE)
    mine = [m for m in history.items if m.sender_id == request.user.pk]
    editable_ids = (
        {m.pk for m in mine if permissions.direct_message_can_edit(request.user, m)}
        if can_message
        else set()
    )
    response = render(
        request,
        "discussions/conversation.html",
        {
            "partner": partner,
            "partner_brief": user_brief(partner),
            "history": history,
            "dms": history.items,
            "is_latest": not history.has_newer,
            "seen_id": mine[-1].pk if mine and mine[-1].is_read else None,
            "editable_ids": editable_ids,
            "edit_window_minutes": settings.MESSAGE_EDIT_WINDOW_MINUTES,
            "can_message": can_message,
            "blocked": blocked,
            "form": form if request.method == "POST" else MessageForm(),
        },
        status=status,
    )
    if status == 429:
        response["Retry-After"] = str(retry_after)
    return response
