"""Search of course discussions and direct messages over the API (docs/discussions.md, Search).

Every test of what a user may find runs twice: with the database's own search
(full text on PostgreSQL, `icontains` on SQLite) and with the `icontains`
fallback forced, so both paths keep the same access rules.
"""

import pytest
from django.utils import timezone

from discussions import api_search, search
from tests.discussions.factories import DirectMessageFactory, ThreadFactory, ThreadMessageFactory
from tests.factories import CourseFactory, InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["database", "fallback"])
def mode(request, monkeypatch):
    if request.param == "fallback":
        monkeypatch.setattr(search, "full_text", lambda: False)
    return request.param


@pytest.fixture
def fallback(monkeypatch):
    monkeypatch.setattr(search, "full_text", lambda: False)


def course_search(client, course, q, **params):
    return client.get(f"/api/courses/{course.pk}/search/", {"q": q, **params})


def found(response):
    assert response.status_code == 200, response.content
    return [(result["type"], result["id"]) for result in response.json()["results"]]


class TestCourseSearch:
    def test_finds_threads_by_title_and_messages_by_content(self, cast, active_thread, mode):
        thread = ThreadFactory(course=cast.course, created_by=cast.creator, title="Recursion help")
        message = ThreadMessageFactory(
            thread=active_thread, sender=cast.creator, content="Is recursion on the exam?"
        )
        ThreadMessageFactory(thread=active_thread, sender=cast.creator, content="Lunch at noon")
        results = found(course_search(cast.client("enrolled"), cast.course, "recursion"))
        assert sorted(results) == sorted([("thread", thread.pk), ("message", message.pk)])

    def test_result_shape(self, cast, active_thread, mode):
        message = ThreadMessageFactory(
            thread=active_thread, sender=cast.creator, content="Where is the syllabus?"
        )
        body = course_search(cast.client("enrolled"), cast.course, "syllabus").json()
        assert body["count"] == 1 and body["next"] is None and body["previous"] is None
        [result] = body["results"]
        assert result == {
            "type": "message",
            "id": message.pk,
            "thread": active_thread.pk,
            "course": cast.course.pk,
            "title": "Week 1 questions",
            "snippet": result["snippet"],
            "sender": {
                "id": cast.creator.pk,
                "name": cast.creator.display_name,
                "avatar": result["sender"]["avatar"],
            },
            "partner": None,
            "created_at": result["created_at"],
            "url": f"/threads/{active_thread.pk}/#message-{message.pk}",
        }
        assert "<mark>syllabus</mark>" in result["snippet"]

    def test_a_thread_result_links_to_the_thread(self, cast, active_thread, mode):
        [result] = course_search(cast.client("enrolled"), cast.course, "week").json()["results"]
        assert result["type"] == "thread"
        assert result["url"] == f"/threads/{active_thread.pk}/"
        assert result["snippet"] == "<mark>Week</mark> 1 questions"
        assert result["sender"]["name"] == cast.creator.display_name

    def test_an_older_message_links_to_the_page_that_holds_it(self, cast, active_thread, mode):
        old = ThreadMessageFactory(thread=active_thread, sender=cast.creator, content="Glossary")
        ThreadMessageFactory.create_batch(
            search.HISTORY_PAGE_SIZE, thread=active_thread, sender=cast.creator, content="later"
        )
        [result] = course_search(cast.client("enrolled"), cast.course, "glossary").json()["results"]
        assert result["url"] == f"/threads/{active_thread.pk}/?before={old.pk + 1}#message-{old.pk}"

    def test_snippet_is_escaped_user_text(self, cast, active_thread, mode):
        ThreadMessageFactory(
            thread=active_thread,
            sender=cast.creator,
            content='<script>alert("x")</script> the exam & a<b>c',
        )
        [result] = course_search(cast.client("enrolled"), cast.course, "exam").json()["results"]
        snippet = result["snippet"]
        assert "<script>" not in snippet and "<b>" not in snippet
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in snippet
        assert "<mark>exam</mark> &amp; a&lt;b&gt;c" in snippet

    def test_the_markers_cannot_be_typed(self, cast, active_thread, mode):
        ThreadMessageFactory(
            thread=active_thread, sender=cast.creator, content="\ue000oops\ue001 <i>topic</i>"
        )
        [result] = course_search(cast.client("enrolled"), cast.course, "topic").json()["results"]
        assert result["snippet"].count("<mark>") == 1
        assert "<mark>topic</mark>" in result["snippet"]
        assert "<mark>oops" not in result["snippet"] and "<i>" not in result["snippet"]

    def test_deleted_sender_shows_as_deleted_user(self, cast, active_thread, mode):
        ThreadMessageFactory(thread=active_thread, sender=cast.creator, content="farewell note")
        cast.creator.deleted_at = timezone.now()
        cast.creator.save(update_fields=["deleted_at"])
        [result] = course_search(cast.client("enrolled"), cast.course, "farewell").json()["results"]
        assert result["sender"]["name"] == "deleted user"


class TestCourseSearchAccess:
    def test_student_never_finds_another_course(self, cast, active_thread, mode):
        other = ThreadFactory(title="Secret plans")
        ThreadMessageFactory(thread=other, content="secret plans inside")
        assert found(course_search(cast.client("enrolled"), cast.course, "secret")) == []
        refused = course_search(cast.client("enrolled"), other.course, "secret")
        assert refused.status_code == 403

    def test_hidden_and_deleted_messages_are_never_found(self, cast, active_thread, mode):
        ThreadMessageFactory(
            thread=active_thread,
            sender=cast.creator,
            content="spoiler answer",
            hidden_at=timezone.now(),
        )
        deleted = ThreadMessageFactory(
            thread=active_thread, sender=cast.creator, content="spoiler gone"
        )
        deleted.delete()
        for role in ("enrolled", "instructor", "staff"):
            assert found(course_search(cast.client(role), cast.course, "spoiler")) == []

    def test_closed_threads_only_for_instructor_and_staff(self, cast, closed_thread, mode):
        message = ThreadMessageFactory(
            thread=closed_thread, sender=cast.creator, content="old exam answers"
        )
        expected = sorted([("thread", closed_thread.pk), ("message", message.pk)])
        assert found(course_search(cast.client("enrolled"), cast.course, "exam")) == []
        assert found(course_search(cast.client("creator"), cast.course, "exam")) == []
        for role in ("instructor", "staff"):
            assert sorted(found(course_search(cast.client(role), cast.course, "exam"))) == expected

    @pytest.mark.parametrize(("role", "status"), [("unenrolled", 403), ("anonymous", 401)])
    def test_outsiders_are_refused(self, cast, active_thread, role, status):
        assert course_search(cast.client(role), cast.course, "week").status_code == status

    def test_instructor_of_another_course_is_refused(self, cast, active_thread):
        client = cast.client("instructor")
        client.force_authenticate(InstructorFactory())
        assert course_search(client, cast.course, "week").status_code == 403

    def test_unknown_or_unpublished_course_is_404(self, cast):
        hidden = CourseFactory(is_published=False)
        client = cast.client("enrolled")
        assert course_search(client, hidden, "x").status_code == 404
        assert client.get("/api/courses/999999/search/", {"q": "x"}).status_code == 404

    def test_refusal_comes_before_the_query_is_read(self, cast):
        assert course_search(cast.client("unenrolled"), cast.course, "").status_code == 403


class TestQueryValidation:
    @pytest.mark.parametrize("q", ["", "   ", "x" * 201])
    def test_empty_or_too_long_query_is_400(self, cast, q):
        response = course_search(cast.client("enrolled"), cast.course, q)
        assert response.status_code == 400
        assert list(response.json()) == ["q"]
        assert cast.client("enrolled").get("/api/messages/search/", {"q": q}).status_code == 400

    def test_missing_query_is_400(self, cast):
        response = cast.client("enrolled").get(f"/api/courses/{cast.course.pk}/search/")
        assert response.status_code == 400 and "q" in response.json()

    def test_200_characters_after_trimming_are_fine(self, cast, active_thread):
        q = "  " + "x" * 200 + "  "
        assert found(course_search(cast.client("enrolled"), cast.course, q)) == []


class TestPagination:
    def test_pages_of_results(self, cast, active_thread, mode, django_assert_max_num_queries):
        ThreadMessageFactory.create_batch(
            25, thread=active_thread, sender=cast.creator, content="pagination topic"
        )
        client = cast.client("enrolled")
        with django_assert_max_num_queries(8):
            first = course_search(client, cast.course, "pagination").json()
        assert first["count"] == 25 and len(first["results"]) == 20
        assert first["previous"] is None and "page=2" in first["next"]
        second = client.get(first["next"]).json()
        assert len(second["results"]) == 5 and second["next"] is None
        ids = [r["id"] for r in first["results"] + second["results"]]
        assert len(set(ids)) == 25

    def test_unknown_page_is_404(self, cast, active_thread):
        response = course_search(cast.client("enrolled"), cast.course, "week", page=9)
        assert response.status_code == 404


class TestDirectMessageSearch:
    def test_finds_only_my_conversations(self, cast, mode):
        me, friend, stranger = cast.enrolled, cast.creator, UserFactory()
        sent = DirectMessageFactory(sender=me, recipient=friend, content="see the quiz")
        received = DirectMessageFactory(sender=friend, recipient=me, content="quiz at ten")
        DirectMessageFactory(sender=friend, recipient=stranger, content="quiz secrets")
        response = cast.client("enrolled").get("/api/messages/search/", {"q": "quiz"})
        assert sorted(found(response)) == sorted(
            [("direct_message", sent.pk), ("direct_message", received.pk)]
        )
        result = next(r for r in response.json()["results"] if r["id"] == sent.pk)
        assert result["thread"] is None and result["course"] is None
        assert result["title"] == friend.display_name
        assert result["partner"]["id"] == friend.pk
        assert result["sender"]["id"] == me.pk
        assert result["url"] == f"/messages/{friend.pk}/#dm-{sent.pk}"

    def test_another_pair_finds_nothing_of_mine(self, cast, mode):
        DirectMessageFactory(sender=cast.enrolled, recipient=cast.creator, content="private note")
        response = cast.client("staff").get("/api/messages/search/", {"q": "private"})
        assert found(response) == []

    def test_anonymous_is_401(self, cast):
        response = cast.client("anonymous").get("/api/messages/search/", {"q": "x"})
        assert response.status_code == 401


class TestFallback:
    """SQLite's search: every word must appear, "phrases" whole, -word excluded; newest first."""

    def test_every_word_must_appear_newest_first(self, cast, active_thread, fallback):
        older = ThreadMessageFactory(
            thread=active_thread, sender=cast.creator, content="Loops and recursion"
        )
        newer = ThreadMessageFactory(
            thread=active_thread, sender=cast.creator, content="RECURSION beats loops"
        )
        ThreadMessageFactory(thread=active_thread, sender=cast.creator, content="only loops")
        results = found(course_search(cast.client("enrolled"), cast.course, "loops recursion"))
        assert results == [("message", newer.pk), ("message", older.pk)]

    def test_phrases_and_exclusions(self, cast, active_thread, fallback):
        phrase = ThreadMessageFactory(
            thread=active_thread, sender=cast.creator, content="the final exam is hard"
        )
        ThreadMessageFactory(thread=active_thread, sender=cast.creator, content="the exam is final")
        ThreadMessageFactory(
            thread=active_thread, sender=cast.creator, content="final exam rooms, no quiz"
        )
        results = found(course_search(cast.client("enrolled"), cast.course, '"final exam" -rooms'))
        assert results == [("message", phrase.pk)]

    def test_highlight_is_escaped_and_case_insensitive(self, cast, active_thread, fallback):
        ThreadMessageFactory(
            thread=active_thread, sender=cast.creator, content="<b>Exam</b> & the EXAM"
        )
        [result] = course_search(cast.client("enrolled"), cast.course, "exam").json()["results"]
        assert (
            result["snippet"] == "&lt;b&gt;<mark>Exam</mark>&lt;/b&gt; &amp; the <mark>EXAM</mark>"
        )

    def test_long_messages_show_a_window_around_the_match(self, cast, active_thread, fallback):
        content = "word " * 200 + "needle " + "word " * 200
        ThreadMessageFactory(thread=active_thread, sender=cast.creator, content=content)
        [result] = course_search(cast.client("enrolled"), cast.course, "needle").json()["results"]
        snippet = result["snippet"]
        assert snippet.startswith("… ") and snippet.endswith(" …")
        assert "<mark>needle</mark>" in snippet
        assert len(snippet) < search.SNIPPET_MAX_CHARS + 40


class TestThrottle:
    def test_searching_too_often_is_429(self, cast, monkeypatch):
        monkeypatch.setattr(api_search.SearchThrottle, "rate", "2/min")
        client = cast.client("enrolled")
        for _ in range(2):
            assert client.get("/api/messages/search/", {"q": "x"}).status_code == 200
        refused = client.get("/api/messages/search/", {"q": "x"})
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
