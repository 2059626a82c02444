from django.urls import path

from accounts import api

urlpatterns = [
    path("me/", api.AccountView.as_view(), name="api-me"),
    path("me/avatar/", api.AvatarView.as_view(), name="api-me-avatar"),
    path("me/password/", api.PasswordView.as_view(), name="api-me-password"),
    path("me/export/", api.ExportView.as_view(), name="api-me-export"),
    path(
        "auth/password-reset/",
        api.PasswordResetRequestView.as_view(),
        name="api-password-reset",
    ),
]
