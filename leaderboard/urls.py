from django.urls import path

from leaderboard import views

urlpatterns = [
    path("leaderboard/", views.leaderboard_page, name="leaderboard"),
    path(
        "courses/<int:course_id>/leaderboard/",
        views.leaderboard_page,
        name="course-leaderboard",
    ),
]
