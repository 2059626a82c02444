from django.urls import path

from progress import views

urlpatterns = [
    path("lessons/<int:lesson_id>/complete/", views.lesson_complete, name="lesson-complete"),
    path(
        "certificates/<str:code>/",
        views.certificate_verify,
        name="certificate-verify",
    ),
]
