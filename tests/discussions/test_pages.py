"""The discussion and message pages, without JavaScript: read, post, moderate."""

import pytest
from django.test import Client

from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from tests.discussions.conftest import ROLES
from tests.discussions.factories import DirectMessageFactory, ThreadFactory, ThreadMessageFactory

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


@pytest.fixture
def browser_for(cast):
    def make(role):
        client = Client()
        user = cast.user(role) if role != "creator" else cast.creator
        if user is not None:
            client.force_login(user)
        return client

    return make


def page_text(response) -> str:
    return response.content.decode()


class TestCourseDiscussions:
    @pytest.mark.parametrize("role", ROLES)
    def test_who_sees_the_list(self, cast, active_thread, closed_thread, browser_for, role):
        response = browser_for(role).get(f"/courses/{cast.course.pk}/discussions/")
        expected = {"enrolled": 200, "unenrolled": 403, "instructor": 200, "staff": 200}
        if role == "anonymous":
            assert response.status_code == 302
            assert "/login/" in response["Location"]
            return
        assert response.status_code == expected[role]
        text = page_text(response)
        if response.status_code == 200:
            assert "Week 1 questions" in text
            assert ("Old exam" in text) is (role in ("instructor", "staff"))
        else:
            assert "Week 1 questions" not in text

    def test_create_thread_with_the_form(self, cast, browser_for):
        response = browser_for("enrolled").post(
            f"/courses/{cast.course.pk}/discussions/", {"title": "  Form thread "}
        )
        thread = DiscussionThread.objects.get()
        assert thread.title == "Form thread"
        assert response.status_code == 302
        assert response["Location"] == f"/threads/{thread.pk}/"

    def test_bad_title_is_shown_and_nothing_is_stored(self, cast, browser_for):
        response = browser_for("enrolled").post(
            f"/courses/{cast.course.pk}/discussions/", {"title": "   "}
        )
        assert response.status_code == 400
        assert "may not be empty" in page_text(response)
        assert not DiscussionThread.objects.exists()

    def test_unenrolled_cannot_create(self, cast, browser_for):
        response = browser_for("unenrolled").post(
            f"/courses/{cast.course.pk}/discussions/", {"title": "sneaky"}
        )
        assert response.status_code == 403
        assert not DiscussionThread.objects.exists()

    def test_list_is_escaped_and_query_count_is_bounded(
        self, cast, browser_for, django_assert_max_num_queries
    ):
        for _ in range(25):
            ThreadFactory(course=cast.course, title=XSS)
        client = browser_for("enrolled")
        with django_assert_max_num_queries(12):
            response = client.get(f"/courses/{cast.course.pk}/discussions/")
        text = page_text(response)
        assert XSS not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "Page 1 of 2" in text


class TestThreadPage:
    @pytest.mark.parametrize("active", [True, False], ids=["active", "closed"])
    @pytest.mark.parametrize("role", ROLES)
    def test_who_sees_the_thread(
        self, cast, active_thread, closed_thread, browser_for, role, active
    ):
        thread = active_thread if active else closed_thread
        ThreadMessageFactory(thread=thread, content="visible words")
        response = browser_for(role).get(f"/threads/{thread.pk}/")
        if role == "anonymous":
            assert response.status_code == 302
            return
        expected = {
            ("enrolled", True): 200,
            ("enrolled", False): 302,  # to the thread list, told the thread closed
            ("unenrolled", True): 404,
            ("unenrolled", False): 404,
            ("instructor", True): 200,
            ("instructor", False): 200,
            ("staff", True): 200,
            ("staff", False): 200,
        }[(role, active)]
        assert response.status_code == expected
        assert ("visible words" in page_text(response)) is (expected == 200)
        if expected == 302:
            assert response["Location"] == f"/courses/{cast.course.pk}/discussions/"

    def test_post_without_javascript_redirects_back_to_the_message(
        self, cast, active_thread, browser_for
    ):
        client = browser_for("enrolled")
        response = client.post(f"/threads/{active_thread.pk}/", {"content": " hello there "})
        message = ThreadMessage.objects.get()
        assert message.content == "hello there"
        assert response.status_code == 302
        assert response["Location"] == f"/threads/{active_thread.pk}/#message-{message.pk}"
        assert "hello there" in page_text(client.get(response["Location"]))

    def test_messages_are_shown_escaped(self, cast, active_thread, browser_for):
        ThreadMessageFactory(thread=active_thread, sender=cast.enrolled, content=XSS)
        text = page_text(browser_for("enrolled").get(f"/threads/{active_thread.pk}/"))
        assert XSS not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text

    def test_too_long_message_shows_why_and_keeps_the_text(self, cast, active_thread, browser_for):
        response = browser_for("enrolled").post(
            f"/threads/{active_thread.pk}/", {"content": "w" * 4001}
        )
        assert response.status_code == 400
        assert "the limit is 4000" in page_text(response)
        assert "w" * 4001 in page_text(response)
        assert not ThreadMessage.objects.exists()

    def test_rate_limited_post_shows_the_reason(self, cast, active_thread, browser_for, settings):
        settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 1
        client = browser_for("enrolled")
        client.post(f"/threads/{active_thread.pk}/", {"content": "first"})
        response = client.post(f"/threads/{active_thread.pk}/", {"content": "second"})
        assert response.status_code == 429
        assert response.has_header("Retry-After")
        assert "too fast" in page_text(response)
        assert list(ThreadMessage.objects.values_list("content", flat=True)) == ["first"]

    def test_student_post_to_a_closed_thread_is_refused(self, cast, closed_thread, browser_for):
        response = browser_for("enrolled").post(f"/threads/{closed_thread.pk}/", {"content": "x"})
        assert response.status_code == 302
        assert not ThreadMessage.objects.exists()

    def test_history_pages_with_load_older(self, cast, active_thread, browser_for):
        messages = [
            ThreadMessageFactory(thread=active_thread, content=f"line {n:03d}") for n in range(60)
        ]
        client = browser_for("enrolled")
        text = page_text(client.get(f"/threads/{active_thread.pk}/"))
        assert "line 059" in text and "line 010" in text and "line 009" not in text
        assert f"?before={messages[10].pk}" in text
        older = page_text(client.get(f"/threads/{active_thread.pk}/?before={messages[10].pk}"))
        assert "line 000" in older and "line 009" in older and "line 010" not in older
        assert "Load older" not in older

    def test_thread_page_query_count_is_bounded(
        self, cast, active_thread, browser_for, django_assert_max_num_queries
    ):
        for n in range(50):
            ThreadMessageFactory(
                thread=active_thread, sender=cast.enrolled if n % 2 else cast.staff
            )
        client = browser_for("enrolled")
        with django_assert_max_num_queries(14):
            client.get(f"/threads/{active_thread.pk}/")

    def test_moderation_buttons_only_for_moderators(self, cast, active_thread, browser_for):
        for role, shown in [("creator", True), ("instructor", True), ("enrolled", False)]:
            text = page_text(browser_for(role).get(f"/threads/{active_thread.pk}/"))
            assert ("Close thread" in text) is shown, role

    def test_instructor_closes_and_reopens(self, cast, active_thread, browser_for):
        client = browser_for("instructor")
        url = f"/threads/{active_thread.pk}/moderate/"
        assert client.post(url, {"action": "close"}).status_code == 302
        active_thread.refresh_from_db()
        assert not active_thread.is_active
        assert "Reopen thread" in page_text(client.get(f"/threads/{active_thread.pk}/"))
        client.post(url, {"action": "reopen"})
        active_thread.refresh_from_db()
        assert active_thread.is_active

    def test_rename_with_a_bad_title_changes_nothing(self, cast, active_thread, browser_for):
        client = browser_for("creator")
        client.post(f"/threads/{active_thread.pk}/moderate/", {"action": "rename", "title": " "})
        active_thread.refresh_from_db()
        assert active_thread.title == "Week 1 questions"
        client.post(f"/threads/{active_thread.pk}/moderate/", {"action": "rename", "title": "Ok"})
        active_thread.refresh_from_db()
        assert active_thread.title == "Ok"

    def test_other_students_cannot_moderate(self, cast, active_thread, browser_for):
        browser_for("enrolled").post(f"/threads/{active_thread.pk}/moderate/", {"action": "close"})
        active_thread.refresh_from_db()
        assert active_thread.is_active

    def test_delete_own_message(self, cast, active_thread, browser_for):
        message = ThreadMessageFactory(thread=active_thread, sender=cast.enrolled)
        client = browser_for("enrolled")
        text = page_text(client.get(f"/threads/{active_thread.pk}/"))
        assert f"/messages/{message.pk}/delete/" in text
        client.post(f"/threads/{active_thread.pk}/messages/{message.pk}/delete/")
        assert not ThreadMessage.objects.exists()

    def test_cannot_delete_someone_elses_message(self, cast, active_thread, browser_for):
        message = ThreadMessageFactory(thread=active_thread, sender=cast.creator)
        client = browser_for("enrolled")
        assert f"/messages/{message.pk}/delete/" not in page_text(
            client.get(f"/threads/{active_thread.pk}/")
        )
        client.post(f"/threads/{active_thread.pk}/messages/{message.pk}/delete/")
        assert ThreadMessage.objects.exists()


class TestMessagesPages:
    def test_inbox_lists_conversations_with_unread_counts(
        self, cast, browser_for, django_assert_max_num_queries
    ):
        for _ in range(3):
            DirectMessageFactory(sender=cast.creator, recipient=cast.enrolled, content=XSS)
        DirectMessageFactory(sender=cast.enrolled, recipient=cast.staff, content="hi staff")
        client = browser_for("enrolled")
        with django_assert_max_num_queries(10):
            response = client.get("/messages/")
        text = page_text(response)
        assert cast.creator.display_name in text
        assert cast.staff.display_name in text
        assert 'data-count="3"' in text
        assert XSS not in text

    def test_nav_shows_the_unread_count(self, cast, browser_for):
        DirectMessageFactory(sender=cast.creator, recipient=cast.enrolled)
        DirectMessageFactory(sender=cast.creator, recipient=cast.enrolled)
        text = page_text(browser_for("enrolled").get("/messages/"))
        assert 'id="dm-unread-count" data-count="2"' in text

    def test_opening_a_conversation_marks_it_read(self, cast, browser_for):
        DirectMessageFactory(sender=cast.creator, recipient=cast.enrolled, content="ping")
        text = page_text(browser_for("enrolled").get(f"/messages/{cast.creator.pk}/"))
        assert "ping" in text
        assert 'id="dm-unread-count" data-count="0"' in text
        assert not DirectMessage.objects.filter(is_read=False).exists()

    def test_seen_on_my_last_message_once_read(self, cast, browser_for):
        DirectMessageFactory(sender=cast.enrolled, recipient=cast.creator, content="first")
        last = DirectMessageFactory(sender=cast.enrolled, recipient=cast.creator, content="last")
        client = browser_for("enrolled")

        def receipt_of_last():
            text = page_text(client.get(f"/messages/{cast.creator.pk}/"))
            item = text.split(f'id="dm-{last.pk}"', 1)[1].split("</li>", 1)[0]
            return item.split('class="chat-receipt small muted"', 1)[1].split("</div>", 1)[0]

        assert receipt_of_last() == " hidden>Seen"
        browser_for("creator").get(f"/messages/{cast.enrolled.pk}/")
        assert receipt_of_last() == ">Seen"

    def test_send_without_javascript(self, cast, browser_for):
        response = browser_for("enrolled").post(
            f"/messages/{cast.creator.pk}/", {"content": "  see you  "}
        )
        dm = DirectMessage.objects.get()
        assert (dm.sender, dm.recipient, dm.content) == (cast.enrolled, cast.creator, "see you")
        assert response["Location"] == f"/messages/{cast.creator.pk}/#dm-{dm.pk}"

    def test_stranger_conversation_is_a_404(self, cast, browser_for):
        assert browser_for("enrolled").get(f"/messages/{cast.unenrolled.pk}/").status_code == 404
        response = browser_for("enrolled").post(
            f"/messages/{cast.unenrolled.pk}/", {"content": "hi"}
        )
        assert response.status_code == 404
        assert not DirectMessage.objects.exists()

    def test_own_conversation_is_a_404(self, cast, browser_for):
        assert browser_for("enrolled").get(f"/messages/{cast.enrolled.pk}/").status_code == 404

    def test_start_a_conversation_by_username(self, cast, browser_for):
        response = browser_for("enrolled").get("/messages/", {"to": cast.creator.username})
        assert response["Location"] == f"/messages/{cast.creator.pk}/"
        response = browser_for("enrolled").get("/messages/", {"to": cast.unenrolled.username})
        assert response.status_code == 200
        assert "cannot send messages" in page_text(response)

    def test_rate_limited_dm_shows_the_reason(self, cast, browser_for, settings):
        settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 1
        client = browser_for("enrolled")
        client.post(f"/messages/{cast.creator.pk}/", {"content": "one"})
        response = client.post(f"/messages/{cast.creator.pk}/", {"content": "two"})
        assert response.status_code == 429
        assert "too fast" in page_text(response)
        assert DirectMessage.objects.count() == 1

    def test_anonymous_is_sent_to_login(self, cast, browser_for):
        assert "/login/" in browser_for("anonymous").get("/messages/")["Location"]
