from django.urls import path

from discussions import api

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
    path("conversations/", api.ConversationListView.as_view(), name="api-conversation-list"),
    path("messages/", api.DirectMessagesView.as_view(), name="api-direct-messages"),
    path("messages/unread-count/", api.UnreadCountView.as_view(), name="api-dm-unread-count"),
    path("messages/read/", api.ConversationReadView.as_view(), name="api-conversation-read"),
]
