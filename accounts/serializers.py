"""The JSON shapes of the account API (see /api/schema/)."""

from __future__ import annotations

from rest_framework import serializers

from accounts import services
from lms.catalog.models import User
from progress.serializers import MeSerializer


class AccountSerializer(MeSerializer):
    """`GET /api/me/`: the user with stats, and what only the owner sees of their account."""

    class Meta(MeSerializer.Meta):
        fields = [*MeSerializer.Meta.fields, "leaderboard_anonymous"]
        read_only_fields = fields


class AccountUpdateSerializer(serializers.Serializer):
    """What `PATCH /api/me/` may change; the rules are the account page's (accounts.services)."""

    first_name = serializers.CharField(
        required=False, allow_blank=True, max_length=services.NAME_MAX_LENGTH
    )
    last_name = serializers.CharField(
        required=False, allow_blank=True, max_length=services.NAME_MAX_LENGTH
    )
    email = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=services.EMAIL_MAX_LENGTH,
        help_text="Required to be valid and not used by another account (any case).",
    )
    leaderboard_anonymous = serializers.BooleanField(
        required=False, help_text='Ranked on leaderboards as "Anonymous learner".'
    )


class AvatarUploadSerializer(serializers.Serializer):
    avatar = serializers.FileField(
        help_text="A JPEG, PNG, GIF or WebP image (at most AVATAR_MAX_BYTES, each side 32 to "
        "4096 px). Stored centre-cropped as 256 and 64 px squares; `avatar` becomes the URL of "
        "the 256 px image."
    )


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=4096, trim_whitespace=False)
    new_password = serializers.CharField(max_length=4096, trim_whitespace=False)


class PasswordConfirmSerializer(serializers.Serializer):
    """The current password, which deleting the account asks for."""

    password = serializers.CharField(max_length=4096, trim_whitespace=False)

    def validate_password(self, value: str) -> str:
        user: User = self.context["user"]
        if not user.check_password(value):
            raise serializers.ValidationError("That is not your current password.")
        return value


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=services.EMAIL_MAX_LENGTH)


class PasswordResetAcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()


# The export: every section of accounts.selectors.account_export.


class ExportProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    role = serializers.CharField()
    avatar = serializers.CharField(allow_blank=True)
    leaderboard_anonymous = serializers.BooleanField()
    is_staff = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)


class ExportEnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField()
    course_title = serializers.CharField()
    progress = serializers.IntegerField()
    enrolled_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class ExportLessonCompletionSerializer(serializers.Serializer):
    lesson = serializers.IntegerField()
    lesson_title = serializers.CharField()
    course = serializers.IntegerField()
    score = serializers.IntegerField(allow_null=True)
    completed_at = serializers.DateTimeField()


class ExportModuleCompletionSerializer(serializers.Serializer):
    module = serializers.IntegerField()
    module_title = serializers.CharField()
    course = serializers.IntegerField()
    completed_at = serializers.DateTimeField()


class ExportCertificateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField()
    course_title = serializers.CharField()
    verification_code = serializers.CharField()
    issued_at = serializers.DateTimeField()


class ExportStatsSerializer(serializers.Serializer):
    total_time_spent = serializers.IntegerField(help_text="minutes")
    average_score = serializers.FloatField(allow_null=True)
    courses_completed = serializers.IntegerField()
    certificates_earned = serializers.IntegerField()
    last_active_date = serializers.DateField(allow_null=True)
    current_streak = serializers.IntegerField()


class ExportLessonActivitySerializer(serializers.Serializer):
    lesson = serializers.IntegerField()
    seconds = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class ExportDailyActivitySerializer(serializers.Serializer):
    day = serializers.DateField()
    seconds = serializers.IntegerField()
    lessons_completed = serializers.IntegerField()


class ExportEmailSerializer(serializers.Serializer):
    kind = serializers.CharField()
    to = serializers.EmailField()
    subject = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


class ExportAchievementSerializer(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField()
    unlocked_at = serializers.DateTimeField()


class ExportNotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    message = serializers.CharField(allow_blank=True)
    type = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    is_read = serializers.BooleanField()
    related_entity_type = serializers.CharField(allow_blank=True)
    related_entity_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class ExportSubscriptionSerializer(serializers.Serializer):
    plan = serializers.CharField()
    course = serializers.IntegerField(allow_null=True)
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class ExportThreadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()


class ExportThreadMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    thread = serializers.IntegerField()
    course = serializers.IntegerField()
    content = serializers.CharField()
    created_at = serializers.DateTimeField()


class ExportDirectMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    recipient = serializers.IntegerField(help_text="The recipient's user id.")
    content = serializers.CharField()
    is_read = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class AccountExportSerializer(serializers.Serializer):
    """Everything the site keeps about me (`GET /api/me/export/`, `/account/export/`)."""

    format = serializers.CharField()
    version = serializers.IntegerField()
    exported_at = serializers.DateTimeField()
    profile = ExportProfileSerializer()
    enrollments = ExportEnrollmentSerializer(many=True)
    lesson_completions = ExportLessonCompletionSerializer(many=True)
    module_completions = ExportModuleCompletionSerializer(many=True)
    certificates = ExportCertificateSerializer(many=True)
    stats = ExportStatsSerializer(allow_null=True, help_text="null before any learning.")
    lesson_activity = ExportLessonActivitySerializer(many=True)
    daily_activity = ExportDailyActivitySerializer(many=True)
    achievements = ExportAchievementSerializer(many=True)
    notifications = ExportNotificationSerializer(many=True)
    notification_preferences = serializers.DictField(
        child=serializers.CharField(), help_text="The channel of each notification kind."
    )
    emails = ExportEmailSerializer(many=True, help_text="Emails sent or queued to me.")
    subscriptions = ExportSubscriptionSerializer(many=True)
    threads_started = ExportThreadSerializer(many=True)
    thread_messages = ExportThreadMessageSerializer(many=True)
    direct_messages_sent = ExportDirectMessageSerializer(many=True)
