from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.catalog.models import User
from lms.catalog.serializers import AVATAR_HELP, EnrollmentSerializer
from progress import selectors
from progress.models import (
    ACTIVITY_MAX_SECONDS,
    SCORE_MAX,
    SCORE_MIN,
    Achievement,
    Certificate,
    LearningStats,
    LessonCompletion,
    ModuleCompletion,
)


class LearningStatsSerializer(serializers.ModelSerializer):
    current_streak = serializers.SerializerMethodField(
        help_text="Consecutive activity days up to today or yesterday; 0 once a day was missed."
    )

    class Meta:
        model = LearningStats
        fields = [
            "total_time_spent",
            "total_seconds_spent",
            "average_score",
            "courses_completed",
            "certificates_earned",
            "last_active_date",
            "current_streak",
            "longest_streak",
        ]
        read_only_fields = fields

    def get_current_streak(self, stats: LearningStats) -> int:
        return selectors.streak_current(stats=stats)


class LessonCompletionSerializer(serializers.ModelSerializer):
    module = serializers.IntegerField(source="lesson.module_id", read_only=True)
    course = serializers.IntegerField(source="lesson.module.course_id", read_only=True)

    class Meta:
        model = LessonCompletion
        fields = ["id", "lesson", "module", "course", "score", "completed_at"]
        read_only_fields = fields


class ModuleCompletionSerializer(serializers.ModelSerializer):
    course = serializers.IntegerField(source="module.course_id", read_only=True)

    class Meta:
        model = ModuleCompletion
        fields = ["id", "module", "course", "completed_at"]
        read_only_fields = fields


class CertificateSerializer(serializers.ModelSerializer):
    course_title = serializers.CharField(source="course.title", read_only=True)
    verify_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = ["id", "course", "course_title", "verification_code", "issued_at", "verify_url"]
        read_only_fields = fields

    def get_verify_url(self, certificate: Certificate) -> str:
        return reverse("certificate-verify", args=[certificate.verification_code])


class AchievementSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Achievement
        fields = ["id", "kind", "title", "unlocked_at"]
        read_only_fields = fields


class LessonCompleteSerializer(serializers.Serializer):
    score = serializers.IntegerField(
        min_value=SCORE_MIN, max_value=SCORE_MAX, required=False, allow_null=True
    )


class LessonActivitySerializer(serializers.Serializer):
    seconds = serializers.IntegerField(min_value=1, max_value=ACTIVITY_MAX_SECONDS)


class LessonActivityResultSerializer(serializers.Serializer):
    credited = serializers.IntegerField(help_text="seconds added after the server-side caps")
    lesson_seconds = serializers.IntegerField(help_text="seconds credited on this lesson so far")
    total_time_spent = serializers.IntegerField(help_text="minutes, all lessons")
    total_seconds_spent = serializers.IntegerField()


class MeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    avatar = serializers.CharField(read_only=True, help_text=AVATAR_HELP)
    stats = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "name",
            "email",
            "role",
            "avatar",
            "is_staff",
            "stats",
        ]
        read_only_fields = fields

    @extend_schema_field(LearningStatsSerializer)
    def get_stats(self, user: User) -> dict:
        return LearningStatsSerializer(selectors.stats_for(user=user)).data


class DayActivitySerializer(serializers.Serializer):
    date = serializers.DateField()
    seconds = serializers.IntegerField(help_text="active seconds on lesson pages that day")
    lessons_completed = serializers.IntegerField()


class MyCourseSerializer(EnrollmentSerializer):
    """An enrollment with what a list of my courses shows of its course."""

    course_title = serializers.CharField(source="course.title", read_only=True)
    url = serializers.CharField(source="course.get_absolute_url", read_only=True)

    class Meta(EnrollmentSerializer.Meta):
        fields = [*EnrollmentSerializer.Meta.fields, "course_title", "url"]
        read_only_fields = fields


class MyProgressSerializer(serializers.Serializer):
    """GET /api/me/progress/: everything the "My progress" page shows."""

    stats = LearningStatsSerializer()
    activity = DayActivitySerializer(
        many=True, help_text="The last 84 days, oldest first, today (TIME_ZONE) last."
    )
    courses = MyCourseSerializer(many=True)
    certificates = CertificateSerializer(many=True)
    achievements = AchievementSerializer(many=True)
