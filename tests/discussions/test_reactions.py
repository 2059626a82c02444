"""Reactions to thread messages: toggling, who may, what the page and the API show."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from discussions import moderation, reacting, services
from discussions.models import CourseMute, Reaction
from lms.realtime.models import Event
from tests.discussions.factories import ThreadMessageFactory
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

THUMBS = "\U0001f44d"


def url(message, emoji="thumbs_up"):
    return f"/api/threads/{message.thread_id}/messages/{message.pk}/reactions/{emoji}/"


@pytest.fixture
def message(cast, active_thread):
    return services.thread_message_post(thread=active_thread, sender=cast.creator, content="hi")


def test_put_adds_once_and_delete_takes_it_back(cast, message):
    client = cast.client("enrolled")
    first = client.put(url(message))
    assert first.status_code == 200
    assert client.put(url(message)).status_code == 200
    [entry] = first.json()["reactions"]
    assert entry["emoji"] == THUMBS and entry["name"] == "thumbs_up"
    assert entry["count"] == 1 and entry["me"] is True
    assert entry["users"] == [cast.enrolled.display_name]
    assert entry["user_ids"] == [cast.enrolled.pk]
    assert Reaction.objects.count() == 1
    gone = client.delete(url(message))
    assert gone.status_code == 200 and gone.json()["reactions"] == []
    assert client.delete(url(message)).status_code == 200
    assert Reaction.objects.count() == 0


def test_the_emoji_itself_url_encoded_works_too(cast, message):
    response = cast.client("enrolled").put(url(message, quote(THUMBS)))
    assert response.status_code == 200
    assert Reaction.objects.get().emoji == THUMBS


@pytest.mark.parametrize("emoji", ["smile", "%F0%9F%92%A9", "x" * 200, "1"])
def test_an_emoji_outside_the_set_is_400(cast, message, emoji):
    response = cast.client("enrolled").put(url(message, emoji))
    assert response.status_code == 400
    assert "emoji" in response.json()
    assert not Reaction.objects.exists()


@pytest.mark.parametrize(
    "role,expected", [("enrolled", 200), ("instructor", 200), ("staff", 200), ("unenrolled", 404)]
)
def test_who_may_react(cast, message, role, expected):
    assert cast.client(role).put(url(message)).status_code == expected


def test_anonymous_is_refused(cast, message):
    assert cast.client("anonymous").put(url(message)).status_code in (401, 403)


def test_a_muted_student_is_refused(cast, message):
    CourseMute.objects.create(
        course=cast.course, user=cast.enrolled, until=timezone.now() + timedelta(hours=1)
    )
    response = cast.client("enrolled").put(url(message))
    assert response.status_code == 403
    assert "muted" in response.json()["detail"]
    assert not Reaction.objects.exists()


def test_a_closed_thread_takes_no_student_reactions(cast, message, active_thread):
    services.thread_update(thread=active_thread, actor=cast.instructor, is_active=False)
    assert cast.client("enrolled").put(url(message)).status_code == 403
    assert cast.client("instructor").put(url(message)).status_code == 200


def test_a_hidden_message_takes_none(cast, message):
    moderation.message_hide(message=message, actor=cast.instructor)
    assert cast.client("enrolled").put(url(message)).status_code == 404
    assert cast.client("instructor").put(url(message)).status_code == 403


def test_each_change_is_an_event_with_counts_and_names(cast, message, active_thread):
    reacting.reaction_set(message=message, user=cast.enrolled, emoji="heart", on=True)
    reacting.reaction_set(message=message, user=cast.instructor, emoji="heart", on=True)
    reacting.reaction_set(message=message, user=cast.instructor, emoji="heart", on=True)  # no-op
    events = list(
        Event.objects.filter(
            topic=f"thread:{active_thread.pk}", event="thread.message.reactions"
        ).order_by("seq")
    )
    assert len(events) == 2
    data = events[-1].data
    assert data["id"] == message.pk and data["actor"] == cast.instructor.pk
    assert data["reacted"] is True
    [entry] = data["reactions"]
    assert "me" not in entry
    assert entry["count"] == 2
    assert entry["users"] == [cast.enrolled.display_name, cast.instructor.display_name]


def test_the_api_list_shows_reactions_with_me(cast, message, active_thread):
    reacting.reaction_set(message=message, user=cast.creator, emoji="laugh", on=True)
    reacting.reaction_set(message=message, user=cast.enrolled, emoji="thumbs_up", on=True)
    body = cast.client("enrolled").get(f"/api/threads/{active_thread.pk}/messages/").json()
    reactions = body["results"][0]["reactions"]
    assert [(r["name"], r["count"], r["me"]) for r in reactions] == [
        ("thumbs_up", 1, True),
        ("laugh", 1, False),
    ]


def test_names_stop_at_ten_but_the_count_does_not(cast, message):
    for _ in range(12):
        student = EnrollmentFactory(course=cast.course).user
        reacting.reaction_set(message=message, user=student, emoji="celebrate", on=True)
    [entry] = cast.client("enrolled").put(url(message, "heart")).json()["reactions"][1:]
    assert entry["count"] == 12 and len(entry["users"]) == 10


def test_the_page_shows_buttons_and_toggles_without_javascript(cast, message, client):
    client.force_login(cast.enrolled)
    react = f"/threads/{message.thread_id}/messages/{message.pk}/react/"
    page = client.get(f"/threads/{message.thread_id}/").content.decode()
    assert f'action="{react}"' in page and 'aria-label="thumbs up"' in page
    assert client.post(react, {"emoji": "thumbs_up"}).status_code == 302
    page = client.get(f"/threads/{message.thread_id}/").content.decode()
    assert 'aria-pressed="true"' in page
    assert f'title="{cast.enrolled.display_name}"' in page
    client.post(react, {"emoji": "thumbs_up"})
    assert not Reaction.objects.exists()
    client.post(react, {"emoji": "nope"})
    assert not Reaction.objects.exists()


def test_a_thread_page_of_fifty_messages_reads_reactions_in_bounded_queries(
    cast, active_thread, client, django_assert_max_num_queries
):
    people = [EnrollmentFactory(course=cast.course).user for _ in range(3)]
    for index in range(50):
        message = ThreadMessageFactory(thread=active_thread, sender=people[index % 3])
        for person in people:
            Reaction.objects.create(message=message, user=person, emoji=THUMBS)
    client.force_login(cast.enrolled)
    with django_assert_max_num_queries(40):
        page = client.get(f"/threads/{active_thread.pk}/")
    assert page.content.decode().count('class="reaction-count">3<') == 50
    with django_assert_max_num_queries(15):
        body = cast.client("enrolled").get(f"/api/threads/{active_thread.pk}/messages/").json()
    assert all(m["reactions"][0]["count"] == 3 for m in body["results"])
