from django.urls import path
from rest_framework.routers import SimpleRouter

from notifications import api, api_announcements

router = SimpleRouter()
router.register("notifications", api.NotificationViewSet, basename="notification")

urlpatterns = [
    path(
        "courses/<int:course_id>/announcements/",
        api_announcements.CourseAnnouncementsView.as_view(),
        name="api-course-announcements",
    ),
    path(
        "me/notification-preferences/",
        api.NotificationPreferencesView.as_view(),
        name="api-notification-preferences",
    ),
    *router.urls,
]
