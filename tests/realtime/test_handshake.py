"""Who may open /ws/: authenticated users from the site itself or from no browser at all."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from lms.asgi import application
from tests.factories import UserFactory
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


async def handshake(headers) -> bool:
    """Whether the handshake was accepted (Daphne answers a refused one with HTTP 403)."""
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _code = await communicator.connect(timeout=5)
    if connected:
        await communicator.disconnect()
    return connected


@database_sync_to_async
def session_cookie_for(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def test_anonymous_handshake_is_refused():
    assert await handshake([]) is False


async def test_bad_token_is_refused():
    assert await handshake([(b"authorization", b"Token not-a-real-key")]) is False


async def test_session_cookie_from_own_origin_is_accepted():
    user = await database_sync_to_async(UserFactory)()
    cookie = await session_cookie_for(user)
    headers = [(b"cookie", cookie.encode()), (b"origin", b"http://127.0.0.1:8000")]
    assert await handshake(headers) is True


async def test_foreign_origin_is_refused_even_when_authenticated():
    user = await database_sync_to_async(UserFactory)()
    cookie = await session_cookie_for(user)
    headers = [(b"cookie", cookie.encode()), (b"origin", b"https://evil.example")]
    assert await handshake(headers) is False


async def test_token_without_origin_is_accepted():
    user = await database_sync_to_async(UserFactory)()
    async with ws_connect(user) as ws:
        await ws.send({"op": "ping", "ref": 1})
        assert await ws.receive() == {"op": "pong", "ref": 1}


async def test_inactive_user_token_is_refused():
    @database_sync_to_async
    def inactive_token():
        from rest_framework.authtoken.models import Token

        return Token.objects.create(user=UserFactory(is_active=False)).key

    key = await inactive_token()
    assert await handshake([(b"authorization", f"Token {key}".encode())]) is False


async def test_malformed_origin_is_refused():
    user = await database_sync_to_async(UserFactory)()
    cookie = await session_cookie_for(user)
    headers = [(b"cookie", cookie.encode()), (b"origin", b"null")]
    assert await handshake(headers) is False
