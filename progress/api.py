from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from lms.catalog.models import Enrollment, Lesson
from lms.catalog.serializers import EnrollmentSerializer
from lms.platform.schema import api_errors, api_path_id
from progress import services
from progress.models import Achievement, Certificate
from progress.selectors import achievement_list, certificate_list, my_progress
from progress.serializers import (
    AchievementSerializer,
    CertificateSerializer,
    LessonActivityResultSerializer,
    LessonActivitySerializer,
    LessonCompleteSerializer,
    MeSerializer,
    MyProgressSerializer,
)

LESSON_ID = api_path_id("lesson_id", "The lesson.")


def lesson_or_404(lesson_id: int) -> Lesson:
    return get_object_or_404(Lesson.objects.select_related("module__course"), pk=lesson_id)


@extend_schema_view(
    list=extend_schema(responses={200: EnrollmentSerializer, **api_errors(400, 401, 404)}),
    retrieve=extend_schema(responses={200: EnrollmentSerializer, **api_errors(401, 404)}),
)
class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """My enrollments; another user's id is a 404."""

    serializer_class = EnrollmentSerializer
    filterset_fields = ["course"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Enrollment.objects.none()
        return Enrollment.objects.filter(user=self.request.user).order_by("-enrolled_at", "-id")


@extend_schema(parameters=[LESSON_ID])
class LessonCompleteView(APIView):
    """Complete a lesson (optionally with a score 0-100) and run the progress cascade.

    Returns my enrollment in the lesson's course. Idempotent: completing again
    returns 200 with the same enrollment and creates nothing; a new score
    replaces the stored one; a lesson with a quiz keeps my best quiz score instead
    (docs/quizzes.md). 403 when not enrolled, or when the lesson's quiz must be passed
    first ("Pass the quiz to complete this lesson."); 404 for an unknown lesson.
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "writes"

    @extend_schema(
        request=LessonCompleteSerializer,
        responses={200: EnrollmentSerializer, **api_errors(400, 401, 403, 404, 415, 429)},
    )
    def post(self, request, lesson_id: int):
        lesson = lesson_or_404(lesson_id)
        params = LessonCompleteSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        enrollment, _created = services.lesson_complete(
            user=request.user, lesson=lesson, score=params.validated_data.get("score")
        )
        return Response(EnrollmentSerializer(enrollment).data)


@extend_schema(parameters=[LESSON_ID])
class LessonActivityView(APIView):
    """Report active seconds (1-300) spent on a lesson page.

    The server credits at most the time elapsed since the previous report on
    the lesson (see docs/progress.md). 403 when not enrolled.
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "writes"

    @extend_schema(
        request=LessonActivitySerializer,
        responses={
            200: LessonActivityResultSerializer,
            **api_errors(400, 401, 403, 404, 415, 429),
        },
    )
    def post(self, request, lesson_id: int):
        lesson = lesson_or_404(lesson_id)
        params = LessonActivitySerializer(data=request.data)
        params.is_valid(raise_exception=True)
        result = services.lesson_activity_record(
            user=request.user, lesson=lesson, seconds=params.validated_data["seconds"]
        )
        return Response(LessonActivityResultSerializer(result).data)


@extend_schema_view(
    list=extend_schema(responses={200: CertificateSerializer, **api_errors(401, 404)}),
    retrieve=extend_schema(responses={200: CertificateSerializer, **api_errors(401, 404)}),
)
class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """My certificates, newest first."""

    serializer_class = CertificateSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Certificate.objects.none()
        return certificate_list(user=self.request.user)


@extend_schema_view(
    list=extend_schema(responses={200: AchievementSerializer, **api_errors(401, 404)}),
    retrieve=extend_schema(responses={200: AchievementSerializer, **api_errors(401, 404)}),
)
class AchievementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """My achievements, newest first."""

    serializer_class = AchievementSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Achievement.objects.none()
        return achievement_list(user=self.request.user)


class MeView(APIView):
    """The signed-in user, with learning stats."""

    @extend_schema(responses={200: MeSerializer, **api_errors(401)})
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class MyProgressView(APIView):
    """My learning at a glance: stats (as in `/api/me/`), activity per day over the last
    84 days (zeros included), my courses with their progress, certificates, achievements."""

    @extend_schema(responses={200: MyProgressSerializer, **api_errors(401)})
    def get(self, request):
        return Response(MyProgressSerializer(my_progress(user=request.user)).data)
