from django.urls import path

from discussions import api, api_reading, api_search

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
        api.ThreadMessageDetailView.as_view(),
        name="api-thread-message-detail",
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
    path("conversations/", api.ConversationListView.as_view(), name="api-conversation-list"),
    path("messages/", api.DirectMessagesView.as_view(), name="api-direct-messages"),
    path("messages/unread-count/", api.UnreadCountView.as_view(), name="api-dm-unread-count"),
    path("messages/read/", api.ConversationReadView.as_view(), name="api-conversation-read"),
]
