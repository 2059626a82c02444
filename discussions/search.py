"""Search of a course's discussions and of one's own direct messages (docs/discussions.md).

On PostgreSQL: full-text search (`websearch_to_tsquery` syntax: words, "quoted
phrases", -excluded words, `or`), ranked by `ts_rank`, highlighted by
`ts_headline`, over the GIN indexes of migration 0004, whose expressions
`_vector` repeats so that the planner uses them. Elsewhere (SQLite): every word
must appear (`icontains`), newest first, highlighted in Python.

Who may see what comes from discussions.permissions; a search finds nothing a
page would not show: no hidden message, no thread closed to a student, no
other pair's direct messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from discussions.permissions import threads_visible_to
from lms.catalog.models import User

SEARCH_CONFIG = "english"
QUERY_MAX_LENGTH = 200
# The thread and conversation pages show this many messages, the newest first; a
# result further back links to the page that holds it (`?before=`).
HISTORY_PAGE_SIZE = 50
SNIPPET_MAX_CHARS = 240

THREAD, MESSAGE, DIRECT_MESSAGE = "thread", "message", "direct_message"

# ts_headline marks matches with these and drops whatever its parser takes for an
# HTML tag, so the text reaches it with < and > swapped for stand-ins; all four are
# private-use characters removed from the text first, then turned into HTML after
# the text is escaped.
_START, _STOP, _LT, _GT = "\ue000", "\ue001", "\ue002", "\ue003"
_HTML_OF_MARKERS = {_START: "<mark>", _STOP: "</mark>", _LT: "&lt;", _GT: "&gt;"}


def clean_query(value: Any) -> str:
    """The search text, trimmed: 1 to 200 characters, else a ValidationError on `q`."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError({"q": ["Type something to search for."]})
    if len(text) > QUERY_MAX_LENGTH:
        raise ValidationError(
            {"q": [f"Search for at most {QUERY_MAX_LENGTH} characters (you typed {len(text)})."]}
        )
    return text


def full_text() -> bool:
    """Whether the database does full-text search; otherwise the `icontains` fallback."""
    return connection.vendor == "postgresql"


# --- the queries ----------------------------------------------------------------


def _vector(field: str, weight: str | None = None) -> SearchVector:
    # Without a weight, the very expression of the GIN indexes (migration 0004).
    return SearchVector(field, config=SEARCH_CONFIG, weight=weight)


def _ts_query(text: str) -> SearchQuery:
    return SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")


@dataclass(frozen=True)
class _Terms:
    """The fallback's reading of a query: words or "phrases" that must, or must not, appear."""

    include: tuple[str, ...]
    exclude: tuple[str, ...]


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')


def _terms(text: str) -> _Terms:
    include, exclude = [], []
    for match in _TOKEN.finditer(text):
        negated = bool(match.group(1) or match.group(3))
        term = (match.group(2) if match.group(2) is not None else match.group(4)).strip('"')
        term = term.strip()
        if not term or (not negated and term.lower() == "or"):
            continue
        (exclude if negated else include).append(term)
    return _Terms(include=tuple(include), exclude=tuple(exclude))


def _matching(queryset: QuerySet, field: str, text: str) -> QuerySet:
    """`queryset` narrowed to rows whose `field` matches, with their `rank`."""
    if full_text():
        query = _ts_query(text)
        # Weights rank a title match (A) above the same match in a message (B).
        weight = "A" if field == "title" else "B"
        return (
            queryset.annotate(document=_vector(field))
            .filter(document=query)
            .annotate(rank=SearchRank(_vector(field, weight), query))
        )
    terms = _terms(text)
    for term in terms.include:
        queryset = queryset.filter(**{f"{field}__icontains": term})
    for term in terms.exclude:
        queryset = queryset.exclude(**{f"{field}__icontains": term})
    return queryset.annotate(rank=Value(0.0, output_field=FloatField()))


def _hits(queryset: QuerySet, kind: str) -> QuerySet:
    return queryset.annotate(kind=Value(kind)).values("kind", "id", "rank", "created_at")


def _best_first(hits: QuerySet) -> QuerySet:
    return hits.order_by("-rank", "-created_at", "-id")


def course_search(*, user: User, course_id: int, text: str) -> QuerySet:
    """Hits `{kind, id, rank, created_at}` among the course's threads (by title) and thread
    messages that `user` may read, best first; hydrate a page with `search_results`.

    The caller checks `user` takes part in the course (course_member_or_error)."""
    threads = threads_visible_to(user).filter(course_id=course_id)
    messages = ThreadMessage.objects.filter(thread__in=threads.values("pk"), hidden_at__isnull=True)
    thread_hits = _hits(_matching(threads.order_by(), "title", text), THREAD)
    message_hits = _hits(_matching(messages.order_by(), "content", text), MESSAGE)
    return _best_first(thread_hits.union(message_hits, all=True))


def direct_message_search(*, user: User, text: str) -> QuerySet:
    """Hits among the direct messages `user` sent or received, best first."""
    messages = DirectMessage.objects.filter(Q(sender=user) | Q(recipient=user)).order_by()
    return _best_first(_hits(_matching(messages, "content", text), DIRECT_MESSAGE))


# --- a page of results ------------------------------------------------------------


@dataclass
class SearchResult:
    type: str
    id: int
    thread: int | None
    course: int | None
    title: str
    snippet: SafeString
    sender: User
    created_at: datetime
    url: str
    partner: User | None = None


def _headline(field: str, text: str) -> SearchHeadline:
    # translate(): < and > to their stand-ins; the markers, if anyone typed them, removed.
    safe_text = Func(
        F(field),
        Value("<>" + _START + _STOP + _LT + _GT),
        Value(_LT + _GT),
        function="translate",
        output_field=TextField(),
    )
    # A title whole; of a message, the best stretch of 15 to 35 words around the matches.
    options = {"highlight_all": True} if field == "title" else {"max_words": 35, "min_words": 15}
    return SearchHeadline(
        safe_text,
        _ts_query(text),
        config=SEARCH_CONFIG,
        start_sel=_START,
        stop_sel=_STOP,
        **options,
    )


def _headline_html(headline: str) -> SafeString:
    html = escape(headline, quote=True)
    for marker, replacement in _HTML_OF_MARKERS.items():
        html = html.replace(marker, replacement)
    return mark_safe(html)  # noqa: S308  (escaped above; only our markers became tags)


def _plain_snippet(content: str, text: str) -> SafeString:
    """The fallback's snippet: a window around the first match, escaped, matches in <mark>."""
    terms = sorted(_terms(text).include, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    first = pattern.search(content) if terms else None
    start = 0
    if first is not None and first.start() > SNIPPET_MAX_CHARS // 3:
        start = first.start() - SNIPPET_MAX_CHARS // 3
        space = content.find(" ", start, first.start())
        start = space + 1 if space != -1 else start
    window = content[start : start + SNIPPET_MAX_CHARS]
    pieces = ["… " if start else ""]
    position = 0
    for match in pattern.finditer(window) if terms else ():
        pieces.append(escape(window[position : match.start()]))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    pieces.append(escape(window[position:]))
    if start + SNIPPET_MAX_CHARS < len(content):
        pieces.append(" …")
    return mark_safe("".join(pieces))  # noqa: S308  (every piece of text escaped)


def _snippet(row: Any, field: str, text: str) -> SafeString:
    if full_text():
        return _headline_html(row.headline)
    return _plain_snippet(getattr(row, field), text)


def _with_headlines(queryset: QuerySet, field: str, text: str) -> QuerySet:
    return queryset.annotate(headline=_headline(field, text)) if full_text() else queryset


def _page_url(path: str, anchor: str, message_id: int, newer: int) -> str:
    """The page that shows the message: the latest, or the one ending with it."""
    if newer >= HISTORY_PAGE_SIZE:
        path = f"{path}?before={message_id + 1}"
    return f"{path}#{anchor}"


def _count(queryset: QuerySet) -> Subquery:
    """How many rows `queryset` holds, as a subquery (0 when none)."""
    counted = queryset.order_by().annotate(count=Func(F("pk"), function="COUNT"))
    return Coalesce(Subquery(counted.values("count")), 0)


def search_results(hits: Sequence[dict[str, Any]], *, user: User, text: str) -> list[SearchResult]:
    """The results of a page of hits, in their order: one query per kind on the page."""
    ids: dict[str, list[int]] = {THREAD: [], MESSAGE: [], DIRECT_MESSAGE: []}
    for hit in hits:
        ids[hit["kind"]].append(hit["id"])
    results: dict[tuple[str, int], SearchResult] = {}
    if ids[THREAD]:
        threads = DiscussionThread.objects.filter(pk__in=ids[THREAD]).select_related("created_by")
        for thread in _with_headlines(threads, "title", text):
            results[THREAD, thread.pk] = SearchResult(
                type=THREAD,
                id=thread.pk,
                thread=thread.pk,
                course=thread.course_id,
                title=thread.title,
                snippet=_snippet(thread, "title", text),
                sender=thread.created_by,
                created_at=thread.created_at,
                url=reverse("thread-detail", args=[thread.pk]),
            )
    if ids[MESSAGE]:
        newer = _count(
            ThreadMessage.objects.filter(thread_id=OuterRef("thread_id"), pk__gt=OuterRef("pk"))
        )
        messages = (
            ThreadMessage.objects.filter(pk__in=ids[MESSAGE])
            .select_related("sender", "thread")
            .annotate(newer=newer)
        )
        for message in _with_headlines(messages, "content", text):
            results[MESSAGE, message.pk] = SearchResult(
                type=MESSAGE,
                id=message.pk,
                thread=message.thread_id,
                course=message.thread.course_id,
                title=message.thread.title,
                snippet=_snippet(message, "content", text),
                sender=message.sender,
                created_at=message.created_at,
                url=_page_url(
                    reverse("thread-detail", args=[message.thread_id]),
                    f"message-{message.pk}",
                    message.pk,
                    message.newer,
                ),
            )
    if ids[DIRECT_MESSAGE]:
        pair = Q(sender_id=OuterRef("sender_id"), recipient_id=OuterRef("recipient_id")) | Q(
            sender_id=OuterRef("recipient_id"), recipient_id=OuterRef("sender_id")
        )
        newer = _count(DirectMessage.objects.filter(pair, pk__gt=OuterRef("pk")))
        dms = (
            DirectMessage.objects.filter(pk__in=ids[DIRECT_MESSAGE])
            .select_related("sender", "recipient")
            .annotate(newer=newer)
        )
        for dm in _with_headlines(dms, "content", text):
            partner = dm.recipient if dm.sender_id == user.pk else dm.sender
            results[DIRECT_MESSAGE, dm.pk] = SearchResult(
                type=DIRECT_MESSAGE,
                id=dm.pk,
                thread=None,
                course=None,
                title=partner.display_name,
                snippet=_snippet(dm, "content", text),
                sender=dm.sender,
                created_at=dm.created_at,
                url=_page_url(
                    reverse("conversation", args=[partner.pk]), f"dm-{dm.pk}", dm.pk, dm.newer
                ),
                partner=partner,
            )
    return [results[hit["kind"], hit["id"]] for hit in hits if (hit["kind"], hit["id"]) in results]
