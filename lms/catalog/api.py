from django.contrib.auth import authenticate
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from lms.catalog import selectors
from lms.catalog.permissions import course_is_visible
from lms.catalog.serializers import (
    CourseDetailSerializer,
    CourseSerializer,
    EnrollmentSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from lms.catalog.services import enrollment_create, enrollment_leave
from lms.catalog.signin import SIGNIN_LOCKED, signin_retry_after
from lms.platform.authentication import TokenAuthentication
from lms.platform.schema import api_errors


class TokenView(APIView):
    """Exchange a username and password for the API token of that user, or revoke it."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def get_authenticators(self):
        # Signing in needs no credential; signing out is by the token itself.
        if self._method() == "DELETE":
            return [TokenAuthentication()]
        return []

    def get_permissions(self):
        if self._method() == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    def get_throttles(self):
        return super().get_throttles() if self._method() == "POST" else []

    def _method(self) -> str | None:
        return getattr(getattr(self, "request", None), "method", None)

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT, description="Missing fields, or wrong username or password."
            ),
            **api_errors(415, 429),
        },
        auth=[],
    )
    def post(self, request):
        credentials = TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=credentials.validated_data["username"],
            password=credentials.validated_data["password"],
        )
        if user is None:
            if getattr(request, "axes_locked_out", False):  # set by django-axes on this request
                raise Throttled(wait=signin_retry_after(), detail=SIGNIN_LOCKED)
            return Response(
                {"detail": "Unable to log in with the given username and password."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(
        request=None,
        responses={204: None, **api_errors(401)},
        description="Log out an API client: the token of the request is revoked, and every "
        "websocket opened with it is closed at once, on every server process.",
    )
    def delete(self, request):
        Token.objects.filter(key=request.auth.key).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class CourseViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalog of published courses; a course's detail lists its modules and lessons."""

    serializer_class = CourseSerializer
    throttle_scope = "writes"  # applies where ScopedRateThrottle is on: enrolling

    def get_queryset(self):
        if self.action == "list":
            return selectors.course_catalog(search=self.request.query_params.get("search", ""))
        return selectors.course_catalog()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CourseDetailSerializer
        if self.action == "enroll":
            return EnrollmentSerializer
        return CourseSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "search", OpenApiTypes.STR, description="Words in the title or description."
            )
        ],
        responses={200: CourseSerializer, **api_errors(401, 404)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: CourseDetailSerializer, **api_errors(401, 404)})
    def retrieve(self, request, pk=None):
        course = selectors.course_with_content(course_id=self._course_id(pk))
        if course is None or not course_is_visible(user=request.user, course=course):
            raise Http404
        return Response(CourseDetailSerializer(course).data)

    @extend_schema(
        methods=["POST"],
        request=None,
        responses={
            201: EnrollmentSerializer,
            200: OpenApiResponse(EnrollmentSerializer, description="Already enrolled."),
            **api_errors(401, 404, 429),
        },
        description="Enroll the signed-in user; 201 when new, 200 when already enrolled. "
        "A student who had left the course gets their progress back.",
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        responses={
            204: OpenApiResponse(description="Left the course."),
            **api_errors(401, 404, 429),
        },
        description="Leave the course (unenroll the signed-in user). The course's live "
        "topics leave every socket of the user at once and its leaderboard drops them; "
        "completions, certificates and stats stay, so enrolling again restores the "
        "progress. 404 when not enrolled or no such course.",
    )
    @action(
        detail=True,
        methods=["post", "delete"],
        throttle_classes=[ScopedRateThrottle],
    )
    def enroll(self, request, pk=None):
        if request.method == "DELETE":
            return self._leave(request, pk)
        course = selectors.course_find(course_id=self._course_id(pk))
        if course is None:
            raise Http404
        enrollment, created = enrollment_create(user=request.user, course=course)
        return Response(
            EnrollmentSerializer(enrollment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _leave(self, request, pk) -> Response:
        enrollment_leave(user=request.user, course_id=self._course_id(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _course_id(pk) -> int:
        try:
            return int(pk)
        except (TypeError, ValueError):
            raise Http404 from None
