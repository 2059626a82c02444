from django.urls import path

from lms import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("courses/", views.catalog, name="catalog"),
    path("courses/<int:course_id>/", views.course_detail, name="course-detail"),
    path("courses/<int:course_id>/enroll/", views.course_enroll, name="course-enroll"),
    path("lessons/<int:lesson_id>/", views.lesson_detail, name="lesson-detail"),
]
