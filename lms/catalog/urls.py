from django.urls import path

from lms.catalog import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("courses/", views.catalog, name="catalog"),
    path("courses/<int:course_id>/enroll/", views.course_enroll, name="course-enroll"),
    path("courses/<int:course_id>/leave/", views.course_leave, name="course-leave"),
]
