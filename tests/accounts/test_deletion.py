"""Deleting an account: a tombstone stays, personal data goes, messages read as from a
deleted user, and every open socket of the user closes."""

from datetime import date

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Avatar
from discussions.models import DirectMessage
from discussions.services import thread_message_post
from leaderboard.models import LeaderboardScore
from lms.asgi import application
from lms.catalog.models import DELETED_USER_NAME, Enrollment, User
from lms.realtime.models import Event
from notifications.models import Notification, NotificationPreference, Subscription
from progress.models import LearningStats, LessonActivity, ModuleCompletion
from progress.services import lesson_complete
from tests.accounts.conftest import PASSWORD, image_bytes, upload
from tests.discussions.factories import DirectMessageFactory, ThreadFactory
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    UserFactory,
    course_with_lessons,
)
from tests.notifications.factories import NotificationFactory, SubscriptionFactory
from tests.progress.factories import AchievementFactory, lessons_of
from tests.wsclient import WsClient, ws_connect

db = database_sync_to_async


def learner_with_everything():
    """A student with a row of every kind, and a classmate they talk to."""
    student = UserFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    classmate = UserFactory(first_name="Bob", last_name="Baker")
    course = course_with_lessons(modules=1, lessons_per_module=1)
    EnrollmentFactory(user=student, course=course)
    EnrollmentFactory(user=classmate, course=course)
    for lesson in lessons_of(course):  # completes the course: certificate, stats, achievements
        lesson_complete(user=student, lesson=lesson, score=90)
    LessonActivity.objects.create(user=student, lesson=lessons_of(course)[0], seconds=120)
    AchievementFactory(user=student, kind="streak_7")
    NotificationFactory(user=student, title="Just for Ada")
    NotificationPreference.objects.create(user=student, kind="thread_reply", channel="off")
    SubscriptionFactory(user=student)
    Token.objects.create(user=student)
    services.avatar_set(user=student, upload=upload(image_bytes("PNG")))
    thread = ThreadFactory(course=course, created_by=student, title="Ada's question")
    thread_message_post(thread=thread, sender=student, content="Ada was here")
    DirectMessageFactory(sender=student, recipient=classmate, content="Hi Bob")
    DirectMessageFactory(sender=classmate, recipient=student, content="Hi Ada")
    return student, classmate, course, thread


def rows_pointing_at(user) -> dict[str, int]:
    """Every row of every model with a foreign key to `user`, by model and field."""
    counts = {}
    for relation in User._meta.related_objects:
        if relation.many_to_many:
            continue
        model = relation.related_model
        count = model._base_manager.filter(**{relation.field.name: user}).count()
        if count:
            counts[f"{model._meta.label}.{relation.field.name}"] = count
    return counts


@pytest.mark.django_db
def test_deletion_leaves_a_tombstone_and_only_what_others_read(
    django_capture_on_commit_callbacks,
):
    student, classmate, course, thread = learner_with_everything()
    avatar = Avatar.objects.get(user=student)
    assert LearningStats.objects.filter(user=student).exists()
    assert ModuleCompletion.objects.filter(user=student).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.account_delete(user=student)

    tombstone = User.objects.get(pk=student.pk)
    assert tombstone.username == f"deleted-{student.pk}"
    assert (tombstone.first_name, tombstone.last_name, tombstone.email) == ("", "", "")
    assert not tombstone.has_usable_password()
    assert tombstone.avatar == ""
    assert tombstone.is_active is False and tombstone.is_staff is False
    assert tombstone.deleted_at is not None
    assert tombstone.leaderboard_anonymous is True
    assert tombstone.display_name == DELETED_USER_NAME
    # What they wrote for others stays; nothing else points at them.
    assert rows_pointing_at(tombstone) == {
        "discussions.DiscussionThread.created_by": 1,
        "discussions.ThreadMessage.sender": 1,
        "discussions.DirectMessage.sender": 1,
        "discussions.DirectMessage.recipient": 1,
    }
    assert not Enrollment.objects.filter(user=tombstone).exists()
    assert not LeaderboardScore.objects.filter(user=tombstone).exists()
    assert not default_storage.exists(avatar.file_256)
    assert not default_storage.exists(avatar.file_64)
    # Their own topic's stored events (notifications, progress) are gone.
    assert not Event.objects.filter(topic=f"user:{student.pk}").exists()
    # The classmate keeps their own data.
    assert Enrollment.objects.filter(user=classmate).exists()
    assert DirectMessage.objects.filter(sender=classmate).exists()


@pytest.mark.django_db
def test_messages_of_a_deleted_user_read_as_from_deleted_user_everywhere(
    django_capture_on_commit_callbacks,
):
    student, classmate, course, thread = learner_with_everything()
    services.account_delete(user=student)
    client = APIClient()
    client.force_authenticate(classmate)
    # The thread's messages, through the API.
    messages = client.get(f"/api/threads/{thread.pk}/messages/").json()["results"]
    ada = next(m for m in messages if m["content"] == "Ada was here")
    assert ada["sender"] == {"id": student.pk, "name": DELETED_USER_NAME, "avatar": ""}
    threads = client.get(f"/api/threads/?course={course.pk}").json()["results"]
    assert next(t for t in threads if t["id"] == thread.pk)["creator"]["name"] == DELETED_USER_NAME
    # The conversations list and the conversation.
    conversations = client.get("/api/conversations/").json()["results"]
    partner = next(c for c in conversations if c["user"]["id"] == student.pk)
    assert partner["user"]["name"] == DELETED_USER_NAME
    history = client.get(f"/api/messages/?with={student.pk}").json()["results"]
    assert {m["content"] for m in history} == {"Hi Bob", "Hi Ada"}
    # The pages.
    page = Client()
    page.force_login(classmate)
    for url in (f"/threads/{thread.pk}/", "/messages/", f"/messages/{student.pk}/"):
        html = page.get(url).content.decode()
        assert DELETED_USER_NAME in html, url
        assert f"deleted-{student.pk}" not in html, url
        assert "Lovelace" not in html, url
    # A replay of the thread's stored events shows the deleted user too.
    stored = [
        event.data
        for event in Event.objects.filter(topic=f"thread:{thread.pk}", event="thread.message")
    ]
    assert stored and all(
        data["sender"] == {"id": student.pk, "name": DELETED_USER_NAME, "avatar": ""}
        for data in stored
        if data["sender"]["id"] == student.pk
    )
    assert not any("Lovelace" in str(event.data) for event in Event.objects.all())


@pytest.mark.django_db
def test_after_deletion_nobody_can_message_or_notify_the_deleted_user(
    django_capture_on_commit_callbacks,
):
    student, classmate, course, thread = learner_with_everything()
    services.account_delete(user=student)
    client = APIClient()
    client.force_authenticate(classmate)
    response = client.post(
        "/api/messages/", {"recipient": student.pk, "content": "still there?"}, format="json"
    )
    assert response.status_code in (400, 403, 404)
    thread_message_post(thread=thread, sender=classmate, content="A reply to Ada's thread")
    assert not Notification.objects.filter(user=student).exists()


@pytest.mark.django_db
def test_the_instructor_of_a_course_cannot_delete_their_account():
    teacher = InstructorFactory()
    CourseFactory(instructor=teacher)
    with pytest.raises(PermissionDenied, match="instructor of a course"):
        services.account_delete(user=teacher)
    teacher.refresh_from_db()
    assert teacher.is_active and teacher.deleted_at is None and teacher.username.startswith("user")


@pytest.mark.django_db
def test_the_delete_page_tells_an_instructor_why_not(db):
    teacher = InstructorFactory()
    CourseFactory(instructor=teacher)
    CourseFactory(instructor=teacher)
    client = Client()
    client.force_login(teacher)
    html = client.get("/account/delete/").content.decode()
    assert "You are the instructor of 2 courses." in html
    assert 'name="password"' not in html
    response = client.post("/account/delete/", {"password": PASSWORD})
    assert "You are the instructor of 2 courses." in response.content.decode()
    teacher.refresh_from_db()
    assert teacher.is_active


@pytest.mark.django_db
def test_deleting_twice_changes_nothing_more():
    student = UserFactory()
    first = services.account_delete(user=student)
    again = services.account_delete(user=student)
    assert again.deleted_at == first.deleted_at


@pytest.mark.django_db
def test_a_taken_tombstone_name_does_not_stop_a_deletion():
    student = UserFactory()
    UserFactory(username=f"deleted-{student.pk}")  # from before usernames were reserved
    tombstone = services.account_delete(user=student)
    assert tombstone.username.startswith(f"deleted-{student.pk}-")


@pytest.mark.django_db
def test_a_staff_account_loses_its_staff_rights_when_deleted():
    staff = UserFactory(is_staff=True, is_superuser=True, role="admin")
    tombstone = services.account_delete(user=staff)
    assert not tombstone.is_staff and not tombstone.is_superuser


# Sockets


async def next_close(ws: WsClient, timeout: float = 5) -> dict:
    while True:
        output = await ws.communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output


@db
def session_socket_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return [(b"cookie", cookie.encode()), (b"origin", b"http://127.0.0.1:8000")]


@pytest.mark.django_db(transaction=True)
async def test_every_open_socket_of_a_deleted_user_closes_and_none_opens_again():
    student = await db(UserFactory)()
    course = await db(CourseFactory)()
    await db(EnrollmentFactory)(user=student, course=course)
    communicator = WebsocketCommunicator(
        application, "/ws/", headers=await session_socket_headers(student)
    )
    assert (await communicator.connect())[0]
    session_ws = WsClient(communicator)
    try:
        async with ws_connect(student) as token_ws:
            for ws in (token_ws, session_ws):
                assert (await ws.join(f"user:{student.pk}"))["ok"]
                assert (await ws.join(f"course:{course.pk}"))["ok"]
            await db(services.account_delete)(user=student)
            assert (await next_close(token_ws))["type"] == "websocket.close"
            assert (await next_close(session_ws))["type"] == "websocket.close"
    finally:
        await communicator.disconnect()
    # A new handshake as that user is refused, even with a token made for it afterwards.
    key = await db(lambda: Token.objects.create(user_id=student.pk).key)()
    again = WebsocketCommunicator(
        application, "/ws/", headers=[(b"authorization", f"Token {key}".encode())]
    )
    connected, _code = await again.connect(timeout=5)
    assert not connected


@pytest.mark.django_db(transaction=True)
async def test_the_api_deletion_closes_the_callers_sockets():
    student = await db(UserFactory)()
    async with ws_connect(student) as ws:
        assert (await ws.join(f"user:{student.pk}"))["ok"]
        key = await db(lambda: Token.objects.get(user=student).key)()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        response = await db(client.delete)("/api/me/", {"password": PASSWORD}, format="json")
        assert response.status_code == 204
        assert (await next_close(ws))["type"] == "websocket.close"


@pytest.mark.django_db
def test_a_deleted_user_drops_off_the_leaderboards(django_capture_on_commit_callbacks):
    student, classmate, course, thread = learner_with_everything()
    stats = LearningStats.objects.get(user=student)
    assert stats.last_active_date <= date.today()
    assert LeaderboardScore.objects.filter(user=student).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.account_delete(user=student)
    client = APIClient()
    client.force_authenticate(classmate)
    for path in ("/api/leaderboard/", f"/api/leaderboard/?course={course.pk}"):
        entries = client.get(path).json()["entries"]
        assert student.pk not in [entry["user_id"] for entry in entries], path
    assert not Subscription.objects.filter(user=student).exists()
