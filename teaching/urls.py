from django.urls import path  # noqa: F401

from teaching import views, views_analytics
from teaching.admin_site import course_authoring

urlpatterns = [
    path("teach/admin/", course_authoring.urls),
    path("teach/", views.dashboard, name="teach-dashboard"),
    path("teach/courses/<int:course_id>/", views.roster, name="teach-roster"),
    path(
        "teach/courses/<int:course_id>/students/<int:user_id>/",
        views.student,
        name="teach-student",
    ),
    path("teach/courses/<int:course_id>/gradebook.csv", views.gradebook, name="teach-gradebook"),
    path(
        "teach/courses/<int:course_id>/analytics/",
        views_analytics.course_analytics_page,
        name="teach-course-analytics",
    ),
]
