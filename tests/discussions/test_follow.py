"""Following a thread: starting it or posting follows; replies notify followers only."""

import pytest

from discussions import services
from discussions.models import ThreadFollow
from notifications.models import Kind, Notification
from tests.discussions.factories import ThreadFactory
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def followers(thread):
    return sorted(ThreadFollow.objects.filter(thread=thread).values_list("user_id", flat=True))


def replies_to(message):
    return sorted(
        Notification.objects.filter(
            kind=Kind.THREAD_REPLY, related_entity_id=message.pk
        ).values_list("user_id", flat=True)
    )


def everything_read() -> None:
    """Replies notify once per thread until read: each assertion below starts read."""
    Notification.objects.update(is_read=True)


def test_starting_and_posting_follow_once(cast):
    thread = services.thread_create(course=cast.course, created_by=cast.creator, title="Q")
    assert followers(thread) == [cast.creator.pk]
    services.thread_message_post(thread=thread, sender=cast.enrolled, content="A")
    services.thread_message_post(thread=thread, sender=cast.enrolled, content="B")
    assert followers(thread) == sorted([cast.creator.pk, cast.enrolled.pk])


@pytest.mark.parametrize(
    "role,expected",
    [
        ("enrolled", 204),
        ("instructor", 204),
        ("staff", 204),
        ("unenrolled", 404),
        ("anonymous", 401),
    ],
)
def test_follow_api_per_role(cast, active_thread, role, expected):
    client = cast.client(role)
    url = f"/api/threads/{active_thread.pk}/follow/"
    assert client.post(url).status_code == expected
    assert client.post(url).status_code == expected  # idempotent
    user = cast.user(role)
    if expected == 204:
        assert user.pk in followers(active_thread)
        assert client.delete(url).status_code == 204
        assert client.delete(url).status_code == 204
        assert user.pk not in followers(active_thread)
    else:
        assert user is None or user.pk not in followers(active_thread)


def test_a_closed_thread_is_403_to_its_students(cast, closed_thread):
    assert (
        cast.client("enrolled").post(f"/api/threads/{closed_thread.pk}/follow/").status_code == 403
    )


def test_the_list_says_whether_i_follow(cast, active_thread):
    client = cast.client("enrolled")
    client.post(f"/api/threads/{active_thread.pk}/follow/")
    row = client.get(f"/api/threads/?course={cast.course.pk}").json()["results"][0]
    assert row["is_following"] is True


def test_replies_reach_followers_only(cast, active_thread):
    follower = EnrollmentFactory(course=cast.course).user
    cast.client("enrolled").force_authenticate(follower)
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="First")
    from discussions import reading

    reading.thread_follow(user=follower, thread=active_thread)
    everything_read()
    message = services.thread_message_post(
        thread=active_thread, sender=cast.instructor, content="Answer"
    )
    # The creator, the earlier poster and the follower; not the other members, not me.
    assert replies_to(message) == sorted([cast.creator.pk, cast.enrolled.pk, follower.pk])


def test_an_unfollowed_participant_is_not_notified_until_posting_again(cast, active_thread):
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="Mine")
    client = cast.client("enrolled")
    assert client.delete(f"/api/threads/{active_thread.pk}/follow/").status_code == 204
    everything_read()
    message = services.thread_message_post(thread=active_thread, sender=cast.staff, content="Hi")
    assert replies_to(message) == [cast.creator.pk]
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="Again")
    everything_read()
    message = services.thread_message_post(thread=active_thread, sender=cast.staff, content="Yo")
    assert replies_to(message) == sorted([cast.creator.pk, cast.enrolled.pk])


def test_a_mention_still_reaches_an_unfollower(cast, active_thread):
    ThreadFollow.objects.filter(user=cast.creator).delete()
    message = services.thread_message_post(
        thread=active_thread, sender=cast.enrolled, content=f"@{cast.creator.username} look"
    )
    assert Notification.objects.get(related_entity_id=message.pk).kind == Kind.MENTION


def test_the_thread_page_toggles_following_without_javascript(cast, client):
    thread = ThreadFactory(course=cast.course, created_by=cast.creator)
    client.force_login(cast.enrolled)
    page = client.get(f"/threads/{thread.pk}/").content.decode()
    assert 'id="follow-button"' in page and ">Follow<" in page
    response = client.post(f"/threads/{thread.pk}/follow/", {"action": "follow"})
    assert response.status_code == 302 and response["Location"] == f"/threads/{thread.pk}/"
    assert cast.enrolled.pk in followers(thread)
    page = client.get(f"/threads/{thread.pk}/").content.decode()
    assert ">Unfollow<" in page
    client.post(f"/threads/{thread.pk}/follow/", {"action": "unfollow"})
    assert cast.enrolled.pk not in followers(thread)


def test_the_follow_form_needs_access(cast, active_thread, closed_thread, client):
    client.force_login(cast.unenrolled)
    assert (
        client.post(f"/threads/{active_thread.pk}/follow/", {"action": "follow"}).status_code == 404
    )
    client.force_login(cast.enrolled)
    response = client.post(f"/threads/{closed_thread.pk}/follow/", {"action": "follow"})
    assert response["Location"] == f"/courses/{cast.course.pk}/discussions/"
    assert cast.enrolled.pk not in followers(closed_thread)
