from django.urls import path  # noqa: F401

from teaching import views_analytics

urlpatterns = [
    path(
        "teach/courses/<int:course_id>/analytics/",
        views_analytics.course_analytics_page,
        name="teach-course-analytics",
    ),
]
