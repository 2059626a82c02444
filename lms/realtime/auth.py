"""Websocket handshake and credentials: who is connecting, from which site, with what.

A socket remembers the credential it was opened with (its session or its API
token). Every join checks that credential against the database again, and
revocations name it by fingerprint, so a logout, a password change or a
revoked token ends the sockets it opened.
"""

from __future__ import annotations

import hashlib
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils.crypto import constant_time_compare

from lms.platform import metrics
from lms.platform.authentication import token_user
from lms.realtime.db import HANDSHAKES, in_db_thread

TOKEN = "token"
SESSION = "session"

Credential = tuple[str, str]  # (TOKEN or SESSION, the token key or session key)


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def fingerprint(credential: Credential) -> str:
    """What revocations carry over the channel layer instead of the secret itself."""
    kind, key = credential
    return hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()[:32]


def credential_of(scope) -> Credential | None:
    """The token or session a handshake authenticated with."""
    return scope.get("credential")


def current_user(*, user_id: int, credential: Credential | None):
    """The user as the database has them now, or None when the credential no longer holds.

    None after a logout (the session is gone), a password change (the session's
    hash no longer matches), a revoked token, or a deactivated account.
    """
    user_model = get_user_model()
    if credential is None:  # an in-process test scope: the user's current row
        user = user_model.objects.filter(pk=user_id).first()
    elif credential[0] == TOKEN:
        user = token_user(credential[1])
        user = user if user is not None and user.pk == user_id else None
    else:
        user = _session_user(credential[1], user_id)
    return user if user is not None and user.is_active else None


def _session_user(session_key: str, user_id: int | None = None):
    """The user signed in to the session (and `user_id`, when given) with a valid hash."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    session = store.load()
    signed_in = session.get(SESSION_KEY)
    if signed_in is None or (user_id is not None and str(signed_in) != str(user_id)):
        return None
    user = get_user_model().objects.filter(pk=signed_in).first()
    if user is None:
        return None
    stored = session.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return user if any(constant_time_compare(stored, h) for h in hashes) else None


@in_db_thread(lane=HANDSHAKES)
def _handshake_user(credential: Credential | None):
    """The active user a handshake's credential stands for, or AnonymousUser."""
    user = None
    if credential is not None and credential[0] == TOKEN:
        user = token_user(credential[1])
    elif credential is not None:
        user = _session_user(credential[1])
    return user if user is not None and user.is_active else AnonymousUser()


class WebsocketAuthMiddleware:
    """Who is connecting: `Authorization: Token <key>`, or else the session cookie.

    One trip to a database thread per handshake. The user and the credential
    go into the scope; the ASGI `send` is passed through untouched (Channels'
    session middleware would wrap every frame the socket sends, and a socket
    never writes its session).
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        credential = None
        authorization = _header(scope, b"authorization")
        if authorization:
            keyword, _, key = authorization.partition(" ")
            if keyword.lower() == "token" and key.strip():
                credential = (TOKEN, key.strip())
        else:
            session_key = parse_cookie(_header(scope, b"cookie") or "").get(
                settings.SESSION_COOKIE_NAME
            )
            credential = (SESSION, session_key) if session_key else None
        # A malformed Authorization header authenticates no one, even with a cookie.
        try:
            user = await _handshake_user(credential) if credential else AnonymousUser()
        except Exception:
            metrics.FAILED_HANDSHAKES.labels(reason="error").inc()
            raise
        scope = dict(scope, user=user, credential=credential if user.is_authenticated else None)
        return await self.inner(scope, receive, send)


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
        if origin is not None and not self.allowed(origin, scope):
            metrics.FAILED_HANDSHAKES.labels(reason="origin").inc()
            return await self.deny(receive, send)
        return await self.inner(scope, receive, send)

    @staticmethod
    def allowed(origin: str, scope=None) -> bool:
        """Scheme, host and port of the Origin are the site's own, as Django's CSRF check has it.

        The site's own origin is the handshake's scheme (https behind a TLS
        proxy that says so through SECURE_PROXY_SSL_HEADER) and its Host header,
        which must be one of ALLOWED_HOSTS; CSRF_TRUSTED_ORIGINS are also allowed.
        """
        parsed = urlsplit(origin)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            return False
        if origin in settings.CSRF_TRUSTED_ORIGINS:
            return True
        allowed_hosts = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed_hosts:
            allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
        host = _header(scope or {}, b"host")
        if host is None:
            # No Host header: only an in-process scope, never a real HTTP handshake.
            return validate_host(parsed.hostname, allowed_hosts)
        domain, _port = split_domain_port(host)
        if not domain or not validate_host(domain, allowed_hosts):
            return False
        return origin.lower() == f"{_site_scheme(scope)}://{host}".lower()

    @staticmethod
    async def deny(receive, send):
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.close", "code": 403})


def _site_scheme(scope) -> str:
    if scope.get("scheme") in {"wss", "https"}:
        return "https"
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        header, secure_value = proxy
        name = header.removeprefix("HTTP_").replace("_", "-").lower().encode()
        value = _header(scope, name)
        if value is not None and value.split(",", 1)[0].strip() == secure_value:
            return "https"
    return "http"
