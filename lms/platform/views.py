"""Views of the site as a whole: its health check and the JSON 404 of /api/."""

import logging

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    """Liveness of the database and the channel layer, and which backends are in use."""
    status = {"database": {"engine": connection.vendor}, "channel_layer": {}}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"]["ok"] = True
    except Exception:  # report, never raise: this is what a load balancer reads
        # The error names hosts, ports and roles: the log gets it, the public answer not.
        logger.warning("healthz: the database check failed", exc_info=True)
        healthy = False
        status["database"]["ok"] = False
    layer = get_channel_layer()
    status["channel_layer"]["backend"] = type(layer).__name__
    status["channel_layer"]["redis"] = bool(settings.REDIS_URL)
    status["ok"] = healthy
    return JsonResponse(status, status=200 if healthy else 503)


@csrf_exempt  # changes nothing; any method gets the same JSON 404
def api_not_found(request, *args, **kwargs):
    """An /api/ path that no endpoint answers."""
    return JsonResponse({"detail": "Not found."}, status=404)
