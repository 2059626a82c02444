import re

from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views import static as media_views
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from lms.platform import views as platform_views
from lms.realtime import views as realtime_views
from lms.realtime import views_health

api_patterns = [
    # First: /api/me/ and its sub-paths are the account's, whatever the apps below route.
    path("", include("accounts.api_urls")),
    path("", include("lms.catalog.api_urls")),
    path("", include("progress.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("discussions.api_urls")),
    path("", include("leaderboard.api_urls")),
    path("", include("teaching.api_urls")),
    path("realtime/poll/", realtime_views.poll, name="realtime-poll"),
    path(
        "realtime/health/",
        views_health.RealtimeHealthView.as_view(),
        name="realtime-health-api",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script from ?script: no inline script for the CSP to allow.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Anything else under /api/ is a JSON 404, not the HTML page (only paths ending in a
    # slash, so that APPEND_SLASH still redirects /api/courses to /api/courses/).
    re_path(r"^[\s\S]*/$", platform_views.api_not_found),  # any character, a newline too
]

urlpatterns = [
    # Enrollments moved from the progress app to the catalog (label `lms`): old admin
    # links and bookmarks still lead there.
    re_path(
        r"^admin/progress/enrollment/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/lms/enrollment/%(rest)s", query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("healthz", platform_views.healthz, name="healthz"),
    # Pages without the base layout (admin, API docs): browsers ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
    path("metrics", realtime_views.metrics_endpoint, name="metrics"),
    path("staff/realtime/", views_health.health_page, name="realtime-health"),
    path("", include("lms.catalog.urls")),
    path("", include("progress.urls")),
    path("", include("notifications.urls")),
    path("", include("discussions.urls")),
    path("", include("leaderboard.urls")),
    path("", include("accounts.urls")),
    path("", include("teaching.urls")),
]


def media(request, path: str):
    """An uploaded file (avatars) from MEDIA_ROOT, as it is when the request comes."""
    return media_views.serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.SERVE_MEDIA and settings.MEDIA_URL.startswith("/"):
    # Also with DEBUG off; behind deploy/nginx.conf, nginx serves /media/ itself.
    urlpatterns.append(
        re_path(r"^{}(?P<path>.+)$".format(re.escape(settings.MEDIA_URL.lstrip("/"))), media)
    )
