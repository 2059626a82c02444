from django.urls import path  # noqa: F401

from teaching import api_analytics

urlpatterns = [
    path(
        "courses/<int:course_id>/analytics/",
        api_analytics.CourseAnalyticsView.as_view(),
        name="api-course-analytics",
    ),
]
