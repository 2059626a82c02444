"""GET and POST /api/courses/{id}/announcements/: a course's announcements."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from lms.catalog.models import Course
from lms.catalog.permissions import course_member_or_error, course_teacher_or_error
from lms.platform.schema import api_errors, api_path_id
from notifications.models import Announcement
from notifications.selectors import announcement_list
from notifications.serializers import AnnouncementCreateSerializer, AnnouncementSerializer
from notifications.services import announcement_send

COURSE_ID = api_path_id("course_id", "The course.")


class CourseAnnouncementsView(generics.ListAPIView):
    """A course's announcements, newest first: its enrolled students, its instructor and
    staff read them; its instructor and staff post them."""

    serializer_class = AnnouncementSerializer
    filter_backends: list = []

    def _course(self) -> Course:
        return get_object_or_404(Course, pk=self.kwargs["course_id"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Announcement.objects.none()
        course = self._course()
        course_member_or_error(user=self.request.user, course_id=course.pk)
        return announcement_list(course=course)

    @extend_schema(
        parameters=[COURSE_ID],
        responses={200: AnnouncementSerializer, **api_errors(401, 403, 404)},
        description="404 for an unknown or unpublished course the caller takes no part in; "
        "403 for a published one.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        parameters=[COURSE_ID],
        request=AnnouncementCreateSerializer,
        responses={201: AnnouncementSerializer, **api_errors(400, 401, 403, 404, 415, 429)},
        description="Post an announcement: it is kept on the course page, every active "
        "student enrolled in the course is notified (per their preferences) and the "
        "`announcement` event goes out on `course:{id}`. The course's instructor and staff "
        "only: 403 for its students, 404 for anyone else. At most 10 per author and hour "
        "(429 with Retry-After).",
    )
    def post(self, request, *args, **kwargs):
        course = self._course()
        course_teacher_or_error(user=request.user, course_id=course.pk)
        params = AnnouncementCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        announcement, _ = announcement_send(
            course=course,
            author=request.user,
            title=params.validated_data["title"],
            message=params.validated_data["message"],
        )
        return Response(AnnouncementSerializer(announcement).data, status=status.HTTP_201_CREATED)
