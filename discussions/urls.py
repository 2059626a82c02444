from django.urls import path

from discussions import views

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
    path("messages/", views.inbox, name="messages-inbox"),
    path("messages/<int:user_id>/", views.conversation, name="conversation"),
]
