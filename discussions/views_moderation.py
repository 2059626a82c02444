"""Moderation pages and forms: the queue, reporting a message, hiding, muting, pinning,
the accepted answer, blocking. Plain POST forms; static/js/moderation.js adds the live queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from discussions import moderation, permissions, selectors
from discussions.events import moderation_topic
from discussions.models import REPORT_REASON_MAX_LENGTH, ThreadMessage
from lms.catalog.models import Course, User
from lms.catalog.permissions import course_member_or_error


def _moderated_course(request: HttpRequest, course_id: int) -> Course:
    course = get_object_or_404(Course, pk=course_id)
    course_member_or_error(user=request.user, course_id=course.pk)
    if not permissions.can_moderate(request.user, course):
        raise PermissionDenied(moderation.NOT_A_MODERATOR)
    return course


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _back(request: HttpRequest, default: str):
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(wanted)
    return redirect(default)


@login_required
@require_http_methods(["GET"])
def moderation_queue(request: HttpRequest, course_id: int) -> HttpResponse:
    """The course's reported messages with their reasons, and who is muted: moderators only."""
    course = _moderated_course(request, course_id)
    return render(
        request,
        "discussions/moderation_queue.html",
        {
            "course": course,
            "groups": moderation.reported_messages(course=course),
            "mutes": moderation.course_mutes_active(course=course),
            "counts": moderation.moderation_counts(course=course),
            "mute_periods": moderation.MUTE_PERIODS,
            "topic": moderation_topic(course.pk),
        },
    )


@login_required
@require_POST
def moderation_action(request: HttpRequest, course_id: int) -> HttpResponse:
    """One of the queue's forms: hide, unhide, dismiss (a `message`), mute or unmute (a `user`)."""
    course = _moderated_course(request, course_id)
    queue_url = reverse("moderation-queue", args=[course.pk])
    action = request.POST.get("action")
    try:
        if action in ("hide", "unhide", "dismiss"):
            message = ThreadMessage.objects.filter(
                pk=_int(request.POST.get("message")), thread__course=course
            ).first()
            if message is None:
                raise Http404("No such message.")
            if action == "hide":
                moderation.message_hide(message=message, actor=request.user)
                done = "Message hidden."
            elif action == "unhide":
                moderation.message_unhide(message=message, actor=request.user)
                done = "Message shown again."
            else:
                moderation.reports_dismiss(message=message, actor=request.user)
                done = "Reports dismissed."
        elif action in ("mute", "unmute"):
            user = User.objects.filter(pk=_int(request.POST.get("user"))).first()
            if user is None:
                raise ValidationError({"user": ["Unknown user."]})
            if action == "mute":
                mute = moderation.course_mute(
                    course=course,
                    user=user,
                    actor=request.user,
                    minutes=_int(request.POST.get("minutes")),
                    reason=request.POST.get("reason", ""),
                )
                done = f"{user.display_name} is muted until {mute.until:%Y-%m-%d %H:%M}."
            else:
                moderation.course_unmute(course=course, user=user, actor=request.user)
                done = f"{user.display_name} may write again."
        else:
            messages.error(request, "Unknown action.")
            return _back(request, queue_url)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, done)
    return _back(request, queue_url)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_http_methods(["GET", "POST"])
def message_report(request: HttpRequest, thread_id: int, message_id: int) -> HttpResponse:
    """Report a message: a small form (the thread page has it inline too)."""
    thread = selectors.thread_find(thread_id=thread_id)
    permissions.thread_member_or_error(request.user, thread)
    message = get_object_or_404(
        ThreadMessage.objects.select_related("sender"),
        pk=message_id,
        thread=thread,
        hidden_at__isnull=True,
    )
    message.thread = thread
    error = ""
    status = 200
    if request.method == "POST":
        try:
            _report, created = moderation.message_report(
                message=message, reporter=request.user, reason=request.POST.get("reason", "")
            )
        except ValidationError as refused:
            error, status = _errors(refused), 400
        except PermissionDenied as refused:
            error, status = str(refused), 403
        else:
            messages.success(
                request,
                "Thank you: the moderators will look at it."
                if created
                else "You already reported this message; the moderators will look at it.",
            )
            return redirect(moderation.message_url(message))
    return render(
        request,
        "discussions/message_report.html",
        {
            "thread": thread,
            "message": message,
            "error": error,
            "reason": request.POST.get("reason", ""),
            "reason_max": REPORT_REASON_MAX_LENGTH,
        },
        status=status,
    )


@login_required
@require_POST
def thread_pin(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = selectors.thread_find(thread_id=thread_id)
    permissions.thread_member_or_error(request.user, thread)
    pinned = request.POST.get("action") != "unpin"
    moderation.thread_pin(thread=thread, actor=request.user, pinned=pinned)
    messages.success(request, "Thread pinned." if pinned else "Thread unpinned.")
    return redirect("thread-detail", thread_id=thread.pk)


@login_required
@require_POST
def thread_accept(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Mark a message the accepted answer (`message`), or clear it (`action=clear`)."""
    thread = selectors.thread_find(thread_id=thread_id)
    permissions.thread_member_or_error(request.user, thread)
    message = None
    if request.POST.get("action") != "clear":
        message = ThreadMessage.objects.filter(
            pk=_int(request.POST.get("message")), thread=thread
        ).first()
        if message is None:
            raise Http404("No such message.")
    try:
        moderation.thread_accept(thread=thread, actor=request.user, message=message)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(
            request, "Accepted answer marked." if message else "Accepted answer cleared."
        )
    url = reverse("thread-detail", args=[thread.pk])
    return redirect(f"{url}#message-{message.pk}" if message else url)


@login_required
@require_POST
def user_block(request: HttpRequest, user_id: int) -> HttpResponse:
    """Block or unblock (`action=unblock`) the user of a conversation."""
    other = User.objects.filter(pk=user_id, is_active=True).first()
    if other is None or other.pk == request.user.pk:
        raise Http404("No such user.")
    if request.POST.get("action") == "unblock":
        moderation.user_unblock(blocker=request.user, blocked=other)
        messages.success(request, f"You unblocked {other.display_name}.")
    else:
        moderation.user_block(blocker=request.user, blocked=other)
        messages.success(
            request,
            f"You blocked {other.display_name}: neither of you can message the other now.",
        )
    return redirect("conversation", user_id=other.pk)
