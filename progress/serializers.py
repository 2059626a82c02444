from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.catalog.models import User
from lms.catalog.serializers import AVATAR_HELP
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
        ]
        read_only_fields = fields


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
