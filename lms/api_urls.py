from django.urls import path
from rest_framework.routers import SimpleRouter

from lms import api

router = SimpleRouter()
router.register("courses", api.CourseViewSet, basename="course")

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("me/", api.MeView.as_view(), name="api-me"),
    *router.urls,
]
