"""Websocket handshake: who is connecting, and from which site."""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host
from rest_framework.authtoken.models import Token


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


@database_sync_to_async
def _user_for_token(key: str):
    try:
        token = Token.objects.select_related("user").get(key=key)
    except Token.DoesNotExist:
        return AnonymousUser()
    return token.user if token.user.is_active else AnonymousUser()


class TokenAuthMiddleware:
    """`Authorization: Token <key>` on the handshake wins over the session cookie."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        authorization = _header(scope, b"authorization")
        if authorization:
            keyword, _, key = authorization.partition(" ")
            if keyword.lower() == "token" and key.strip():
                scope = dict(scope, user=await _user_for_token(key.strip()))
            else:
                scope = dict(scope, user=AnonymousUser())
        return await self.inner(scope, receive, send)


def WebsocketAuthMiddleware(inner):  # noqa: N802 - reads like the Channels stacks it wraps
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))


class WebsocketOriginValidator:
    """Refuse a handshake whose Origin is present and not one of the site's hosts.

    Unlike Channels' AllowedHostsOriginValidator, a handshake without an Origin
    header (an API client, not a browser) is let through; it must still
    authenticate.
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        origin = _header(scope, b"origin")
        if origin is not None and not self.allowed(origin):
            return await self.deny(receive, send)
        return await self.inner(scope, receive, send)

    @staticmethod
    def allowed(origin: str) -> bool:
        parsed = urlsplit(origin)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            return False
        host = parsed.hostname if parsed.port is None else f"{parsed.hostname}:{parsed.port}"
        allowed_hosts = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed_hosts:
            allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
        return validate_host(parsed.hostname, allowed_hosts) or validate_host(host, allowed_hosts)

    @staticmethod
    async def deny(receive, send):
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.close", "code": 403})
