"""The pages of editing and reacting (docs/discussions.md, "Editing", "Reactions").

Plain forms, so both work without JavaScript; static/js/message-actions.js edits
in place and toggles reactions through the API instead.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from discussions import editing, permissions, reacting, selectors
from discussions.forms import MessageForm
from discussions.models import DirectMessage, ThreadMessage
from discussions.views import _closed_threads_lead_to_the_list, _post_message


def _thread_message(request: HttpRequest, thread_id: int, message_id: int) -> ThreadMessage:
    thread = selectors.thread_find(thread_id=thread_id)
    grant = permissions.thread_member_or_error(request.user, thread)
    message = get_object_or_404(ThreadMessage.objects.select_related("sender"), pk=message_id)
    if message.thread_id != thread.pk or (
        message.hidden_at is not None and not permissions.can_moderate(request.user, thread.course)
    ):
        raise Http404("No such message.")
    message.thread = thread
    message.grant = grant
    return message


def _edit_page(request, *, message, send, back: str, refused: str | None) -> HttpResponse:
    """The edit form of `message`: GET shows it, POST saves through `send` and goes `back`."""
    if refused is not None:
        messages.error(request, refused)
        return redirect(back)
    form = MessageForm(request.POST or None, initial={"content": message.content})
    status, retry_after = 200, 0
    if request.method == "POST":
        saved, status, retry_after = _post_message(request, form, send=send, url=lambda _m: back)
        if saved:
            messages.success(request, "Message edited.")
            return saved
        if status == 403:
            return redirect(back)
    response = render(
        request,
        "discussions/message_edit.html",
        {
            "form": form,
            "message": message,
            "back": back,
            "edit_window_minutes": settings.MESSAGE_EDIT_WINDOW_MINUTES,
        },
        status=status,
    )
    if status == 429:
        response["Retry-After"] = str(retry_after)
    return response


def _edit_refusal(user, course_id: int, allowed: bool) -> str | None:
    mute = permissions.discussion_mute(user, course_id)
    if mute is not None:
        return str(permissions.Muted(mute))
    if not allowed:
        return (
            "Only its author may edit a message, for "
            f"{settings.MESSAGE_EDIT_WINDOW_MINUTES} minutes after posting it."
        )
    return None


@login_required
@require_http_methods(["GET", "POST"])
@_closed_threads_lead_to_the_list
def thread_message_edit(request: HttpRequest, thread_id: int, message_id: int) -> HttpResponse:
    """Edit my own thread message: the form without JavaScript."""
    message = _thread_message(request, thread_id, message_id)
    thread = message.thread
    allowed = permissions.thread_message_can_edit(request.user, message, grant=message.grant)
    return _edit_page(
        request,
        message=message,
        send=lambda content: editing.thread_message_edit(
            message=message, editor=request.user, content=content
        ),
        back=reverse("thread-detail", args=[thread.pk]) + f"#message-{message.pk}",
        refused=_edit_refusal(request.user, thread.course_id, allowed),
    )


@login_required
@require_http_methods(["GET", "POST"])
def direct_message_edit(request: HttpRequest, message_id: int) -> HttpResponse:
    """Edit a direct message I sent: the form without JavaScript."""
    message = get_object_or_404(
        DirectMessage.objects.filter(Q(sender=request.user) | Q(recipient=request.user)),
        pk=message_id,
    )
    partner_id = message.recipient_id if message.sender_id == request.user.pk else message.sender_id
    allowed = permissions.direct_message_can_edit(request.user, message)
    return _edit_page(
        request,
        message=message,
        send=lambda content: editing.direct_message_edit(
            message=message, editor=request.user, content=content
        ),
        back=reverse("conversation", args=[partner_id]) + f"#dm-{message.pk}",
        refused=None
        if allowed
        else (
            "Only its sender may edit a message, for "
            f"{settings.MESSAGE_EDIT_WINDOW_MINUTES} minutes after sending it."
        ),
    )


@login_required
@require_POST
@_closed_threads_lead_to_the_list
def thread_message_react(request: HttpRequest, thread_id: int, message_id: int) -> HttpResponse:
    """Toggle my reaction `emoji` (its name, e.g. thumbs_up) on a message."""
    message = _thread_message(request, thread_id, message_id)
    try:
        reacting.reaction_toggle(
            message=message, user=request.user, emoji=request.POST.get("emoji")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as refused:
        messages.error(request, str(refused))
    return redirect(reverse("thread-detail", args=[message.thread_id]) + f"#message-{message.pk}")
