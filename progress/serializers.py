from rest_framework import serializers

from progress.models import Enrollment, LearningStats


class EnrollmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enrollment
        fields = ["id", "course", "progress", "enrolled_at", "completed_at"]
        read_only_fields = fields


class LearningStatsSerializer(serializers.ModelSerializer):
    class Meta:
        model = LearningStats
        fields = [
            "total_time_spent",
            "average_score",
            "courses_completed",
            "certificates_earned",
            "last_active_date",
            "current_streak",
        ]
        read_only_fields = fields
