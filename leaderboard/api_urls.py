from django.urls import path

from leaderboard import api

urlpatterns = [
    path("leaderboard/", api.LeaderboardView.as_view(), name="api-leaderboard"),
]
