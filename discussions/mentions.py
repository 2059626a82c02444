"""@mentions in thread messages: finding them, resolving them to readers, showing them.

`@username` counts where it does not continue another word (so an email
address is no mention), with the characters of Django usernames
(`[\\w.@+-]`); a trailing full stop ends the sentence, not the name. Names are
matched ignoring case (an exact match wins when two users differ only in case).
Only users who may read the thread (discussions.permissions.thread_readers)
are mentioned; the first MAX_MENTIONS of them in a message count, the rest of
the text stays plain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from discussions.models import DiscussionThread, ThreadMessage
from discussions.permissions import thread_readers
from lms.catalog.models import User

MAX_MENTIONS = 20  # mentioned users per message who are notified and highlighted
MAX_CANDIDATES = 200  # distinct names looked up per message, whatever the text holds

MENTION_RE = re.compile(r"(?<![\w.@+-])@([\w.@+-]+)")


def _name(match: re.Match) -> str:
    return match.group(1).rstrip(".")


def mention_names(content: str) -> list[str]:
    """The names written as `@name` in `content`, as first written, once each whatever the case."""
    seen: dict[str, str] = {}
    for match in MENTION_RE.finditer(content or ""):
        name = _name(match)
        if name and name.lower() not in seen:
            seen[name.lower()] = name
            if len(seen) >= MAX_CANDIDATES:
                break
    return list(seen.values())


def _resolve(names: Iterable[str], readers: Iterable[User]) -> dict[str, User]:
    """lower-cased name -> reader; an exact match first, else the one case-insensitive match."""
    by_lower: dict[str, list[User]] = {}
    for user in readers:
        by_lower.setdefault(user.username.lower(), []).append(user)
    resolved = {}
    for name in names:
        users = by_lower.get(name.lower(), [])
        exact = [u for u in users if u.username == name]
        if exact or len(users) == 1:
            resolved[name.lower()] = (exact or users)[0]
    return resolved


def _readers_named(thread: DiscussionThread, names: set[str]) -> list[User]:
    if not names:
        return []
    return list(
        thread_readers(thread)
        .annotate(username_lower=Lower("username"))
        .filter(username_lower__in=sorted(names))
        .only("id", "username", "first_name", "last_name", "avatar", "deleted_at")
    )


def _mentioned_in(content: str, resolved: dict[str, User]) -> list[User]:
    mentioned: dict[int, User] = {}
    for match in MENTION_RE.finditer(content or ""):
        user = resolved.get(_name(match).lower())
        if user is not None and user.pk not in mentioned:
            mentioned[user.pk] = user
            if len(mentioned) >= MAX_MENTIONS:
                break
    return list(mentioned.values())


def mentioned_readers(*, thread: DiscussionThread, content: str) -> list[User]:
    """The readers of `thread` that `content` mentions, in order, at most MAX_MENTIONS."""
    names = mention_names(content)
    readers = _readers_named(thread, {n.lower() for n in names})
    return _mentioned_in(content, _resolve(names, readers))


def attach_mentions(messages: Sequence[ThreadMessage], *, thread: DiscussionThread) -> None:
    """Set `message.mentioned` on each message of a page of `thread`, in one query in all."""
    names_of = {message.pk: mention_names(message.content) for message in messages}
    every = {name.lower() for names in names_of.values() for name in names}
    readers = _readers_named(thread, every)
    for message in messages:
        resolved = _resolve(names_of[message.pk], readers)
        message.mentioned = _mentioned_in(message.content, resolved)


def message_mentions(message: ThreadMessage) -> list[User]:
    """`message.mentioned` if attached, else resolved now."""
    mentioned = getattr(message, "mentioned", None)
    if mentioned is None:
        mentioned = message.mentioned = mentioned_readers(
            thread=message.thread, content=message.content
        )
    return mentioned


def render_mentions(
    content: str, mentioned: Sequence[User], *, viewer_id: int | None
) -> SafeString:
    """`content` escaped, with each `@name` of a mentioned user wrapped in a mention.

    Another user's mention links to a conversation with them; the viewer's own is
    highlighted. Everything else is the escaped text, as `{{ content }}` shows it.
    """
    resolved = _resolve(mention_names(content), mentioned)
    parts: list[str] = []
    position = 0
    for match in MENTION_RE.finditer(content):
        name = _name(match)
        user = resolved.get(name.lower())
        if user is None:
            continue
        start, end = match.start(), match.start(1) + len(name)
        parts.append(conditional_escape(content[position:start]))
        text = content[start:end]
        if user.pk == viewer_id:
            parts.append(
                format_html(
                    '<span class="mention is-me" data-user-id="{}">{}</span>', user.pk, text
                )
            )
        else:
            parts.append(
                format_html(
                    '<a class="mention" href="{}" data-user-id="{}">{}</a>',
                    reverse("conversation", args=[user.pk]),
                    user.pk,
                    text,
                )
            )
        position = end
    parts.append(conditional_escape(content[position:]))
    return mark_safe("".join(parts))  # every part above is escaped or built by format_html
