"""The writes of reactions to thread messages (docs/discussions.md, "Reactions").

Members who may post in a thread toggle one of the fixed emoji on its messages.
Each change publishes `thread.message.reactions` on `thread:{id}` with the
message's reactions as they are now, stored in the changing transaction and
sent on commit.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from discussions import permissions
from discussions.events import thread_topic
from discussions.models import Reaction, ThreadMessage
from discussions.reactions import emoji_from, message_reactions
from lms.catalog.models import User
from lms.realtime.events import publish


def _without_me(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in entry.items() if key != "me"} for entry in entries]


@transaction.atomic
def reaction_set(
    *, message: ThreadMessage, user: User, emoji: Any, on: bool
) -> list[dict[str, Any]]:
    """Add (`on`) or remove the user's `emoji` on `message`; the message's reactions now,
    with `me`. Idempotent: adding twice keeps one, removing a missing one changes nothing.

    Members who may post in the thread react; muted students do not; a hidden
    message takes none. The message row is locked, so concurrent changes to
    one message run one after another and each event tells the state it left.
    """
    emoji = emoji_from(emoji)
    message = (
        ThreadMessage.objects.select_for_update(of=("self",))
        .select_related("thread")
        .get(pk=message.pk)
    )
    thread = message.thread
    if not permissions.thread_can_post(user, thread) or message.hidden_at is not None:
        raise PermissionDenied(
            "This thread is closed." if not thread.is_active else "You may not react here."
        )
    permissions.discussion_write_check(user, thread.course_id)
    if on:
        _reaction, changed = Reaction.objects.get_or_create(message=message, user=user, emoji=emoji)
    else:
        changed = bool(Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()[0])
    summary = message_reactions([message.pk], viewer_id=user.pk).get(message.pk, [])
    if changed:
        publish(
            thread_topic(thread.pk),
            "thread.message.reactions",
            {
                "id": message.pk,
                "thread": thread.pk,
                "reactions": _without_me(summary),
                "actor": user.pk,
                "emoji": emoji,
                "reacted": on,
            },
        )
    return summary


def reaction_toggle(*, message: ThreadMessage, user: User, emoji: Any) -> list[dict[str, Any]]:
    """Remove the user's `emoji` if they reacted with it, else add it (the page's buttons)."""
    emoji = emoji_from(emoji)
    mine = Reaction.objects.filter(message=message, user=user, emoji=emoji).exists()
    return reaction_set(message=message, user=user, emoji=emoji, on=not mine)
