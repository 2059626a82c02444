from django.urls import path

from discussions import (
    api,
    api_editing,
    api_moderation,
    api_reactions,
    api_reading,
    api_search,
)

urlpatterns = [
    path("threads/", api.ThreadListView.as_view(), name="api-thread-list"),
    path("threads/<int:thread_id>/", api.ThreadDetailView.as_view(), name="api-thread-detail"),
    path(
        "threads/<int:thread_id>/messages/",
        api.ThreadMessagesView.as_view(),
        name="api-thread-messages",
    ),
    path(
        "threads/<int:thread_id>/members/",
        api.ThreadMembersView.as_view(),
        name="api-thread-members",
    ),
    path(
        "threads/<int:thread_id>/messages/<int:message_id>/",
        api_editing.ThreadMessageEditView.as_view(),
        name="api-thread-message-detail",
    ),
    path(
        "threads/<int:thread_id>/messages/<int:message_id>/revisions/",
        api_editing.ThreadMessageRevisionsView.as_view(),
        name="api-thread-message-revisions",
    ),
    path(
        "threads/<int:thread_id>/messages/<int:message_id>/reactions/<str:emoji>/",
        api_reactions.ReactionView.as_view(),
        name="api-message-reaction",
    ),
    path(
        "threads/<int:thread_id>/read/",
        api_reading.ThreadReadView.as_view(),
        name="api-thread-read",
    ),
    path(
        "threads/<int:thread_id>/follow/",
        api_reading.ThreadFollowView.as_view(),
        name="api-thread-follow",
    ),
    path(
        "discussions/unread/",
        api_reading.DiscussionsUnreadView.as_view(),
        name="api-discussions-unread",
    ),
    path(
        "messages/presence/",
        api_reading.PartnerPresenceView.as_view(),
        name="api-partner-presence",
    ),
    path(
        "courses/<int:course_id>/search/",
        api_search.CourseSearchView.as_view(),
        name="api-course-search",
    ),
    path(
        "messages/search/",
        api_search.DirectMessageSearchView.as_view(),
        name="api-messages-search",
    ),
    path(
        "threads/<int:thread_id>/messages/<int:message_id>/report/",
        api_moderation.MessageReportView.as_view(),
        name="api-message-report",
    ),
    path(
        "threads/<int:thread_id>/messages/<int:message_id>/hide/",
        api_moderation.MessageHideView.as_view(hide=True),
        name="api-message-hide",
    ),
    path(
        "threads/<int:thread_id>/messages/<int:message_id>/unhide/",
        api_moderation.MessageHideView.as_view(hide=False),
        name="api-message-unhide",
    ),
    path(
        "threads/<int:thread_id>/pin/",
        api_moderation.ThreadPinView.as_view(),
        name="api-thread-pin",
    ),
    path(
        "threads/<int:thread_id>/accept/",
        api_moderation.ThreadAcceptView.as_view(),
        name="api-thread-accept",
    ),
    path(
        "courses/<int:course_id>/reports/",
        api_moderation.CourseReportsView.as_view(),
        name="api-course-reports",
    ),
    path(
        "courses/<int:course_id>/moderation/",
        api_moderation.CourseModerationView.as_view(),
        name="api-course-moderation",
    ),
    path(
        "reports/<int:report_id>/dismiss/",
        api_moderation.ReportDismissView.as_view(),
        name="api-report-dismiss",
    ),
    path(
        "courses/<int:course_id>/mutes/",
        api_moderation.CourseMutesView.as_view(),
        name="api-course-mutes",
    ),
    path(
        "courses/<int:course_id>/mutes/<int:user_id>/",
        api_moderation.CourseMuteDetailView.as_view(),
        name="api-course-mute-detail",
    ),
    path("blocks/", api_moderation.BlocksView.as_view(), name="api-blocks"),
    path(
        "blocks/<int:user_id>/", api_moderation.BlockDetailView.as_view(), name="api-block-detail"
    ),
    path("conversations/", api.ConversationListView.as_view(), name="api-conversation-list"),
    path("messages/", api.DirectMessagesView.as_view(), name="api-direct-messages"),
    path("messages/unread-count/", api.UnreadCountView.as_view(), name="api-dm-unread-count"),
    path("messages/read/", api.ConversationReadView.as_view(), name="api-conversation-read"),
    path(
        "messages/<int:message_id>/",
        api_editing.DirectMessageDetailView.as_view(),
        name="api-direct-message-detail",
    ),
]
