from django.urls import path
from rest_framework.routers import SimpleRouter

from lms.catalog import api

router = SimpleRouter()
router.register("courses", api.CourseViewSet, basename="course")

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    *router.urls,
]
