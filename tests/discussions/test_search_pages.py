"""The search pages: a course's discussions and my messages (docs/discussions.md, Search)."""

import pytest
from django.urls import reverse

from discussions import api_search
from tests.discussions.factories import DirectMessageFactory, ThreadMessageFactory
from tests.factories import CourseFactory, InstructorFactory
from tests.security.test_csp import assert_no_inline_code

pytestmark = pytest.mark.django_db


def search_page(client, course, **params):
    return client.get(reverse("course-discussions-search", args=[course.pk]), params)


@pytest.fixture
def student(client, cast):
    client.force_login(cast.enrolled)
    return client


class TestCourseSearchPage:
    def test_the_discussions_page_has_a_search_box(self, student, cast):
        page = student.get(reverse("course-discussions", args=[cast.course.pk])).content.decode()
        action = reverse("course-discussions-search", args=[cast.course.pk])
        assert f'action="{action}"' in page and 'name="q"' in page

    def test_results_link_to_the_message(
        self, student, cast, active_thread, django_assert_max_num_queries
    ):
        message = ThreadMessageFactory(
            thread=active_thread, sender=cast.creator, content="<script>x()</script> exam day"
        )
        with django_assert_max_num_queries(14):
            response = search_page(student, cast.course, q="exam")
        assert response.status_code == 200
        page = response.content.decode()
        assert f'href="/threads/{active_thread.pk}/#message-{message.pk}"' in page
        assert "<mark>exam</mark>" in page
        assert "<script>x()" not in page and "&lt;script&gt;x()" in page
        assert "1 result" in page

    def test_no_inline_script_or_style(self, student, cast, active_thread):
        ThreadMessageFactory(thread=active_thread, sender=cast.creator, content="style=x exam")
        for url in (
            reverse("course-discussions-search", args=[cast.course.pk]) + "?q=exam",
            reverse("messages-search") + "?q=exam",
        ):
            assert_no_inline_code(url, student.get(url))

    def test_without_a_query_only_the_form(self, student, cast):
        response = search_page(student, cast.course)
        assert response.status_code == 200
        assert b'id="search-form"' in response.content and b"search-count" not in response.content

    @pytest.mark.parametrize("q", ["  ", "x" * 201])
    def test_a_bad_query_is_told(self, student, cast, q):
        response = search_page(student, cast.course, q=q)
        assert response.status_code == 400
        assert b'class="card empty-state search-error"' in response.content

    def test_nothing_found(self, student, cast, active_thread):
        response = search_page(student, cast.course, q="zebra")
        assert b"Nothing matches" in response.content

    def test_pages_keep_the_query(self, student, cast, active_thread):
        ThreadMessageFactory.create_batch(
            21, thread=active_thread, sender=cast.creator, content="many results"
        )
        page = search_page(student, cast.course, q="many").content.decode()
        assert "?q=many&amp;page=2" in page
        second = search_page(student, cast.course, q="many", page=2).content.decode()
        assert second.count('class="thread-item search-result"') == 1

    def test_outsiders_are_refused_like_the_discussions_page(self, client, cast):
        client.force_login(cast.unenrolled)
        assert search_page(client, cast.course, q="x").status_code == 403
        client.force_login(InstructorFactory())
        assert search_page(client, cast.course, q="x").status_code == 403
        assert search_page(client, CourseFactory(is_published=False), q="x").status_code == 404

    def test_anonymous_is_sent_to_sign_in(self, client, cast):
        response = search_page(client, cast.course, q="x")
        assert response.status_code == 302 and "/login" in response["Location"]

    def test_searching_too_often_is_told(self, student, cast, monkeypatch):
        monkeypatch.setattr(api_search.SearchThrottle, "rate", "1/min")
        assert search_page(student, cast.course, q="x").status_code == 200
        refused = search_page(student, cast.course, q="x")
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
        assert b"Too many searches" in refused.content


class TestMessageSearchPage:
    def test_the_inbox_has_a_search_box(self, student):
        page = student.get(reverse("messages-inbox")).content.decode()
        assert f'action="{reverse("messages-search")}"' in page

    def test_finds_my_messages_only(self, student, cast):
        mine = DirectMessageFactory(sender=cast.creator, recipient=cast.enrolled, content="a pizza")
        DirectMessageFactory(sender=cast.creator, recipient=cast.staff, content="their pizza")
        page = student.get(reverse("messages-search"), {"q": "pizza"}).content.decode()
        assert f'href="/messages/{cast.creator.pk}/#dm-{mine.pk}"' in page
        assert "their pizza" not in page and "1 result" in page
