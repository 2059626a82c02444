from django.urls import path

from progress import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("progress/", views.my_progress, name="my-progress"),
    path("courses/<int:course_id>/", views.course_detail, name="course-detail"),
    path("lessons/<int:lesson_id>/", views.lesson_detail, name="lesson-detail"),
    path("lessons/<int:lesson_id>/complete/", views.lesson_complete, name="lesson-complete"),
    path(
        "certificates/<str:code>/",
        views.certificate_verify,
        name="certificate-verify",
    ),
]
