from django.urls import path

from discussions import views, views_editing, views_moderation, views_reading, views_search

urlpatterns = [
    path(
        "courses/<int:course_id>/discussions/",
        views.course_discussions,
        name="course-discussions",
    ),
    path("threads/<int:thread_id>/", views.thread_detail, name="thread-detail"),
    path("threads/<int:thread_id>/moderate/", views.thread_moderate, name="thread-moderate"),
    path(
        "threads/<int:thread_id>/messages/<int:message_id>/delete/",
        views.thread_message_delete,
        name="thread-message-delete",
    ),
    path(
        "threads/<int:thread_id>/follow/",
        views_reading.thread_follow_toggle,
        name="thread-follow",
    ),
    path(
        "threads/<int:thread_id>/read.gif",
        views_reading.thread_read_beacon,
        name="thread-read-beacon",
    ),
    path("discussions/unread/", views_reading.discussions_unread_page, name="discussions-unread"),
    path(
        "courses/<int:course_id>/discussions/search/",
        views_search.course_discussions_search,
        name="course-discussions-search",
    ),
    path("messages/search/", views_search.direct_messages_search, name="messages-search"),
    path(
        "courses/<int:course_id>/moderation/",
        views_moderation.moderation_queue,
        name="moderation-queue",
    ),
    path(
        "courses/<int:course_id>/moderation/act/",
        views_moderation.moderation_action,
        name="moderation-action",
    ),
    path(
        "threads/<int:thread_id>/messages/<int:message_id>/report/",
        views_moderation.message_report,
        name="thread-message-report",
    ),
    path("threads/<int:thread_id>/pin/", views_moderation.thread_pin, name="thread-pin"),
    path("threads/<int:thread_id>/accept/", views_moderation.thread_accept, name="thread-accept"),
    path("messages/<int:user_id>/block/", views_moderation.user_block, name="user-block"),
    path(
        "threads/<int:thread_id>/messages/<int:message_id>/edit/",
        views_editing.thread_message_edit,
        name="thread-message-edit",
    ),
    path(
        "threads/<int:thread_id>/messages/<int:message_id>/react/",
        views_editing.thread_message_react,
        name="thread-message-react",
    ),
    path(
        "messages/edit/<int:message_id>/",
        views_editing.direct_message_edit,
        name="direct-message-edit",
    ),
    path("messages/", views.inbox, name="messages-inbox"),
    path("messages/<int:user_id>/", views.conversation, name="conversation"),
]
