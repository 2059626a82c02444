from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.response import TemplateResponse

from lms.catalog.models import Course
from lms.platform.exceptions import RateLimited
from notifications.forms import AnnouncementForm
from notifications.models import (
    Announcement,
    DigestRun,
    Notification,
    NotificationPreference,
    OutboundEmail,
    Subscription,
    SubscriptionReminder,
)
from notifications.services import announcement_send, email_requeue


@admin.action(description="Announce to this course's students")
def announce_to_course(modeladmin, request, queryset):
    """Course admin action: an intermediate form with a title and a message.

    Each selected course keeps the announcement (on its page, by the signed-in staff
    member), every active student enrolled in it gets a notification, and open course
    pages show it live. All courses or none: a refusal for one sends nothing.
    """
    form = AnnouncementForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        total = 0
        try:
            with transaction.atomic():
                for course in queryset:
                    _, sent = announcement_send(
                        course=course,
                        author=request.user,
                        title=form.cleaned_data["title"],
                        message=form.cleaned_data["message"],
                    )
                    total += len(sent)
        except (ValidationError, PermissionDenied, RateLimited) as exc:
            reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            modeladmin.message_user(request, reason, messages.ERROR)
            return None
        modeladmin.message_user(
            request,
            f"Announcement sent to {total} student{'s' if total != 1 else ''} "
            f"in {queryset.count()} course{'s' if queryset.count() != 1 else ''}.",
            messages.SUCCESS,
        )
        return None
    return TemplateResponse(
        request,
        "notifications/admin/announce.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Announce to a course",
            "form": form,
            "courses": queryset,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "announce_to_course",
        },
    )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "kind", "type", "is_read", "created_at")
    list_filter = ("kind", "type", "is_read", "related_entity_type", "created_at")
    list_select_related = ("user",)
    search_fields = ("title", "message", "user__username")
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "kind" in form.base_fields:
            form.base_fields["kind"].required = False  # left empty: "other"
        return form

    def save_model(self, request, obj, form, change):
        obj.kind = obj.kind or Notification.Kind.OTHER
        super().save_model(request, obj, form, change)


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """Announcements kept on course pages; new ones are posted with the course's
    "announce" action (or on the course page), which also notifies the students."""

    list_display = ("title", "course", "author", "created_at")
    list_filter = ("created_at",)
    list_select_related = ("course", "author")
    search_fields = ("title", "message", "course__title", "author__username")
    readonly_fields = ("course", "author", "created_at")
    fields = ("course", "author", "title", "message", "created_at")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False


class SubscriptionReminderInline(admin.TabularInline):
    model = SubscriptionReminder
    fields = ("days_before", "expires_at", "sent_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "plan", "course", "expires_at", "created_at")
    list_filter = ("plan", "expires_at")
    list_select_related = ("user", "course")
    search_fields = ("user__username", "plan", "course__title")
    autocomplete_fields = ("user", "course")
    date_hierarchy = "expires_at"
    inlines = (SubscriptionReminderInline,)


@admin.register(SubscriptionReminder)
class SubscriptionReminderAdmin(admin.ModelAdmin):
    list_display = ("subscription", "days_before", "expires_at", "sent_at")
    list_filter = ("days_before", "sent_at")
    list_select_related = ("subscription__user",)
    search_fields = ("subscription__user__username", "subscription__plan")
    readonly_fields = ("subscription", "expires_at", "days_before", "sent_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "channel")
    list_filter = ("kind", "channel")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    autocomplete_fields = ("user",)


@admin.action(description="Requeue: send again (not the ones already sent)", permissions=["change"])
def requeue_emails(modeladmin, request, queryset):
    count = email_requeue(email_ids=queryset.values_list("pk", flat=True))
    modeladmin.message_user(
        request,
        f"{count} email{'s' if count != 1 else ''} queued to be sent again.",
        messages.SUCCESS,
    )


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The email outbox. A row stuck in `sending` was being sent by a process that stopped:
    it may have gone out, so it is sent again only when staff requeue it."""

    list_display = ("subject", "to", "kind", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind", "created_at")
    list_select_related = ("user",)
    search_fields = ("to", "subject", "user__username", "dedupe_key")
    date_hierarchy = "created_at"
    actions = (requeue_emails,)
    fields = (
        "user",
        "kind",
        "to",
        "subject",
        "text_body",
        "html_body",
        "headers",
        "dedupe_key",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin):
    list_display = ("user", "period", "period_start", "notification_count", "created_at")
    list_filter = ("period", "period_start")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    readonly_fields = (
        "user",
        "period",
        "period_start",
        "covered_until",
        "notification_count",
        "created_at",
    )

    def has_add_permission(self, request) -> bool:
        return False


# The catalog's course admin (registered first: INSTALLED_APPS order) offers the
# announcement too; the catalog itself knows nothing of notifications.
_course_admin = admin.site.get_model_admin(Course)
_course_admin.actions = (*_course_admin.actions, announce_to_course)
