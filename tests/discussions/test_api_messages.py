"""Direct messages and conversations (docs/discussions.md)."""

import pytest

from discussions.models import DirectMessage
from lms.realtime.models import Event
from tests.discussions.factories import DirectMessageFactory
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def send(client, recipient, content="Hello"):
    return client.post(
        "/api/messages/", {"recipient": recipient, "content": content}, format="json"
    )


class TestSend:
    def test_classmate_receives_the_message(self, cast):
        response = send(cast.client("enrolled"), cast.creator.pk, "  Lunch?  ")
        assert response.status_code == 201
        body = response.json()
        message = DirectMessage.objects.get()
        assert body == {
            "id": message.pk,
            "sender": cast.enrolled.pk,
            "recipient": cast.creator.pk,
            "content": "Lunch?",
            "is_read": False,
            "created_at": body["created_at"],
            "edited_at": None,
        }

    def test_both_users_hear_of_it_on_their_user_topic(self, cast):
        body = send(cast.client("enrolled"), cast.creator.pk).json()
        for user in (cast.enrolled, cast.creator):
            event = Event.objects.get(topic=f"user:{user.pk}", event="dm.created")
            assert event.data == body

    @pytest.mark.parametrize(
        ("sender", "recipient", "expected"),
        [
            ("enrolled", "creator", 201),
            ("enrolled", "instructor", 201),
            ("unenrolled", "staff", 201),
            ("unenrolled", "instructor", 201),
            ("staff", "unenrolled", 201),
            ("instructor", "enrolled", 201),
            ("enrolled", "unenrolled", 403),
            ("unenrolled", "enrolled", 403),
            ("instructor", "unenrolled", 403),
            ("enrolled", "enrolled", 403),
        ],
    )
    def test_who_may_write_to_whom(self, cast, sender, recipient, expected):
        response = send(cast.client(sender), cast.user(recipient).pk)
        assert response.status_code == expected
        assert DirectMessage.objects.exists() is (expected == 201)

    def test_anonymous_cannot_send(self, cast):
        assert send(cast.client("anonymous"), cast.staff.pk).status_code in (401, 403)
        assert not DirectMessage.objects.exists()

    @pytest.mark.parametrize("recipient", [999999, "abc", None])
    def test_unknown_recipient_is_a_400(self, cast, recipient):
        response = send(cast.client("enrolled"), recipient)
        assert response.status_code == 400
        assert "recipient" in response.json()

    def test_inactive_recipient_is_unknown(self, cast):
        gone = UserFactory(is_active=False)
        assert send(cast.client("staff"), gone.pk).status_code == 400

    @pytest.mark.parametrize("content", ["", "  ", "z" * 4001])
    def test_bad_content_is_a_400(self, cast, content):
        events_before = Event.objects.count()
        response = send(cast.client("enrolled"), cast.creator.pk, content)
        assert response.status_code == 400
        assert "content" in response.json()
        assert not DirectMessage.objects.exists()
        assert Event.objects.count() == events_before


class TestConversation:
    def test_only_the_two_users_see_it(self, cast):
        DirectMessageFactory(sender=cast.enrolled, recipient=cast.creator, content="secret")
        for role, partner, count in [
            ("enrolled", cast.creator, 1),
            ("creator", cast.enrolled, 1),
            ("staff", cast.enrolled, 0),
            ("unenrolled", cast.enrolled, 0),
        ]:
            body = cast.client(role).get("/api/messages/", {"with": partner.pk}).json()
            assert body["count"] == count, role
            assert ("secret" in str(body)) is (count == 1)

    def test_with_is_required(self, cast):
        response = cast.client("enrolled").get("/api/messages/")
        assert response.status_code == 400
        assert "with" in response.json()

    def test_anonymous_is_refused(self, cast):
        response = cast.client("anonymous").get("/api/messages/", {"with": cast.enrolled.pk})
        assert response.status_code in (401, 403)

    def test_pages_of_a_long_conversation(self, cast, django_assert_max_num_queries):
        messages = [
            DirectMessageFactory(
                sender=cast.enrolled if n % 2 else cast.creator,
                recipient=cast.creator if n % 2 else cast.enrolled,
                content=f"d{n}",
            )
            for n in range(30)
        ]
        client = cast.client("enrolled")
        with django_assert_max_num_queries(4):
            body = client.get("/api/messages/", {"with": cast.creator.pk}).json()
        assert body["count"] == 30
        assert [m["content"] for m in body["results"]] == [f"d{n}" for n in range(10, 30)]
        older = client.get(body["next"]).json()
        assert [m["content"] for m in older["results"]] == [f"d{n}" for n in range(10)]
        assert older["next"] is None
        assert messages[0].pk == older["results"][0]["id"]


class TestConversationList:
    def test_partners_with_last_message_and_unread_count(self, cast):
        DirectMessageFactory(sender=cast.creator, recipient=cast.enrolled, content="one")
        DirectMessageFactory(sender=cast.creator, recipient=cast.enrolled, content="two")
        DirectMessageFactory(sender=cast.enrolled, recipient=cast.staff, content="to staff")
        DirectMessageFactory(sender=cast.staff, recipient=cast.creator, content="not mine")
        body = cast.client("enrolled").get("/api/conversations/").json()
        assert body["count"] == 2
        staff_row, creator_row = body["results"]
        assert staff_row["user"]["id"] == cast.staff.pk
        assert staff_row["last_message"]["content"] == "to staff"
        assert staff_row["unread_count"] == 0
        assert creator_row["user"] == {
            "id": cast.creator.pk,
            "name": cast.creator.display_name,
            "avatar": cast.creator.avatar,
        }
        assert creator_row["last_message"]["content"] == "two"
        assert creator_row["unread_count"] == 2

    def test_query_count_does_not_grow_with_partners(self, cast, django_assert_max_num_queries):
        for _ in range(15):
            partner = EnrollmentFactory(course=cast.course).user
            DirectMessageFactory(sender=partner, recipient=cast.enrolled)
            DirectMessageFactory(sender=cast.enrolled, recipient=partner)
        with django_assert_max_num_queries(5):
            body = cast.client("enrolled").get("/api/conversations/").json()
        assert body["count"] == 15
        assert all(row["unread_count"] == 1 for row in body["results"])

    def test_empty_for_a_new_user(self, cast):
        body = cast.client("unenrolled").get("/api/conversations/").json()
        assert body == {"count": 0, "next": None, "previous": None, "results": []}


class TestMarkRead:
    def test_marks_what_the_partner_sent_and_tells_both(self, cast):
        first = DirectMessageFactory(sender=cast.creator, recipient=cast.enrolled)
        second = DirectMessageFactory(sender=cast.creator, recipient=cast.enrolled)
        mine = DirectMessageFactory(sender=cast.enrolled, recipient=cast.creator)
        elsewhere = DirectMessageFactory(sender=cast.staff, recipient=cast.enrolled)
        response = cast.client("enrolled").post(
            "/api/messages/read/", {"with": cast.creator.pk}, format="json"
        )
        assert response.status_code == 200
        assert response.json() == {
            "with": cast.creator.pk,
            "ids": [first.pk, second.pk],
            "unread_count": 1,
        }
        assert set(DirectMessage.objects.filter(is_read=True)) == {first, second}
        mine.refresh_from_db()
        elsewhere.refresh_from_db()
        assert not mine.is_read and not elsewhere.is_read
        reader_event = Event.objects.get(topic=f"user:{cast.enrolled.pk}", event="dm.read")
        assert reader_event.data == response.json()
        sender_event = Event.objects.get(topic=f"user:{cast.creator.pk}", event="dm.read")
        assert sender_event.data == {
            "with": cast.enrolled.pk,
            "ids": [first.pk, second.pk],
            "unread_count": 1,
        }

    def test_nothing_to_mark_publishes_nothing(self, cast):
        events_before = Event.objects.count()
        response = cast.client("enrolled").post(
            "/api/messages/read/", {"with": cast.creator.pk}, format="json"
        )
        assert response.json() == {"with": cast.creator.pk, "ids": [], "unread_count": 0}
        assert Event.objects.count() == events_before

    @pytest.mark.parametrize("partner", [999999, "x", None, "self"])
    def test_bad_partner_is_a_400(self, cast, partner):
        if partner == "self":
            partner = cast.enrolled.pk
        payload = {} if partner is None else {"with": partner}
        response = cast.client("enrolled").post("/api/messages/read/", payload, format="json")
        assert response.status_code == 400
        assert "with" in response.json()
