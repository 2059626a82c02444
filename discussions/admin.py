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

from discussions import services
from discussions.models import DiscussionThread, ThreadMessage


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
    actions = ("close_threads", "reopen_threads")

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
    fields = ("thread", "sender", "content", "created_at")
    readonly_fields = fields

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
