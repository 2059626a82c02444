"""The thread endpoints for every kind of user (docs/discussions.md)."""

import pytest

from discussions.models import DiscussionThread, ThreadMessage
from lms.realtime.models import Event
from tests.discussions.conftest import ROLES
from tests.discussions.factories import (
    DirectMessageFactory,
    ThreadFactory,
    ThreadMessageFactory,
)

pytestmark = pytest.mark.django_db

DENIED_ANONYMOUS = (401, 403)


def status_for(role, expected):
    return DENIED_ANONYMOUS if role == "anonymous" else (expected,)


# --- list -------------------------------------------------------------------------------------

LIST_EXPECTED = {
    "enrolled": {"Week 1 questions"},
    "unenrolled": set(),
    "instructor": {"Week 1 questions", "Old exam"},
    "staff": {"Week 1 questions", "Old exam"},
}


@pytest.mark.parametrize("role", ROLES)
def test_thread_list_shows_what_the_role_may_see(cast, active_thread, closed_thread, role):
    ThreadFactory(title="Another course")
    response = cast.client(role).get("/api/threads/", {"course": cast.course.pk})
    if role == "anonymous":
        assert response.status_code in DENIED_ANONYMOUS
        return
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"results", "next", "previous", "count"}
    assert {t["title"] for t in body["results"]} == LIST_EXPECTED[role]


def test_thread_shape(cast, active_thread):
    response = cast.client("enrolled").get("/api/threads/", {"course": cast.course.pk})
    (thread,) = response.json()["results"]
    assert thread["id"] == active_thread.pk
    assert thread["course"] == cast.course.pk
    assert thread["title"] == "Week 1 questions"
    assert thread["created_by"] == cast.creator.pk
    assert thread["is_active"] is True
    assert thread["creator"] == {
        "id": cast.creator.pk,
        "name": cast.creator.display_name,
        "avatar": cast.creator.avatar,
    }


def test_thread_list_without_course_lists_every_visible_thread(cast, active_thread):
    ThreadFactory(title="Elsewhere")
    response = cast.client("enrolled").get("/api/threads/")
    assert [t["title"] for t in response.json()["results"]] == ["Week 1 questions"]


def test_thread_list_rejects_a_malformed_course(cast):
    response = cast.client("enrolled").get("/api/threads/", {"course": "abc"})
    assert response.status_code == 400
    assert "course" in response.json()


def test_thread_list_is_paginated_in_bounded_queries(cast, django_assert_max_num_queries):
    for n in range(25):
        ThreadFactory(course=cast.course, created_by=cast.creator if n % 2 else cast.enrolled)
    client = cast.client("enrolled")
    with django_assert_max_num_queries(4):
        body = client.get("/api/threads/", {"course": cast.course.pk}).json()
    assert body["count"] == 25
    assert len(body["results"]) == 20
    assert body["next"]


# --- create -----------------------------------------------------------------------------------

CREATE_EXPECTED = {"enrolled": 201, "unenrolled": 403, "instructor": 201, "staff": 201}


@pytest.mark.parametrize("role", ROLES)
def test_thread_create_per_role(cast, role):
    response = cast.client(role).post(
        "/api/threads/", {"course": cast.course.pk, "title": "  Help with loops  "}, format="json"
    )
    assert response.status_code in status_for(role, CREATE_EXPECTED.get(role))
    if response.status_code == 201:
        body = response.json()
        assert body["title"] == "Help with loops"
        assert body["created_by"] == cast.user(role).pk
        assert body["is_active"] is True
        assert DiscussionThread.objects.filter(pk=body["id"]).exists()
    else:
        assert not DiscussionThread.objects.exists()


def test_thread_create_announces_the_thread_on_the_course_topic(cast):
    response = cast.client("enrolled").post(
        "/api/threads/", {"course": cast.course.pk, "title": "Live"}, format="json"
    )
    event = Event.objects.get(topic=f"course:{cast.course.pk}", event="thread.created")
    assert event.data == response.json()


def test_thread_create_unknown_course_is_a_400(cast):
    response = cast.client("staff").post(
        "/api/threads/", {"course": 999999, "title": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "course" in response.json()


@pytest.mark.parametrize("title", ["", "   ", "x" * 256, None])
def test_thread_create_rejects_bad_titles(cast, title):
    payload = {"course": cast.course.pk}
    if title is not None:
        payload["title"] = title
    response = cast.client("enrolled").post("/api/threads/", payload, format="json")
    assert response.status_code == 400
    assert "title" in response.json()
    assert not DiscussionThread.objects.exists()


def test_thread_title_of_255_characters_is_accepted(cast):
    response = cast.client("enrolled").post(
        "/api/threads/", {"course": cast.course.pk, "title": "t" * 255}, format="json"
    )
    assert response.status_code == 201


# --- detail and update ------------------------------------------------------------------------

DETAIL_EXPECTED = {
    ("enrolled", True): 200,
    ("enrolled", False): 404,
    ("unenrolled", True): 404,
    ("unenrolled", False): 404,
    ("instructor", True): 200,
    ("instructor", False): 200,
    ("staff", True): 200,
    ("staff", False): 200,
}


@pytest.mark.parametrize("active", [True, False], ids=["active", "closed"])
@pytest.mark.parametrize("role", ROLES)
def test_thread_detail_per_role(cast, active_thread, closed_thread, role, active):
    thread = active_thread if active else closed_thread
    response = cast.client(role).get(f"/api/threads/{thread.pk}/")
    assert response.status_code in status_for(role, DETAIL_EXPECTED.get((role, active)))
    if response.status_code == 200:
        assert response.json()["id"] == thread.pk


def test_unknown_thread_is_a_404(cast):
    assert cast.client("staff").get("/api/threads/424242/").status_code == 404


PATCH_EXPECTED = {
    "creator": 200,
    "enrolled": 403,
    "unenrolled": 404,
    "instructor": 200,
    "staff": 200,
}


@pytest.mark.parametrize("role", [*ROLES, "creator"])
def test_thread_rename_per_role(cast, active_thread, role):
    client = cast.client(role)
    response = client.patch(
        f"/api/threads/{active_thread.pk}/", {"title": "Renamed"}, format="json"
    )
    assert response.status_code in status_for(role, PATCH_EXPECTED.get(role))
    active_thread.refresh_from_db()
    assert (active_thread.title == "Renamed") is (response.status_code == 200)


@pytest.mark.parametrize("role", ["instructor", "staff"])
def test_moderators_close_and_reopen(cast, active_thread, role):
    client = cast.client(role)
    url = f"/api/threads/{active_thread.pk}/"
    assert client.patch(url, {"is_active": False}, format="json").json()["is_active"] is False
    assert cast.client("enrolled").get(url).status_code == 404
    assert client.patch(url, {"is_active": True}, format="json").json()["is_active"] is True
    assert cast.client("enrolled").get(url).status_code == 200


def test_students_cannot_reopen_a_closed_thread(cast, closed_thread):
    response = cast.client("creator").patch(
        f"/api/threads/{closed_thread.pk}/", {"is_active": True}, format="json"
    )
    assert response.status_code == 404
    closed_thread.refresh_from_db()
    assert closed_thread.is_active is False


def test_thread_update_publishes_thread_updated(cast, active_thread):
    response = cast.client("instructor").patch(
        f"/api/threads/{active_thread.pk}/", {"title": "New name"}, format="json"
    )
    event = Event.objects.get(topic=f"thread:{active_thread.pk}", event="thread.updated")
    assert event.data == response.json()
    assert event.data["title"] == "New name"


def test_thread_update_rejects_bad_input_and_changes_nothing(cast, active_thread):
    client = cast.client("instructor")
    url = f"/api/threads/{active_thread.pk}/"
    assert client.patch(url, {"title": "  "}, format="json").status_code == 400
    assert client.patch(url, {"is_active": "maybe"}, format="json").status_code == 400
    active_thread.refresh_from_db()
    assert active_thread.title == "Week 1 questions"
    assert active_thread.is_active is True
    assert not Event.objects.filter(topic=f"thread:{active_thread.pk}").exists()


# --- messages ---------------------------------------------------------------------------------

READ_MESSAGES_EXPECTED = DETAIL_EXPECTED

POST_EXPECTED = {
    ("enrolled", True): 201,
    ("enrolled", False): 403,
    ("unenrolled", True): 404,
    ("unenrolled", False): 404,
    ("instructor", True): 201,
    ("instructor", False): 201,
    ("staff", True): 201,
    ("staff", False): 201,
}


@pytest.mark.parametrize("active", [True, False], ids=["active", "closed"])
@pytest.mark.parametrize("role", ROLES)
def test_thread_messages_read_per_role(cast, active_thread, closed_thread, role, active):
    thread = active_thread if active else closed_thread
    ThreadMessageFactory(thread=thread, content="hello")
    response = cast.client(role).get(f"/api/threads/{thread.pk}/messages/")
    assert response.status_code in status_for(role, READ_MESSAGES_EXPECTED.get((role, active)))
    if response.status_code == 200:
        assert [m["content"] for m in response.json()["results"]] == ["hello"]
    else:
        assert "hello" not in response.content.decode()


@pytest.mark.parametrize("active", [True, False], ids=["active", "closed"])
@pytest.mark.parametrize("role", ROLES)
def test_thread_message_post_per_role(cast, active_thread, closed_thread, role, active):
    thread = active_thread if active else closed_thread
    response = cast.client(role).post(
        f"/api/threads/{thread.pk}/messages/", {"content": "  Hi all  "}, format="json"
    )
    assert response.status_code in status_for(role, POST_EXPECTED.get((role, active)))
    stored = list(ThreadMessage.objects.filter(thread=thread))
    if response.status_code == 201:
        user = cast.user(role)
        assert response.json() == {
            "id": stored[0].pk,
            "thread": thread.pk,
            "sender": {"id": user.pk, "name": user.display_name, "avatar": user.avatar},
            "content": "Hi all",
            "mentions": [],
            "created_at": response.json()["created_at"],
            "edited_at": None,
            "reactions": [],
        }
    else:
        assert stored == []
        assert "detail" in response.json()


def test_closed_thread_post_explains_why(cast, closed_thread):
    response = cast.client("enrolled").post(
        f"/api/threads/{closed_thread.pk}/messages/", {"content": "late"}, format="json"
    )
    assert response.status_code == 403
    assert "closed" in response.json()["detail"]


def test_posted_message_is_published_with_the_rest_shape(cast, active_thread):
    response = cast.client("enrolled").post(
        f"/api/threads/{active_thread.pk}/messages/", {"content": "<b>hi</b>"}, format="json"
    )
    event = Event.objects.get(topic=f"thread:{active_thread.pk}", event="thread.message")
    assert event.data == response.json()
    assert event.data["content"] == "<b>hi</b>"


def test_posting_moves_the_thread_to_the_top_of_the_list(cast, active_thread):
    newer = ThreadFactory(course=cast.course, created_by=cast.enrolled, title="Newer")
    client = cast.client("enrolled")
    titles = [t["title"] for t in client.get("/api/threads/").json()["results"]]
    assert titles == ["Newer", "Week 1 questions"]
    client.post(f"/api/threads/{active_thread.pk}/messages/", {"content": "bump"}, format="json")
    titles = [t["title"] for t in client.get("/api/threads/").json()["results"]]
    assert titles == ["Week 1 questions", newer.title]


@pytest.mark.parametrize("content", ["", "   \n ", "x" * 4001, None, 42])
def test_thread_message_post_rejects_bad_content(cast, active_thread, content):
    payload = {} if content is None else {"content": content}
    response = cast.client("enrolled").post(
        f"/api/threads/{active_thread.pk}/messages/", payload, format="json"
    )
    assert response.status_code == 400
    assert "content" in response.json()
    assert not ThreadMessage.objects.exists()


def test_message_of_4000_characters_after_trimming_is_accepted(cast, active_thread):
    response = cast.client("enrolled").post(
        f"/api/threads/{active_thread.pk}/messages/",
        {"content": "  " + "y" * 4000 + "  "},
        format="json",
    )
    assert response.status_code == 201
    assert len(response.json()["content"]) == 4000


class TestMessageHistory:
    @pytest.fixture
    def history(self, cast, active_thread):
        return [
            ThreadMessageFactory(thread=active_thread, sender=cast.enrolled, content=f"m{n}")
            for n in range(45)
        ]

    def test_first_page_is_the_newest_oldest_first(
        self, cast, active_thread, history, django_assert_max_num_queries
    ):
        client = cast.client("enrolled")
        url = f"/api/threads/{active_thread.pk}/messages/"
        with django_assert_max_num_queries(5):
            body = client.get(url).json()
        assert body["count"] == 45
        assert [m["content"] for m in body["results"]] == [f"m{n}" for n in range(25, 45)]
        assert body["previous"] is None
        assert f"before={history[25].pk}" in body["next"]

    def test_following_next_walks_back_to_the_start(self, cast, active_thread, history):
        client = cast.client("enrolled")
        url = f"/api/threads/{active_thread.pk}/messages/"
        seen = []
        while url:
            body = client.get(url).json()
            seen = [m["content"] for m in body["results"]] + seen
            url = body["next"]
        assert seen == [f"m{n}" for n in range(45)]

    def test_before_and_after(self, cast, active_thread, history):
        client = cast.client("enrolled")
        url = f"/api/threads/{active_thread.pk}/messages/"
        older = client.get(url, {"before": history[10].pk}).json()
        assert [m["content"] for m in older["results"]] == [f"m{n}" for n in range(10)]
        assert older["next"] is None
        newer = client.get(url, {"after": history[40].pk}).json()
        assert [m["content"] for m in newer["results"]] == [f"m{n}" for n in range(41, 45)]
        assert newer["previous"] is None

    def test_bad_cursor_is_a_400(self, cast, active_thread):
        response = cast.client("enrolled").get(
            f"/api/threads/{active_thread.pk}/messages/", {"before": "x"}
        )
        assert response.status_code == 400


DELETE_EXPECTED = {
    ("author", True): 204,
    ("author", False): 404,  # students do not see closed threads
    ("unenrolled", True): 404,
    ("unenrolled", False): 404,
    ("instructor", True): 204,
    ("instructor", False): 204,
    ("staff", True): 204,
    ("staff", False): 204,
}


@pytest.mark.parametrize("active", [True, False], ids=["active", "closed"])
@pytest.mark.parametrize("role", ["author", "unenrolled", "instructor", "staff", "anonymous"])
def test_thread_message_delete_per_role(cast, active_thread, closed_thread, role, active):
    thread = active_thread if active else closed_thread
    message = ThreadMessageFactory(thread=thread, sender=cast.enrolled)
    client = cast.client("enrolled" if role == "author" else role)
    response = client.delete(f"/api/threads/{thread.pk}/messages/{message.pk}/")
    assert response.status_code in status_for(role, DELETE_EXPECTED.get((role, active)))
    assert ThreadMessage.objects.filter(pk=message.pk).exists() is (response.status_code != 204)


@pytest.mark.parametrize(
    "path",
    ["/api/conversations/", "/api/messages/unread-count/", "/api/threads/"],
)
def test_anonymous_reads_nothing(cast, path):
    assert cast.client("anonymous").get(path).status_code in DENIED_ANONYMOUS


def test_unread_count(cast):
    DirectMessageFactory(sender=cast.creator, recipient=cast.enrolled)
    DirectMessageFactory(sender=cast.enrolled, recipient=cast.creator)
    assert cast.client("enrolled").get("/api/messages/unread-count/").json() == {"count": 1}
