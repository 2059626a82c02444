"""GET /api/courses/{id}/analytics/: a course's engagement, for its instructor and staff."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.catalog.models import Course
from lms.catalog.permissions import course_teacher_or_error
from lms.platform.schema import api_errors, api_path_id
from teaching.analytics import ANALYTICS_DAYS_DEFAULT, ANALYTICS_DAYS_MAX, course_analytics


class AnalyticsQuerySerializer(serializers.Serializer):
    """Query parameters of GET /api/courses/{id}/analytics/."""

    days = serializers.IntegerField(
        required=False,
        default=ANALYTICS_DAYS_DEFAULT,
        min_value=1,
        max_value=ANALYTICS_DAYS_MAX,
        help_text=f"Days up to today in `daily` (default {ANALYTICS_DAYS_DEFAULT}).",
    )


class AnalyticsCourseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class AnalyticsDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    active_students = serializers.IntegerField(
        help_text="Students with time on the course's lesson pages or a lesson completed."
    )
    lessons_completed = serializers.IntegerField()
    minutes = serializers.IntegerField(help_text="Active minutes on lesson pages, all students.")
    messages = serializers.IntegerField(help_text="Thread messages posted, not hidden.")


class AnalyticsModuleSerializer(serializers.Serializer):
    module_id = serializers.IntegerField()
    title = serializers.CharField()
    order = serializers.IntegerField()
    completed = serializers.IntegerField(help_text="Enrolled students who completed the module.")
    percent = serializers.FloatField(allow_null=True, help_text="Of the enrolled students.")


class AnalyticsWeekSerializer(serializers.Serializer):
    week = serializers.IntegerField(help_text="0 is the first week after enrolling.")
    eligible = serializers.IntegerField(help_text="Students whose week N has begun.")
    active = serializers.IntegerField(help_text="Of them, those active in the course that week.")
    percent = serializers.FloatField(allow_null=True)


class AnalyticsSerializer(serializers.Serializer):
    """A course's engagement (documentation of the shape built by teaching.analytics)."""

    course = AnalyticsCourseSerializer()
    days = serializers.IntegerField()
    first = serializers.DateField()
    last = serializers.DateField(help_text="Today, in the server's time zone.")
    rolled_up_through = serializers.DateField(
        allow_null=True,
        help_text="The last day read from the daily roll-up; later days were computed live.",
    )
    totals_at = serializers.DateTimeField(
        help_text="When the totals, funnel and retention were computed (at most 30 minutes ago)."
    )
    enrolled = serializers.IntegerField()
    completed = serializers.IntegerField()
    completion_percent = serializers.FloatField(allow_null=True)
    average_completion_seconds = serializers.IntegerField(
        allow_null=True, help_text="Mean time from enrolling to completing the course."
    )
    average_completion_days = serializers.FloatField(allow_null=True)
    daily = AnalyticsDaySerializer(many=True)
    funnel = AnalyticsModuleSerializer(many=True)
    retention = AnalyticsWeekSerializer(many=True)


class CourseAnalyticsView(APIView):
    """A course's engagement: per day over the last `days` days (active students, lessons
    completed, minutes, messages), the completion funnel by module, retention by week after
    enrolling and the average time to complete. For the course's instructor and staff: 404
    for anyone not in the course, 403 for its students."""

    @extend_schema(
        parameters=[api_path_id("course_id", "A course you teach."), AnalyticsQuerySerializer],
        responses={200: AnalyticsSerializer, **api_errors(400, 401, 403, 404)},
    )
    def get(self, request, course_id: int):
        course_teacher_or_error(user=request.user, course_id=course_id)
        params = AnalyticsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        course = Course.objects.only("id", "title").get(pk=course_id)
        analytics = course_analytics(course=course, days=params.validated_data["days"])
        return Response(AnalyticsSerializer(analytics).data)
