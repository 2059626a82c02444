"""The realtime health page for staff and its JSON API (docs/realtime.md#realtime-health)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.platform.schema import api_errors
from lms.realtime import health

# (field, heading): the columns of the page; static/js/health.js formats them alike.
COLUMNS = [
    ("process", "Process"),
    ("serves", "Serves"),
    ("open_connections", "Open sockets"),
    ("joins_per_minute", "Joins / min"),
    ("failed_handshakes_per_minute", "Failed handshakes / min"),
    ("events_published_per_second", "Events published / s"),
    ("events_delivered_per_second", "Events delivered / s"),
    ("delivery_latency", "Delivery p50 / p99 (ms)"),
    ("polls", "Held polls · polls / min"),
    ("consumer_errors_per_minute", "Consumer errors / min"),
    ("updated_at", "Updated (UTC)"),
]


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def cell_text(field: str, row: dict[str, Any]) -> str:
    """The text of one cell of a process's row or of the totals."""
    if field == "process":
        return f"{row['hostname']} · pid {row['pid']} · {row['id']}" if "id" in row else "Total"
    if field == "serves":
        if "serves" in row:
            return ", ".join(row["serves"])
        return f"{row['processes']} process" + ("" if row["processes"] == 1 else "es")
    if field == "failed_handshakes_per_minute":
        rates = row["failed_handshakes_per_minute"]
        nonzero = [f"{reason} {_number(rate)}" for reason, rate in rates.items() if rate]
        total = _number(round(sum(rates.values()), 2))
        return f"{total} ({', '.join(nonzero)})" if nonzero else total
    if field == "delivery_latency":
        p50, p99 = row["delivery_latency_p50_ms"], row["delivery_latency_p99_ms"]
        return f"{_number(p50)} / {_number(p99)}"
    if field == "polls":
        return f"{row['held_polls']} · {_number(row['poll_requests_per_minute'])}"
    if field == "updated_at":
        return row.get("updated_at", "")[11:19]  # the time of an ISO date and time
    return _number(row[field])


def _rows(report: dict[str, Any]) -> tuple[list[dict], list[str]]:
    processes = [
        {"id": p["id"], "cells": [cell_text(field, p) for field, _heading in COLUMNS]}
        for p in report["processes"]
    ]
    return processes, [cell_text(field, report["totals"]) for field, _heading in COLUMNS]


@login_required
def health_page(request: HttpRequest) -> HttpResponse:
    """Every server process's figures and the totals; health.js refreshes them."""
    if not request.user.is_staff:
        raise PermissionDenied("Staff only.")
    report = health.site_health()
    processes, totals = _rows(report)
    context = {
        "columns": COLUMNS,
        "processes": processes,
        "totals": totals,
        "generated_at": report["generated_at"],
        "interval_seconds": report["interval_seconds"],
    }
    return render(request, "realtime/health.html", context)


class RealtimeHealthView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        summary="Realtime health of every server process (staff)",
        description=(
            "Per process that reported within the last three intervals: open sockets, "
            "joins, failed handshakes by reason and consumer errors per minute, events "
            "published and delivered per second, delivery latency p50/p99 over the last "
            "minute, held polls and poll requests per minute; and the totals. Rates are "
            "over the last minute, or since the process started when it is younger."
        ),
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="processes, totals"),
            **api_errors(401, 403),
        },
        tags=["realtime"],
    )
    def get(self, request: Request) -> Response:
        return Response(health.site_health())
