"""The account API: `/api/me/` and what hangs off it, and the password reset request."""

from django.contrib.auth import logout, update_session_auth_hash
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.serializers import (
    AccountExportSerializer,
    AccountSerializer,
    AccountUpdateSerializer,
    AvatarUploadSerializer,
    PasswordChangeSerializer,
    PasswordConfirmSerializer,
    PasswordResetAcceptedSerializer,
    PasswordResetRequestSerializer,
)
from lms.platform.schema import api_errors
from progress.api import MeView

RESET_ACCEPTED = (
    "If an active account uses this address, a link to choose a new password is on its way."
)


def _signed_in_by_session(request) -> bool:
    return isinstance(request.successful_authenticator, SessionAuthentication)


class WritesThrottled:
    """Writes count against the "writes" rate; reads are not throttled."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "writes"

    def get_throttles(self):
        return [] if self.request.method in ("GET", "HEAD", "OPTIONS") else super().get_throttles()


class AccountView(WritesThrottled, MeView):
    """The signed-in user, with learning stats; change my profile; delete my account."""

    @extend_schema(
        responses={200: AccountSerializer, **api_errors(401)},
        description="The signed-in user with learning stats, as in the product contract, "
        "plus what only the owner sees: `email` and `leaderboard_anonymous`. `avatar` is an "
        "http(s) URL, a path of this site (`/media/...`) for an uploaded picture, or empty.",
    )
    def get(self, request):
        return Response(AccountSerializer(request.user).data)

    @extend_schema(
        request=AccountUpdateSerializer,
        responses={200: AccountSerializer, **api_errors(400, 401, 415, 429)},
        description="Change any of `first_name`, `last_name`, `email` (valid, and used by no "
        "other account in any case) and `leaderboard_anonymous`. All or nothing: a 400 "
        "changes nothing.",
    )
    def patch(self, request):
        params = AccountUpdateSerializer(data=request.data, partial=True)
        params.is_valid(raise_exception=True)
        user = services.account_update(user=request.user, **params.validated_data)
        return Response(AccountSerializer(user).data)

    @extend_schema(
        request=PasswordConfirmSerializer,
        responses={
            204: OpenApiResponse(description="Deleted: signed out everywhere."),
            **api_errors(400, 401, 403, 415, 429),
        },
        description="Delete my account, confirmed with my current password (400 when it is "
        "wrong). 403 while I am the instructor of a course. My messages stay, shown as from "
        "a deleted user; everything else about me is deleted, my tokens are revoked and my "
        "websockets close.",
    )
    def delete(self, request):
        params = PasswordConfirmSerializer(data=request.data, context={"user": request.user})
        params.is_valid(raise_exception=True)
        services.account_delete(user=request.user)
        if _signed_in_by_session(request):
            logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AvatarView(WritesThrottled, APIView):
    """Upload or remove my avatar."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": AvatarUploadSerializer},
        responses={200: AccountSerializer, **api_errors(400, 401, 415, 429)},
        description="Multipart form data with the image in `avatar`. 400 with a message when "
        "it is not a JPEG, PNG, GIF or WebP image, is too large in bytes or pixels, or too "
        "small. Answers the user, whose `avatar` is the new 256 px image's URL.",
    )
    def post(self, request):
        params = AvatarUploadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        user = services.avatar_set(user=request.user, upload=params.validated_data["avatar"])
        return Response(AccountSerializer(user).data)

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="No avatar any more."), **api_errors(401)},
    )
    def delete(self, request):
        services.avatar_remove(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordView(WritesThrottled, APIView):
    """Change my password."""

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={
            204: OpenApiResponse(description="Changed."),
            **api_errors(400, 401, 415, 429),
        },
        description="`old_password` must be the current one; `new_password` must pass the "
        "site's password rules (400 with the messages). API tokens keep working; other "
        "browser sessions are signed out.",
    )
    def post(self, request):
        params = PasswordChangeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        user = services.password_change(user=request.user, **params.validated_data)
        if _signed_in_by_session(request):
            update_session_auth_hash(request, user)  # this browser stays signed in
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportView(APIView):
    """Download my data."""

    @extend_schema(responses={200: AccountExportSerializer, **api_errors(401)})
    def get(self, request):
        export = selectors.account_export(user=request.user)
        response = Response(AccountExportSerializer(export).data)
        response["Cache-Control"] = "no-store"
        return response


class PasswordResetRequestView(APIView):
    """Ask for a password reset link by email."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=PasswordResetRequestSerializer,
        responses={202: PasswordResetAcceptedSerializer, **api_errors(400, 415, 429)},
        auth=[],
        description="Always 202 for a well-formed address, whether or not an account uses "
        "it. An active account with that address gets Django's reset email, its link leading "
        "to `/reset/<uidb64>/<token>/` on this site (at most one email per address a minute).",
    )
    def post(self, request):
        params = PasswordResetRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.password_reset_send(email=params.validated_data["email"], request=request)
        return Response({"detail": RESET_ACCEPTED}, status=status.HTTP_202_ACCEPTED)
