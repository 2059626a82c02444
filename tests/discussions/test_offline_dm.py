"""A direct message to someone with no socket open leaves a notification leading to it."""

import json

import pytest
from channels.db import database_sync_to_async
from django.test import AsyncClient, Client

from discussions import services
from discussions.models import DirectMessage
from lms.realtime import presence
from notifications.models import Channel, Kind, Notification, NotificationPreference
from notifications.services import notification_mark_read
from tests.factories import InstructorFactory, UserFactory
from tests.wsclient import ws_connect


def dm_notifications(user):
    return list(Notification.objects.filter(user=user, kind=Kind.DIRECT_MESSAGE))


@pytest.fixture
def pair(db):
    return UserFactory(first_name="Sam", last_name="Sender"), InstructorFactory()


@pytest.mark.django_db
class TestOffline:
    def test_an_offline_recipient_is_notified_with_a_link_to_the_conversation(self, pair):
        sender, recipient = pair
        message = services.direct_message_send(
            sender=sender, recipient=recipient, content="Could you look at my essay?"
        )
        [notification] = dm_notifications(recipient)
        assert notification.title == "New message from Sam Sender"
        assert notification.message == "Could you look at my essay?"
        assert notification.url == f"/messages/{sender.pk}/"
        assert notification.related_entity_type == "direct_message"
        assert notification.related_entity_id == message.pk
        assert not dm_notifications(sender)

    def test_one_notification_per_conversation_until_read(self, pair):
        sender, recipient = pair
        for text in ("one", "two", "three"):
            services.direct_message_send(sender=sender, recipient=recipient, content=text)
        [first] = dm_notifications(recipient)
        assert first.message == "one"
        other = UserFactory()
        services.direct_message_send(sender=other, recipient=recipient, content="hello")
        assert len(dm_notifications(recipient)) == 2

        notification_mark_read(user=recipient, notification_id=first.pk)
        services.direct_message_send(sender=sender, recipient=recipient, content="four")
        unread = sorted(n.message for n in dm_notifications(recipient) if not n.is_read)
        assert unread == ["four", "hello"]

    def test_opening_the_conversation_reads_its_notification(self, pair):
        sender, recipient = pair
        services.direct_message_send(sender=sender, recipient=recipient, content="hi")
        other = UserFactory()
        services.direct_message_send(sender=other, recipient=recipient, content="hey")
        client = Client()
        client.force_login(recipient)
        assert client.get(f"/messages/{sender.pk}/").status_code == 200
        read = {n.url: n.is_read for n in dm_notifications(recipient)}
        assert read == {f"/messages/{sender.pk}/": True, f"/messages/{other.pk}/": False}

    def test_a_recipient_who_turned_the_kind_off_gets_nothing(self, pair):
        sender, recipient = pair
        NotificationPreference.objects.create(
            user=recipient, kind=Kind.DIRECT_MESSAGE, channel=Channel.OFF
        )
        services.direct_message_send(sender=sender, recipient=recipient, content="hi")
        assert dm_notifications(recipient) == []

    def test_the_preview_is_short(self, pair):
        sender, recipient = pair
        services.direct_message_send(sender=sender, recipient=recipient, content="y" * 4000)
        [notification] = dm_notifications(recipient)
        assert len(notification.message) <= services.PREVIEW_LENGTH

    def test_deleting_the_message_deletes_the_notification_that_quotes_it(self, pair):
        sender, recipient = pair
        message = services.direct_message_send(sender=sender, recipient=recipient, content="oops")
        DirectMessage.objects.get(pk=message.pk).delete()
        assert dm_notifications(recipient) == []

    def test_an_unknown_presence_counts_as_offline(self, pair, settings):
        sender, recipient = pair
        settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
        assert presence.user_is_online(recipient.pk) is False
        services.direct_message_send(sender=sender, recipient=recipient, content="hi")
        assert len(dm_notifications(recipient)) == 1


@pytest.mark.django_db(transaction=True)
async def test_a_recipient_with_a_socket_open_is_not_notified(pair):
    sender, recipient = pair
    send = database_sync_to_async(services.direct_message_send)
    async with ws_connect(recipient) as ws:
        assert (await ws.join(f"user:{recipient.pk}"))["ok"]
        assert await database_sync_to_async(presence.user_is_online)(recipient.pk)
        await send(sender=sender, recipient=recipient, content="Are you there?")
        event = await ws.next_event(f"user:{recipient.pk}", "dm.created")
        assert event["data"]["content"] == "Are you there?"
        await ws.assert_silent(f"user:{recipient.pk}")
    assert await database_sync_to_async(dm_notifications)(recipient) == []
    assert not await database_sync_to_async(presence.user_is_online)(recipient.pk)

    await send(sender=sender, recipient=recipient, content="Gone now?")
    [notification] = await database_sync_to_async(dm_notifications)(recipient)
    assert notification.message == "Gone now?"


@pytest.mark.django_db(transaction=True)
async def test_the_senders_own_socket_does_not_count(pair):
    sender, recipient = pair
    async with ws_connect(sender):
        await database_sync_to_async(services.direct_message_send)(
            sender=sender, recipient=recipient, content="hello"
        )
    assert len(await database_sync_to_async(dm_notifications)(recipient)) == 1


@pytest.mark.django_db(transaction=True)
async def test_a_recipient_on_the_polling_fallback_is_not_notified(pair):
    sender, recipient = pair
    client = AsyncClient()
    await database_sync_to_async(client.force_login)(recipient)
    response = await client.post(
        "/api/realtime/poll/",
        json.dumps({"topics": {f"user:{recipient.pk}": None}, "wait": 0}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert await database_sync_to_async(presence.user_is_online)(recipient.pk)

    await database_sync_to_async(services.direct_message_send)(
        sender=sender, recipient=recipient, content="Polling works too"
    )
    assert await database_sync_to_async(dm_notifications)(recipient) == []
