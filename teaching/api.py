"""The teaching API: my taught courses, a course's roster, a student's detail, the gradebook."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from lms.catalog.models import Course
from lms.catalog.permissions import course_teacher_or_error
from lms.platform.schema import api_errors, api_path_id
from teaching.selectors import (
    roster_page,
    student_detail,
    taught_courses,
    taught_courses_with_online,
)
from teaching.serializers import (
    RosterPageSerializer,
    RosterQuerySerializer,
    StudentDetailSerializer,
    TaughtCourseSerializer,
)
from teaching.views import gradebook_response

COURSE_ID = api_path_id("course_id", "The course.")
USER_ID = api_path_id("user_id", "The student.")


@extend_schema(responses={200: TaughtCourseSerializer, **api_errors(401, 404)})
class TaughtCourseListView(ListAPIView):
    """The courses I teach (all of them for staff), with their enrolled and completed counts,
    average progress and students online now."""

    serializer_class = TaughtCourseSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Course.objects.none()
        return taught_courses(user=self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        courses = taught_courses_with_online(list(page))
        return self.get_paginated_response(self.get_serializer(courses, many=True).data)


@extend_schema(
    parameters=[COURSE_ID, RosterQuerySerializer],
    responses={200: RosterPageSerializer, **api_errors(400, 401, 403, 404)},
)
class RosterView(APIView):
    """The course's students with their progress, 50 a page (`page_size` up to 100), sorted by
    name (`sort`: name, progress, last_active, each also descending with `-`).

    Filters: `status` (not_started, in_progress, completed), `inactive_days` (no activity in
    the course in that many days), `online` (online now), `q` (name words). `online_now` lists
    the course's students online now. The course's instructor and staff only: 404 for
    another instructor, 403 for a student of the course.
    """

    def get(self, request, course_id: int):
        course_teacher_or_error(user=request.user, course_id=course_id)
        params = RosterQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        options = dict(params.validated_data)
        page = roster_page(course_id=course_id, with_online_now=options["page"] == 1, **options)
        url = request.build_absolute_uri()
        following = replace_query_param(url, "page", page.number + 1) if page.has_next else None
        previous = None
        if page.has_previous:
            previous = (
                remove_query_param(url, "page")
                if page.number == 2
                else replace_query_param(url, "page", page.number - 1)
            )
        return Response(
            RosterPageSerializer(
                {
                    "count": page.count,
                    "next": following,
                    "previous": previous,
                    "results": page.rows,
                    "online_now": page.online_now,
                }
            ).data
        )


@extend_schema(
    parameters=[COURSE_ID, USER_ID],
    responses={200: StudentDetailSerializer, **api_errors(401, 403, 404)},
)
class RosterStudentView(APIView):
    """A student's progress in the course: modules and lessons with completion dates and
    scores, quiz attempts, active time per day. 404 when the user is not enrolled."""

    def get(self, request, course_id: int, user_id: int):
        course_teacher_or_error(user=request.user, course_id=course_id)
        detail = student_detail(course_id=course_id, user_id=user_id)
        if detail is None:
            raise Http404("No such student in this course.")
        return Response(StudentDetailSerializer(detail).data)


class CSVRenderer(BaseRenderer):
    """Lets a client ask for `text/csv` (the gradebook streams its own CSV response)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict):
            return str(data.get("detail", ""))
        return str(data or "")


@extend_schema(
    parameters=[COURSE_ID],
    responses={
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR,
            description="One row per enrolled student; a column per quiz (best score). Streamed.",
        ),
        **api_errors(401, 403, 404),
    },
)
class GradebookView(APIView):
    """The course's gradebook as CSV (the same as `/teach/courses/{id}/gradebook.csv`)."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    def handle_exception(self, exc):
        # Errors are JSON, as everywhere in the API, even to a client that asked for CSV.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def get(self, request, course_id: int):
        course_teacher_or_error(user=request.user, course_id=course_id)
        return gradebook_response(request._request, course_id=course_id)
