"""API tokens: who `Authorization: Token <key>` stands for, in one written-out statement.

Every API request made with a token, and every websocket handshake, join and
held poll, looks its user up. The ORM's compilation of that join costs more
than the query itself, so it is written out once here, and the user is built
from the row directly (a raw queryset maps its columns to fields again on every
call: half the lookup's time).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

_User = get_user_model()
_FIELDS = _User._meta.concrete_fields
_NAMES = [field.attname for field in _FIELDS]
_quote = connection.ops.quote_name
_TOKEN_USER = (
    f"SELECT {', '.join('u.' + _quote(f.column) for f in _FIELDS)} "
    f"FROM {_quote(_User._meta.db_table)} u "
    f"JOIN {_quote(Token._meta.db_table)} t ON t.user_id = u.id WHERE t.key = %s"
)
_converters: dict[str, list] = {}  # per database vendor: (column index, its converters)


def _row_converters():
    """What the ORM would apply to each column read (SQLite's datetimes, say), once."""
    converters = _converters.get(connection.vendor)
    if converters is None:
        converters = []
        for index, field in enumerate(_FIELDS):
            column = field.get_col(_User._meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((index, column, found))
        _converters[connection.vendor] = converters
    return converters


def token_user(key: str):
    """The user an API token stands for, active or not; None for an unknown token."""
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_USER, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    for index, column, converters in _row_converters():
        for converter in converters:
            row[index] = converter(row[index], column, connection)
    return _User.from_db(connection.alias, _NAMES, row)


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
