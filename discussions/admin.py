"""Moderation of discussions. Changes go through the services, so live pages follow them.

Direct messages are deliberately not in the admin: only their sender and
recipient may read them (docs/discussions.md).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from discussions import moderation, services
from discussions.models import (
    CourseMute,
    DiscussionThread,
    MessageReport,
    MessageRevision,
    ThreadMessage,
    UserBlock,
)


@admin.register(DiscussionThread)
class DiscussionThreadAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "course",
        "created_by",
        "is_active",
        "message_total",
        "created_at",
        "updated_at",
    )
    list_filter = ("is_active", ("course", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("course", "created_by")
    search_fields = ("title", "course__title", "created_by__username")
    autocomplete_fields = ("course", "created_by")
    date_hierarchy = "created_at"
    actions = ("close_threads", "reopen_threads", "pin_threads", "unpin_threads")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(message_count=Count("messages"))

    def get_readonly_fields(self, request, obj=None):
        # The course and author of an existing thread are history, not settings.
        return ("course", "created_by", "messages_link") if obj else ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("course", "created_by", "title")
        return ("course", "created_by", "title", "is_active", "messages_link")

    @admin.display(description="Messages", ordering="message_count")
    def message_total(self, thread: DiscussionThread) -> int:
        return thread.message_count

    @admin.display(description="Messages")
    def messages_link(self, thread: DiscussionThread) -> str:
        url = (
            reverse("admin:discussions_threadmessage_changelist")
            + f"?thread__id__exact={thread.pk}"
        )
        return format_html('<a href="{}">Moderate the messages of this thread</a>', url)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        try:
            services.thread_update(
                thread=obj,
                actor=request.user,
                title=form.cleaned_data.get("title"),
                is_active=form.cleaned_data.get("is_active"),
            )
        except (PermissionDenied, ValidationError) as error:
            self.message_user(
                request, " ".join(getattr(error, "messages", [str(error)])), messages.ERROR
            )

    def _set_active(self, request, queryset, is_active: bool) -> int:
        changed = 0
        for thread in queryset.select_related("course"):
            if thread.is_active != is_active:
                services.thread_update(thread=thread, actor=request.user, is_active=is_active)
                changed += 1
        return changed

    @admin.action(description="Close the selected threads (students lose access at once)")
    def close_threads(self, request, queryset):
        count = self._set_active(request, queryset, False)
        self.message_user(request, f"Closed {count} thread(s).", messages.SUCCESS)

    @admin.action(description="Reopen the selected threads")
    def reopen_threads(self, request, queryset):
        count = self._set_active(request, queryset, True)
        self.message_user(request, f"Reopened {count} thread(s).", messages.SUCCESS)

    def _set_pinned(self, request, queryset, pinned: bool) -> None:
        for thread in queryset:
            moderation.thread_pin(thread=thread, actor=request.user, pinned=pinned)

    @admin.action(description="Pin the selected threads at the top of their course's list")
    def pin_threads(self, request, queryset):
        self._set_pinned(request, queryset, True)
        self.message_user(request, "Pinned.", messages.SUCCESS)

    @admin.action(description="Unpin the selected threads")
    def unpin_threads(self, request, queryset):
        self._set_pinned(request, queryset, False)
        self.message_user(request, "Unpinned.", messages.SUCCESS)


class MessageRevisionInline(admin.TabularInline):
    """The earlier texts of an edited message, oldest first (read only)."""

    model = MessageRevision
    fk_name = "thread_message"
    fields = ("content", "replaced_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "earlier version"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ThreadMessage)
class ThreadMessageAdmin(admin.ModelAdmin):
    list_display = ("excerpt", "thread", "course", "sender", "created_at")
    list_filter = (
        ("thread__course", admin.RelatedOnlyFieldListFilter),
        ("sender", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    list_select_related = ("thread", "thread__course", "sender")
    search_fields = ("content", "sender__username", "thread__title")
    date_hierarchy = "created_at"
    fields = ("thread", "sender", "content", "created_at", "edited_at")
    readonly_fields = fields
    inlines = (MessageRevisionInline,)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Message")
    def excerpt(self, message: ThreadMessage) -> str:
        return Truncator(message.content).chars(80)

    @admin.display(description="Course", ordering="thread__course__title")
    def course(self, message: ThreadMessage):
        return message.thread.course

    def delete_model(self, request, obj):
        services.thread_message_delete(message=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        # One by one, so each deletion reaches the live thread pages.
        for message in queryset.select_related("thread", "thread__course"):
            services.thread_message_delete(message=message, actor=request.user)


@admin.register(MessageReport)
class MessageReportAdmin(admin.ModelAdmin):
    """Reports of thread messages: hide the message or dismiss the reports, as the queue does."""

    list_display = ("message_excerpt", "course", "reporter", "reason", "status", "created_at")
    list_filter = (
        "status",
        ("message__thread__course", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    list_select_related = ("message", "message__thread__course", "reporter")
    search_fields = ("reason", "message__content", "reporter__username")
    fields = ("message", "reporter", "reason", "status", "created_at", "resolved_at", "resolved_by")
    readonly_fields = fields
    actions = ("hide_messages", "dismiss_reports")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Message")
    def message_excerpt(self, report: MessageReport) -> str:
        return Truncator(report.message.content).chars(80)

    @admin.display(description="Course")
    def course(self, report: MessageReport):
        return report.message.thread.course

    def _each_message(self, request, queryset, service) -> None:
        seen = set()
        for report in queryset.select_related("message__thread__course"):
            if report.message_id in seen:
                continue
            seen.add(report.message_id)
            try:
                service(message=report.message, actor=request.user)
            except PermissionDenied as refused:
                self.message_user(request, str(refused), messages.ERROR)

    @admin.action(description="Hide the reported messages (resolves their reports)")
    def hide_messages(self, request, queryset):
        self._each_message(request, queryset, moderation.message_hide)
        self.message_user(request, "Messages hidden.", messages.SUCCESS)

    @admin.action(description="Dismiss the reports of these messages")
    def dismiss_reports(self, request, queryset):
        self._each_message(request, queryset, moderation.reports_dismiss)
        self.message_user(request, "Reports dismissed.", messages.SUCCESS)


@admin.register(CourseMute)
class CourseMuteAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "until", "reason", "created_by", "created_at")
    list_filter = (("course", admin.RelatedOnlyFieldListFilter), "until")
    list_select_related = ("user", "course", "created_by")
    search_fields = ("user__username", "course__title", "reason")
    autocomplete_fields = ("user", "course")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        try:
            moderation.course_mute(
                course=obj.course,
                user=obj.user,
                actor=request.user,
                until=obj.until,
                reason=obj.reason,
            )
        except (PermissionDenied, ValidationError) as error:
            self.message_user(
                request, " ".join(getattr(error, "messages", [str(error)])), messages.ERROR
            )

    def delete_model(self, request, obj):
        moderation.course_unmute(course=obj.course, user=obj.user, actor=request.user)

    def delete_queryset(self, request, queryset):
        for mute in queryset.select_related("course", "user"):
            moderation.course_unmute(course=mute.course, user=mute.user, actor=request.user)


@admin.register(UserBlock)
class UserBlockAdmin(admin.ModelAdmin):
    list_display = ("blocker", "blocked", "created_at")
    list_select_related = ("blocker", "blocked")
    search_fields = ("blocker__username", "blocked__username")
    fields = ("blocker", "blocked", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
