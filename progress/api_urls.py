from django.urls import path
from rest_framework.routers import SimpleRouter

from progress import api

router = SimpleRouter()
router.register("enrollments", api.EnrollmentViewSet, basename="enrollment")
router.register("certificates", api.CertificateViewSet, basename="certificate")
router.register("achievements", api.AchievementViewSet, basename="achievement")

urlpatterns = [
    path("me/progress/", api.MyProgressView.as_view(), name="api-my-progress"),
    path(
        "lessons/<int:lesson_id>/complete/",
        api.LessonCompleteView.as_view(),
        name="api-lesson-complete",
    ),
    path(
        "lessons/<int:lesson_id>/activity/",
        api.LessonActivityView.as_view(),
        name="api-lesson-activity",
    ),
    *router.urls,
]
