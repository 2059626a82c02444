from django.urls import path
from rest_framework.routers import SimpleRouter

from notifications import api

router = SimpleRouter()
router.register("notifications", api.NotificationViewSet, basename="notification")

urlpatterns = [
    path(
        "me/notification-preferences/",
        api.NotificationPreferencesView.as_view(),
        name="api-notification-preferences",
    ),
    *router.urls,
]
