"""@username in a thread message: who is notified, what the message's shape says, how it shows."""

import pytest
from django.test import Client

from discussions import mentions, services
from lms.realtime.models import Event
from notifications.models import Kind, Notification
from tests.discussions.factories import ThreadMessageFactory
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def mentioned_ids():
    return sorted(Notification.objects.filter(kind=Kind.MENTION).values_list("user_id", flat=True))


def post(thread, sender, content):
    return services.thread_message_post(thread=thread, sender=sender, content=content)


class TestNames:
    @pytest.mark.parametrize(
        "content, names",
        [
            ("@alice hi", ["alice"]),
            ("hi @alice.", ["alice"]),
            ("@alice, @bob: look", ["alice", "bob"]),
            ("(@alice)", ["alice"]),
            ("mail bob@alice.org", []),
            ("x@alice", []),
            ("@a.b-c+d@e_f", ["a.b-c+d@e_f"]),
            ("@@alice", ["@alice"]),
            ("@ alone", []),
            ("@Alice and @alice", ["Alice"]),
        ],
    )
    def test_what_counts_as_a_mention(self, content, names):
        assert mentions.mention_names(content) == names


def test_a_member_is_notified_with_a_link_to_the_message(cast, active_thread):
    message = post(active_thread, cast.enrolled, f"Ask @{cast.instructor.username}.")
    notification = Notification.objects.get(kind=Kind.MENTION)
    assert notification.user == cast.instructor
    assert notification.url == f"/threads/{active_thread.pk}/#message-{message.pk}"
    assert notification.title == (
        f'{cast.enrolled.display_name} mentioned you in "{active_thread.title}"'
    )
    assert notification.message == f"Ask @{cast.instructor.username}."


def test_staff_and_enrolled_students_are_members(cast, active_thread):
    post(active_thread, cast.instructor, f"@{cast.staff.username} @{cast.enrolled.username}")
    assert mentioned_ids() == sorted([cast.staff.pk, cast.enrolled.pk])


def test_mentions_ignore_case(cast, active_thread):
    post(active_thread, cast.instructor, f"@{cast.enrolled.username.upper()} hi")
    assert mentioned_ids() == [cast.enrolled.pk]


def test_non_members_self_and_unknown_names_notify_nobody(cast, active_thread):
    post(
        active_thread,
        cast.enrolled,
        f"@{cast.unenrolled.username} @{cast.enrolled.username} @nobody-here "
        f"mail {cast.instructor.username}@example.com",
    )
    assert mentioned_ids() == []


def test_students_are_not_mentioned_in_a_closed_thread(cast, closed_thread):
    post(closed_thread, cast.instructor, f"@{cast.enrolled.username} see this")
    assert mentioned_ids() == []


def test_a_mention_notifies_once_however_often_repeated(cast, active_thread):
    name = cast.instructor.username
    post(active_thread, cast.enrolled, f"@{name} @{name} @{name.upper()}")
    assert mentioned_ids() == [cast.instructor.pk]


def test_at_most_twenty_mentions_notify(cast, active_thread):
    students = [EnrollmentFactory(course=cast.course).user for _ in range(25)]
    message = post(active_thread, cast.instructor, " ".join(f"@{s.username}" for s in students))
    assert mentioned_ids() == sorted(s.pk for s in students[: mentions.MAX_MENTIONS])
    assert [m.pk for m in message.mentioned] == [s.pk for s in students[:20]]


class TestShape:
    def test_the_api_and_the_event_carry_the_mentions(self, cast, active_thread):
        client = cast.client("enrolled")
        content = f"@{cast.instructor.username} and @{cast.unenrolled.username}"
        response = client.post(
            f"/api/threads/{active_thread.pk}/messages/", {"content": content}, format="json"
        )
        assert response.status_code == 201
        expected = [{"id": cast.instructor.pk, "username": cast.instructor.username}]
        assert response.json()["mentions"] == expected
        event = Event.objects.get(topic=f"thread:{active_thread.pk}", event="thread.message")
        assert event.data["mentions"] == expected
        listed = client.get(f"/api/threads/{active_thread.pk}/messages/").json()["results"]
        assert listed[0]["mentions"] == expected

    def test_a_page_of_messages_resolves_mentions_in_one_query(
        self, cast, active_thread, django_assert_max_num_queries
    ):
        client = cast.client("enrolled")
        url = f"/api/threads/{active_thread.pk}/messages/"
        for _ in range(3):
            ThreadMessageFactory(thread=active_thread, content=f"@{cast.creator.username}")
        with django_assert_max_num_queries(10) as few:
            client.get(url)
        students = [EnrollmentFactory(course=cast.course).user for _ in range(15)]
        for student in students:
            ThreadMessageFactory(
                thread=active_thread, sender=student, content=f"@{student.username} @x"
            )
        with django_assert_max_num_queries(len(few.captured_queries)):
            results = client.get(url).json()["results"]
        assert results[-1]["mentions"] == [
            {"id": students[-1].pk, "username": students[-1].username}
        ]


class TestPage:
    @pytest.fixture
    def page(self, cast, active_thread):
        def get(user):
            client = Client()
            client.force_login(user)
            return client.get(f"/threads/{active_thread.pk}/").content.decode()

        return get

    def test_a_mention_links_to_the_member_and_the_text_stays_escaped(
        self, cast, active_thread, page
    ):
        name = cast.instructor.username
        post(active_thread, cast.enrolled, f"<b>@{name}</b> & @{cast.unenrolled.username}.")
        html = page(cast.creator)
        assert (
            f'&lt;b&gt;<a class="mention" href="/messages/{cast.instructor.pk}/" '
            f'data-user-id="{cast.instructor.pk}">@{name}</a>&lt;/b&gt; &amp; '
            f"@{cast.unenrolled.username}."
        ) in html

    def test_my_own_mention_is_highlighted(self, cast, active_thread, page):
        post(active_thread, cast.instructor, f"Thanks @{cast.creator.username}!")
        html = page(cast.creator)
        assert (
            f'<span class="mention is-me" data-user-id="{cast.creator.pk}">'
            f"@{cast.creator.username}</span>!"
        ) in html

    def test_every_username_character_counts_and_a_full_stop_ends_the_name(
        self, cast, active_thread, page
    ):
        odd = UserFactory(username="a.b+c@d-e_f")
        EnrollmentFactory(user=odd, course=cast.course)
        post(active_thread, cast.instructor, 'Ask "@A.B+C@D-E_F".')
        html = page(cast.creator)
        assert (
            f'&quot;<a class="mention" href="/messages/{odd.pk}/" data-user-id="{odd.pk}">'
            "@A.B+C@D-E_F</a>&quot;."
        ) in html

    def test_the_page_loads_the_mention_script_and_the_members_url(self, cast, active_thread, page):
        html = page(cast.enrolled)
        assert "js/mentions.js" in html
        assert f'data-members-url="/api/threads/{active_thread.pk}/members/"' in html
