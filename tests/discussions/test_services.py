"""Rules enforced by the services whatever the entry point: rate limits, deletion, closing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from discussions import events, services
from discussions.models import DirectMessage, ThreadMessage
from lms.platform import metrics
from lms.platform.exceptions import RateLimited
from lms.realtime.models import Event
from tests.discussions.factories import ThreadMessageFactory

pytestmark = pytest.mark.django_db


def rate_limited_total() -> float:
    return metrics.RATE_LIMITED.labels(scope="messages")._value.get()


class TestRateLimit:
    @pytest.fixture(autouse=True)
    def _limit(self, settings):
        settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 3

    def test_api_answers_429_with_retry_after_and_stores_nothing(self, cast, active_thread):
        client = cast.client("enrolled")
        url = f"/api/threads/{active_thread.pk}/messages/"
        for n in range(3):
            assert client.post(url, {"content": f"ok {n}"}, format="json").status_code == 201
        before = rate_limited_total()
        response = client.post(url, {"content": "one too many"}, format="json")
        assert response.status_code == 429
        assert 1 <= int(response["Retry-After"]) <= 60
        assert "too fast" in response.json()["detail"]
        assert rate_limited_total() == before + 1
        assert not ThreadMessage.objects.filter(content="one too many").exists()
        assert Event.objects.filter(event="thread.message").count() == 3

    def test_thread_posts_and_direct_messages_share_the_limit(self, cast, active_thread):
        client = cast.client("enrolled")
        url = f"/api/threads/{active_thread.pk}/messages/"
        assert client.post(url, {"content": "a"}, format="json").status_code == 201
        dm = {"recipient": cast.creator.pk, "content": "b"}
        assert client.post("/api/messages/", dm, format="json").status_code == 201
        assert client.post(url, {"content": "c"}, format="json").status_code == 201
        response = client.post("/api/messages/", dm, format="json")
        assert response.status_code == 429
        assert response.has_header("Retry-After")
        assert DirectMessage.objects.count() == 1

    def test_the_limit_is_per_user(self, cast, active_thread):
        for _ in range(3):
            services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="x")
        services.thread_message_post(thread=active_thread, sender=cast.creator, content="mine")

    def test_invalid_messages_do_not_use_up_the_limit(self, cast, active_thread):
        for _ in range(5):
            with pytest.raises(ValidationError):
                services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="")
        services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="fine")

    def test_the_window_reopens(self, cast, active_thread, monkeypatch):
        from lms.platform import ratelimit

        clock = [1_000_000.0]
        monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
        for _ in range(3):
            services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="x")
        with pytest.raises(RateLimited) as refused:
            services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="y")
        assert refused.value.retry_after == 60
        clock[0] += 20
        with pytest.raises(RateLimited) as refused:
            services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="y")
        assert refused.value.retry_after == 40


class TestValidation:
    def test_content_is_trimmed(self, cast, active_thread):
        message = services.thread_message_post(
            thread=active_thread, sender=cast.enrolled, content="\n  hi there \t"
        )
        assert message.content == "hi there"

    @pytest.mark.parametrize("content", ["", " ", "a" * 4001, "nul\x00byte", None])
    def test_bad_content_is_refused(self, cast, content):
        with pytest.raises(ValidationError) as refused:
            services.direct_message_send(
                sender=cast.enrolled, recipient=cast.creator, content=content
            )
        assert "content" in refused.value.message_dict
        assert not DirectMessage.objects.exists()

    def test_bad_title_is_refused(self, cast):
        with pytest.raises(ValidationError) as refused:
            services.thread_create(course=cast.course, created_by=cast.enrolled, title="t" * 256)
        assert "title" in refused.value.message_dict


class TestDelete:
    def test_author_deletes_within_the_window(self, cast, active_thread):
        message = ThreadMessageFactory(thread=active_thread, sender=cast.enrolled)
        response = cast.client("enrolled").delete(
            f"/api/threads/{active_thread.pk}/messages/{message.pk}/"
        )
        assert response.status_code == 204
        assert not ThreadMessage.objects.exists()
        event = Event.objects.filter(event="thread.message_deleted").order_by("seq").last()
        assert event.topic == f"thread:{active_thread.pk}"
        assert event.data["id"] == message.pk

    def test_author_cannot_delete_after_the_window(self, cast, active_thread, settings):
        settings.MESSAGE_DELETE_WINDOW_MINUTES = 15
        message = ThreadMessageFactory(thread=active_thread, sender=cast.enrolled)
        ThreadMessage.objects.filter(pk=message.pk).update(
            created_at=timezone.now() - timedelta(minutes=16)
        )
        response = cast.client("enrolled").delete(
            f"/api/threads/{active_thread.pk}/messages/{message.pk}/"
        )
        assert response.status_code == 403
        assert ThreadMessage.objects.exists()

    @pytest.mark.parametrize(
        ("role", "expected"),
        [("creator", 403), ("unenrolled", 404), ("instructor", 204), ("staff", 204)],
    )
    def test_others(self, cast, active_thread, role, expected):
        message = ThreadMessageFactory(thread=active_thread, sender=cast.enrolled)
        response = cast.client(role).delete(
            f"/api/threads/{active_thread.pk}/messages/{message.pk}/"
        )
        assert response.status_code == expected
        assert ThreadMessage.objects.exists() is (expected != 204)

    def test_message_of_another_thread_is_a_404(self, cast, active_thread):
        message = ThreadMessageFactory(sender=cast.staff)
        response = cast.client("staff").delete(
            f"/api/threads/{active_thread.pk}/messages/{message.pk}/"
        )
        assert response.status_code == 404


class TestClose:
    def test_closing_revokes_the_topic_from_students(self, cast, active_thread, monkeypatch):
        calls = []
        monkeypatch.setattr(events, "revoke", lambda **kwargs: calls.append(kwargs))
        services.thread_update(thread=active_thread, actor=cast.instructor, is_active=False)
        assert calls == [{"topic": f"thread:{active_thread.pk}", "roles": ["student"]}]

    def test_renaming_revokes_nothing(self, cast, active_thread, monkeypatch):
        calls = []
        monkeypatch.setattr(events, "revoke", lambda **kwargs: calls.append(kwargs))
        services.thread_update(thread=active_thread, actor=cast.instructor, title="New")
        assert calls == []

    def test_closing_tells_the_course_list_but_renaming_a_closed_thread_does_not(
        self, cast, active_thread
    ):
        services.thread_update(thread=active_thread, actor=cast.instructor, is_active=False)
        services.thread_update(thread=active_thread, actor=cast.instructor, title="Secret")
        course_events = Event.objects.filter(
            topic=f"course:{cast.course.pk}", event="thread.updated"
        )
        assert [(e.event, e.data["title"]) for e in course_events] == [
            ("thread.updated", "Week 1 questions")
        ]

    def test_no_change_publishes_nothing(self, cast, active_thread):
        services.thread_update(
            thread=active_thread, actor=cast.instructor, title=" Week 1 questions ", is_active=True
        )
        assert not Event.objects.filter(event="thread.updated").exists()

    def test_student_cannot_close_someone_elses_thread(self, cast, active_thread):
        with pytest.raises(PermissionDenied):
            services.thread_update(thread=active_thread, actor=cast.enrolled, is_active=False)


def test_a_rolled_back_post_publishes_nothing(cast, active_thread):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="gone")
        raise RuntimeError
    assert not Event.objects.filter(event="thread.message").exists()
    assert not ThreadMessage.objects.exists()
