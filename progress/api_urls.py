from django.urls import path
from rest_framework.routers import SimpleRouter

from progress import api, api_quizzes

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
    path(
        "lessons/<int:lesson_id>/quiz/",
        api_quizzes.LessonQuizView.as_view(),
        name="api-lesson-quiz",
    ),
    path(
        "lessons/<int:lesson_id>/quiz/attempts/",
        api_quizzes.QuizAttemptStartView.as_view(),
        name="api-quiz-attempt-start",
    ),
    path(
        "quiz-attempts/<int:attempt_id>/",
        api_quizzes.QuizAttemptView.as_view(),
        name="api-quiz-attempt",
    ),
    path(
        "quiz-attempts/<int:attempt_id>/submit/",
        api_quizzes.QuizAttemptSubmitView.as_view(),
        name="api-quiz-attempt-submit",
    ),
    *router.urls,
]
