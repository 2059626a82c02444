from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render  # noqa: F401
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """Liveness of the database and the channel layer, and which backends are in use."""
    status = {"database": {"engine": connection.vendor}, "channel_layer": {}}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"]["ok"] = True
    except Exception as exc:  # report, never raise: this is what a load balancer reads
        healthy = False
        status["database"].update(ok=False, error=str(exc)[:200])
    layer = get_channel_layer()
    status["channel_layer"]["backend"] = type(layer).__name__
    status["channel_layer"]["redis"] = bool(settings.REDIS_URL)
    status["ok"] = healthy
    return JsonResponse(status, status=200 if healthy else 503)
