from django.urls import path

from notifications import views, views_announcements

urlpatterns = [
    path(
        "courses/<int:course_id>/announcements/",
        views_announcements.course_announcements,
        name="course-announcements",
    ),
    path("notifications/", views.notification_list_page, name="notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        views.notification_read,
        name="notification-read",
    ),
    path(
        "notifications/<int:notification_id>/open/",
        views.notification_open,
        name="notification-open",
    ),
    path("notifications/read-all/", views.notification_read_all, name="notifications-read-all"),
    path(
        "account/notifications/",
        views.notification_preferences_page,
        name="notification-preferences",
    ),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
