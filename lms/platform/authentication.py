"""API tokens: who `Authorization: Token <key>` stands for, in one written-out statement.

Every API request made with a token, and every websocket handshake, join and
held poll, looks its user up. The ORM's compilation of that join costs more
than the query itself, so it is written out once here.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

_quote = connection.ops.quote_name
_USER_TABLE = _quote(get_user_model()._meta.db_table)
_TOKEN_TABLE = _quote(Token._meta.db_table)


def token_user(key: str):
    """The user an API token stands for, active or not; None for an unknown token."""
    users = get_user_model()._default_manager.raw(
        f"SELECT u.* FROM {_USER_TABLE} u JOIN {_TOKEN_TABLE} t ON t.user_id = u.id "
        "WHERE t.key = %s",
        [key],
    )
    return next(iter(users), None)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, with the same answers, through `token_user`."""

    def authenticate_credentials(self, key):
        user = token_user(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # The request's `auth`, as DRF gives it: the token (its key and user).
        return user, Token(key=key, user=user)
