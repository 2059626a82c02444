"""Reactions to thread messages (docs/discussions.md, "Reactions"): the emoji and the reads.

One of the fixed emoji (`Reaction.Emoji`) per user per message. The writes are
in reacting.py; the message shape (serializers.py) reads its reactions here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError

from discussions.models import Reaction, ThreadMessage
from lms.catalog.models import User

NAMES_SHOWN = 10  # names of who reacted, per emoji, in `users` (the rest is the count)
USER_IDS_SHOWN = 100  # ids of who reacted, per emoji, in `user_ids`

EMOJI_ORDER = [choice.value for choice in Reaction.Emoji]
# "thumbs_up" -> "👍": the names that URLs and forms use.
EMOJI_BY_NAME = {choice.name.lower(): choice.value for choice in Reaction.Emoji}
NAME_BY_EMOJI = {value: name for name, value in EMOJI_BY_NAME.items()}
LABEL_BY_EMOJI = {choice.value: choice.label for choice in Reaction.Emoji}
# The "add a reaction" menu, as pages and scripts show it.
EMOJI_OPTIONS = [
    {"emoji": emoji, "name": NAME_BY_EMOJI[emoji], "label": LABEL_BY_EMOJI[emoji]}
    for emoji in EMOJI_ORDER
]


def emoji_from(value: Any) -> str:
    """The emoji that `value` names: its name (`thumbs_up`) or the emoji itself; else a 400."""
    if isinstance(value, str):
        if value in NAME_BY_EMOJI:
            return value
        emoji = EMOJI_BY_NAME.get(value.strip().lower())
        if emoji is not None:
            return emoji
    raise ValidationError(
        {"emoji": [f"Choose one of: {', '.join(EMOJI_BY_NAME)} (or the emoji itself)."]}
    )


# ------------------------------------------------------------------------- selectors


def _summaries(
    reactions: Iterable[Reaction], *, viewer_id: int | None
) -> dict[int, list[dict[str, Any]]]:
    by_message: dict[int, dict[str, list[User]]] = {}
    for reaction in reactions:
        by_message.setdefault(reaction.message_id, {}).setdefault(reaction.emoji, []).append(
            reaction.user
        )
    summaries = {}
    for message_id, by_emoji in by_message.items():
        entries = []
        for emoji in EMOJI_ORDER:
            users = by_emoji.get(emoji)
            if not users:
                continue
            entry = {
                "emoji": emoji,
                "name": NAME_BY_EMOJI[emoji],
                "label": LABEL_BY_EMOJI[emoji],
                "count": len(users),
                "users": [user.display_name for user in users[:NAMES_SHOWN]],
                "user_ids": [user.pk for user in users[:USER_IDS_SHOWN]],
            }
            if viewer_id is not None:
                entry["me"] = any(user.pk == viewer_id for user in users)
            entries.append(entry)
        summaries[message_id] = entries
    return summaries


def message_reactions(
    message_ids: Sequence[int], *, viewer_id: int | None = None
) -> dict[int, list[dict[str, Any]]]:
    """message id -> its reactions `[{emoji, name, label, count, users, user_ids, me?}]`,
    emoji in the fixed order, people in the order they reacted; `me` only for a viewer.

    One query for any number of messages.
    """
    if not message_ids:
        return {}
    reactions = (
        Reaction.objects.filter(message_id__in=list(message_ids))
        .select_related("user")
        .only(
            "message_id",
            "emoji",
            "user__id",
            "user__username",
            "user__first_name",
            "user__last_name",
            "user__deleted_at",
        )
        .order_by("message_id", "created_at", "id")
    )
    return _summaries(reactions, viewer_id=viewer_id)


def attach_reactions(messages: Sequence[ThreadMessage], *, viewer: User | None = None) -> None:
    """Set `message.reaction_summary` on each message of a page, in one query in all."""
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    summaries = message_reactions([message.pk for message in messages], viewer_id=viewer_id)
    for message in messages:
        message.reaction_summary = summaries.get(message.pk, [])
        message.reaction_options = [
            {
                "emoji": emoji,
                "name": NAME_BY_EMOJI[emoji],
                "label": LABEL_BY_EMOJI[emoji],
                "me": any(
                    entry["emoji"] == emoji and entry.get("me")
                    for entry in message.reaction_summary
                ),
            }
            for emoji in EMOJI_ORDER
        ]


def reactions_of(message: ThreadMessage) -> list[dict[str, Any]]:
    """`message.reaction_summary` if attached, else read now (without `me`)."""
    summary = getattr(message, "reaction_summary", None)
    if summary is None:
        summary = message.reaction_summary = message_reactions([message.pk]).get(message.pk, [])
    return summary
