from django.urls import path  # noqa: F401

from teaching import api, api_analytics

urlpatterns = [
    path("teaching/courses/", api.TaughtCourseListView.as_view(), name="api-taught-courses"),
    path("courses/<int:course_id>/roster/", api.RosterView.as_view(), name="api-roster"),
    path(
        "courses/<int:course_id>/roster/<int:user_id>/",
        api.RosterStudentView.as_view(),
        name="api-roster-student",
    ),
    path("courses/<int:course_id>/gradebook/", api.GradebookView.as_view(), name="api-gradebook"),
    path(
        "courses/<int:course_id>/analytics/",
        api_analytics.CourseAnalyticsView.as_view(),
        name="api-course-analytics",
    ),
]
