"""Pagination of message histories: newest page first, each page oldest to newest.

`next` points to older messages (`?before=<id>`), `previous` to newer ones
(`?after=<id>`), so a chat view loads the latest page and follows `next` to
"Load older". The body keeps the project's list shape: count, next,
previous, results.
"""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from discussions.selectors import HistoryPage, history_page

MAX_PAGE_SIZE = 100


def _positive_int(request, name: str, *, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValidationError({name: ["A positive integer is required."]})
    return value


class HistoryPagination(BasePagination):
    page_size = api_settings.PAGE_SIZE or 20

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        before = _positive_int(request, "before")
        after = _positive_int(request, "after")
        if before is not None and after is not None:
            raise ValidationError({"detail": "Give either before or after, not both."})
        size = min(_positive_int(request, "page_size", default=self.page_size), MAX_PAGE_SIZE)
        self.count = queryset.count()
        self.page: HistoryPage = history_page(queryset, before=before, after=after, limit=size)
        return self.page.items

    def _link(self, name: str, value: int) -> str:
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, "before" if name == "after" else "after")
        return replace_query_param(url, name, value)

    def get_paginated_response(self, data):
        items = self.page.items
        older = self._link("before", items[0].pk) if items and self.page.has_older else None
        newer = self._link("after", items[-1].pk) if items and self.page.has_newer else None
        return Response({"count": self.count, "next": older, "previous": newer, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {"type": "integer"},
                "next": {"type": "string", "format": "uri", "nullable": True},
                "previous": {"type": "string", "format": "uri", "nullable": True},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        def param(name: str, description: str) -> dict:
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": "integer"},
            }

        return [
            param("before", "Messages older than this id (the `next` link)."),
            param("after", "Messages newer than this id (the `previous` link)."),
            param("page_size", f"Messages per page, at most {MAX_PAGE_SIZE}."),
        ]
