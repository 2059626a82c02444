from django.urls import path

from progress import views, views_quizzes

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("progress/", views.my_progress, name="my-progress"),
    path("courses/<int:course_id>/", views.course_detail, name="course-detail"),
    path("lessons/<int:lesson_id>/", views.lesson_detail, name="lesson-detail"),
    path("lessons/<int:lesson_id>/complete/", views.lesson_complete, name="lesson-complete"),
    path("lessons/<int:lesson_id>/quiz/", views_quizzes.lesson_quiz_submit, name="lesson-quiz"),
    path(
        "certificates/<str:code>/",
        views.certificate_verify,
        name="certificate-verify",
    ),
]
