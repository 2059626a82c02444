"""Full-text search on PostgreSQL: ranking, web-search syntax, highlighting and its indexes;
the same migration on SQLite (docs/discussions.md, Search)."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from discussions import search
from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from tests.discussions.factories import DirectMessageFactory, ThreadFactory, ThreadMessageFactory

pytestmark = pytest.mark.django_db

INDEXES = {
    "discussionthread_title_fts": "discussions_discussionthread",
    "threadmessage_content_fts": "discussions_threadmessage",
    "directmessage_content_fts": "discussions_directmessage",
}


def course_search(client, course, q):
    response = client.get(f"/api/courses/{course.pk}/search/", {"q": q})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(results):
    return [(result["type"], result["id"]) for result in results]


class TestRanking:
    def test_a_title_match_ranks_above_a_message_match(self, postgres, cast, active_thread):
        message = ThreadMessageFactory(
            thread=active_thread, sender=cast.creator, content="I wonder about recursion."
        )
        thread = ThreadFactory(course=cast.course, created_by=cast.creator, title="Recursion")
        results = course_search(cast.client("enrolled"), cast.course, "recursion")
        assert ids(results) == [("thread", thread.pk), ("message", message.pk)]

    def test_more_matches_rank_higher_even_if_older(self, postgres, cast, active_thread):
        strong = ThreadMessageFactory(
            thread=active_thread,
            sender=cast.creator,
            content="Recursion, recursion: recursive functions call themselves recursively.",
        )
        weak = ThreadMessageFactory(
            thread=active_thread,
            sender=cast.creator,
            content="Tomorrow we cover loops, lists, dictionaries and maybe recursion.",
        )
        results = course_search(cast.client("enrolled"), cast.course, "recursion")
        assert ids(results) == [("message", strong.pk), ("message", weak.pk)]

    def test_words_are_stemmed(self, postgres, cast, active_thread):
        message = ThreadMessageFactory(
            thread=active_thread, sender=cast.creator, content="Recursive calls everywhere"
        )
        results = course_search(cast.client("enrolled"), cast.course, "recursion")
        assert ids(results) == [("message", message.pk)]
        assert results[0]["snippet"] == "<mark>Recursive</mark> calls everywhere"


class TestWebSearchSyntax:
    @pytest.fixture
    def messages(self, cast, active_thread):
        def post(content):
            return ThreadMessageFactory(thread=active_thread, sender=cast.creator, content=content)

        return {
            "phrase": post("The final exam is on Friday"),
            "apart": post("Final grades after the exam"),
            "rooms": post("Final exam rooms are listed"),
            "quiz": post("A quiz on Monday"),
        }

    @pytest.mark.parametrize(
        ("q", "expected"),
        [
            ('"final exam"', {"phrase", "rooms"}),
            ("final exam", {"phrase", "apart", "rooms"}),
            ('"final exam" -rooms', {"phrase"}),
            ("exam -final", set()),
            ("quiz or friday", {"phrase", "quiz"}),
        ],
    )
    def test_quotes_exclusions_and_or(self, postgres, cast, messages, q, expected):
        results = course_search(cast.client("enrolled"), cast.course, q)
        by_id = {message.pk: name for name, message in messages.items()}
        assert {by_id[result["id"]] for result in results} == expected

    def test_any_text_is_a_valid_query(self, postgres, cast, active_thread):
        for q in ['"', "-", "a & | ! (b", "'; drop table x; --", ":*", "<->"]:
            course_search(cast.client("enrolled"), cast.course, q)


class TestHighlighting:
    def test_script_stays_text(self, postgres, cast, active_thread):
        ThreadMessageFactory(
            thread=active_thread,
            sender=cast.creator,
            content="<script>alert(1)</script> exam tips <img src=x onerror=alert(2)>",
        )
        [result] = course_search(cast.client("enrolled"), cast.course, "exam")
        assert result["snippet"] == (
            "&lt;script&gt;alert(1)&lt;/script&gt; <mark>exam</mark> tips "
            "&lt;img src=x onerror=alert(2)&gt;"
        )

    def test_a_title_is_highlighted_whole(self, postgres, cast):
        ThreadFactory(course=cast.course, created_by=cast.creator, title="<b>Exam</b> & exams")
        [result] = course_search(cast.client("enrolled"), cast.course, "exam")
        assert result["snippet"] == "&lt;b&gt;<mark>Exam</mark>&lt;/b&gt; &amp; <mark>exams</mark>"


class TestIndexes:
    def test_the_gin_indexes_exist(self, postgres):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
                [list(INDEXES)],
            )
            rows = {name: (table, definition) for name, table, definition in cursor.fetchall()}
        assert {name: table for name, (table, _) in rows.items()} == INDEXES
        for _, definition in rows.values():
            assert "USING gin (to_tsvector('english'::regconfig" in definition

    @pytest.mark.parametrize(
        ("model", "field", "index"),
        [
            (ThreadMessage, "content", "threadmessage_content_fts"),
            (DirectMessage, "content", "directmessage_content_fts"),
            (DiscussionThread, "title", "discussionthread_title_fts"),
        ],
    )
    def test_the_search_uses_the_index(self, postgres, cast, active_thread, model, field, index):
        ThreadMessageFactory.create_batch(3, thread=active_thread, sender=cast.creator)
        DirectMessageFactory(sender=cast.enrolled, recipient=cast.creator)
        queryset = search._matching(model.objects.order_by(), field, "recursion").values("id")
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            plan = queryset.explain()
        assert index in plan, plan

    def test_the_indexes_go_and_come_back_with_the_migration(self, postgres):
        migration = importlib.import_module("discussions.migrations.0004_search_indexes")
        loader = MigrationLoader(connection)
        before = loader.project_state(("discussions", "0003_unread_follow_edit_react_moderate"))
        after = loader.project_state(("discussions", "0004_search_indexes"))
        with connection.schema_editor() as editor:
            for operation in reversed(migration.Migration.operations):
                operation.database_backwards("discussions", editor, after, before)
        assert not set(INDEXES) & _index_names()
        with connection.schema_editor() as editor:
            for operation in migration.Migration.operations:
                operation.database_forwards("discussions", editor, before, after)
        assert set(INDEXES) <= _index_names()


def _index_names() -> set[str]:
    with connection.cursor() as cursor:
        return (
            set(connection.introspection.get_constraints(cursor, "discussions_threadmessage"))
            | set(connection.introspection.get_constraints(cursor, "discussions_directmessage"))
            | set(connection.introspection.get_constraints(cursor, "discussions_discussionthread"))
        )


def test_the_migration_applies_on_any_database(db):
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("discussions", "0004_search_indexes") in applied
    if connection.vendor != "postgresql":
        assert not set(INDEXES) & _index_names()
        assert search.full_text() is False
