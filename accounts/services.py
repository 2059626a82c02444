"""Every write of a user's own account: profile, avatar, password, deletion."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset as axes_reset
from django.contrib.admin.models import LogEntry
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.avatars import AVATAR_EXTENSION, AVATAR_SIZES, avatar_images
from accounts.models import Avatar
from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from lms.catalog.models import DELETED_USER_NAME, Course, Enrollment, User
from lms.catalog.services import enrollment_delete
from lms.realtime.events import batch
from lms.realtime.models import Event
from notifications.events import user_topic

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254
EMAIL_TAKEN = "An account with this email address already exists."
# At most one reset email per address in this many seconds, whoever asks.
PASSWORD_RESET_INTERVAL = 60
RESET_SUBJECT_TEMPLATE = "accounts/email/password_reset_subject.txt"
RESET_EMAIL_TEMPLATE = "accounts/email/password_reset_email.txt"

# Rows that point at a user and stay when the account is deleted: what they wrote for
# others (shown as from a deleted user), and the staff's audit trail. Every other row
# pointing at the user is personal data and goes.
KEPT_ON_DELETION = frozenset(
    {
        (ThreadMessage, "sender"),
        (DirectMessage, "sender"),
        (DirectMessage, "recipient"),
        (DiscussionThread, "created_by"),
        (Course, "instructor"),
        (LogEntry, "user"),
    }
)


# Profile


def name_clean(value: str, *, label: str) -> str:
    value = (value or "").strip()
    if len(value) > NAME_MAX_LENGTH:
        raise ValidationError(
            f"{label} has at most {NAME_MAX_LENGTH} characters.", code="max_length"
        )
    return value


def email_clean(email: str, *, user: User | None = None) -> str:
    """A valid address that no other account uses (compared case-insensitively)."""
    email = BaseUserManager.normalize_email((email or "").strip())
    if not email:
        raise ValidationError("Enter your email address.", code="required")
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(
            f"An email address has at most {EMAIL_MAX_LENGTH} characters.", code="max_length"
        )
    validate_email(email)
    others = User.objects.filter(email__iexact=email)
    if user is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise ValidationError(EMAIL_TAKEN, code="unique")
    return email


@transaction.atomic
def account_update(
    *,
    user: User,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    leaderboard_anonymous: bool | None = None,
) -> User:
    """Change what is given (None: left as it is). All or nothing: a ValidationError
    with a message per field when any value is refused."""
    values: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    for field, value, check in (
        ("first_name", first_name, lambda v: name_clean(v, label="A first name")),
        ("last_name", last_name, lambda v: name_clean(v, label="A last name")),
        ("email", email, lambda v: email_clean(v, user=user)),
    ):
        if value is None:
            continue
        try:
            values[field] = check(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    if leaderboard_anonymous is not None:
        values["leaderboard_anonymous"] = bool(leaderboard_anonymous)
    changed = [field for field, value in values.items() if getattr(user, field) != value]
    for field in changed:
        setattr(user, field, values[field])
    if changed:
        user.save(update_fields=changed)
    return user


# Avatar


def _storage_delete(names: Iterable[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # a file that stays behind must not fail the request
            logger.exception("could not delete avatar file %s", name)


def _avatar_files_delete_on_commit(avatar: Avatar | None) -> None:
    if avatar is not None:
        names = [avatar.file_256, avatar.file_64]
        transaction.on_commit(lambda: _storage_delete(names))


def avatar_set(*, user: User, upload) -> User:
    """Store the uploaded image as the user's avatar (see accounts/avatars.py).

    The files are written first, through the default storage; the user's row then
    points at them in one transaction, and the previous files are deleted after it
    commits. ValidationError when the upload is not an acceptable image.
    """
    images = avatar_images(upload)
    prefix = f"avatars/{user.pk}/{secrets.token_hex(8)}"
    names = {
        side: default_storage.save(f"{prefix}-{side}.{AVATAR_EXTENSION}", ContentFile(content))
        for side, content in images.items()
    }
    large, small = (names[side] for side in AVATAR_SIZES)
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()
            previous = Avatar.objects.filter(user=user).first()
            Avatar.objects.update_or_create(
                user=user, defaults={"file_256": large, "file_64": small}
            )
            user.avatar = default_storage.url(large)
            user.save(update_fields=["avatar"])
            _avatar_files_delete_on_commit(previous)
    except BaseException:
        _storage_delete(names.values())
        raise
    return user


@transaction.atomic
def avatar_remove(*, user: User) -> User:
    """No avatar any more: the uploaded files are deleted after commit."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    previous = Avatar.objects.filter(user=user).first()
    if previous is not None:
        previous.delete()
        _avatar_files_delete_on_commit(previous)
    if user.avatar:
        user.avatar = ""
        user.save(update_fields=["avatar"])
    return user


# Password


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> User:
    """Set a new password after checking the current one and the password rules.

    API tokens keep working; other browser sessions end (Django's session hash),
    and open sockets check their credential again.
    """
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["Your current password was entered incorrectly."]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    return user


def password_reset_send(*, email: str, request) -> None:
    """Email a password reset link to the active account with this address, if any.

    Says nothing either way, so nobody learns which addresses have accounts. At most
    one email per address per PASSWORD_RESET_INTERVAL seconds; the link is absolute,
    built from the request's scheme and host, and uses Django's reset tokens.
    """
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return
    address = form.cleaned_data["email"].strip().lower()
    key = "accounts:password-reset:" + hashlib.sha256(address.encode()).hexdigest()
    if not cache.add(key, 1, timeout=PASSWORD_RESET_INTERVAL):
        return
    form.save(
        request=request,
        use_https=request.is_secure(),
        subject_template_name=RESET_SUBJECT_TEMPLATE,
        email_template_name=RESET_EMAIL_TEMPLATE,
    )


@transaction.atomic
def password_reset_completed(*, user: User) -> None:
    """After a password reset by email: API tokens are revoked (their sockets close),
    and the account's failed sign-ins are forgotten, so the new password works at once.

    Sessions already ended with the old password (Django's session hash).
    """
    Token.objects.filter(user=user).delete()
    axes_reset(username=user.username)


# Deletion


def account_deletion_refusal(*, user: User) -> str | None:
    """Why this account cannot be deleted now, or None."""
    taught = Course.objects.filter(instructor=user).count()
    if taught:
        courses = "a course" if taught == 1 else f"{taught} courses"
        return (
            f"You are the instructor of {courses}. Ask staff to give "
            f"{'it' if taught == 1 else 'them'} to another instructor before you delete "
            "your account."
        )
    return None


def _tombstone_username(user: User) -> str:
    username = f"deleted-{user.pk}"
    if User.objects.filter(username=username).exclude(pk=user.pk).exists():
        username = f"deleted-{user.pk}-{secrets.token_hex(4)}"
    return username


def _personal_rows_delete(*, user: User) -> None:
    """Every row that points at the user, except KEPT_ON_DELETION."""
    for enrollment in Enrollment.objects.filter(user=user).select_related("course"):
        enrollment_delete(enrollment=enrollment)  # receivers revoke topics, update boards
    for relation in User._meta.related_objects:
        if relation.many_to_many or (relation.related_model, relation.field.name) in (
            KEPT_ON_DELETION
        ):
            continue
        relation.related_model._base_manager.filter(**{relation.field.name: user}).delete()
    user.groups.clear()
    user.user_permissions.clear()


def _stored_events_anonymize(*, user: User) -> None:
    """Replays of threads show the deleted user's messages as from a deleted user, and
    the stored events of their own topic (notifications, progress) are dropped."""
    Event.objects.filter(topic=user_topic(user.pk)).delete()
    person = {"id": user.pk, "name": DELETED_USER_NAME, "avatar": ""}
    changed = []
    for event in (
        Event.objects.filter(Q(data__sender__id=user.pk) | Q(data__creator__id=user.pk))
        .only("pk", "data")
        .iterator(chunk_size=500)
    ):
        data = dict(event.data)
        for field in ("sender", "creator"):
            if isinstance(data.get(field), dict) and data[field].get("id") == user.pk:
                data[field] = person
        event.data = data
        changed.append(event)
        if len(changed) >= 500:
            Event.objects.bulk_update(changed, ["data"])
            changed = []
    if changed:
        Event.objects.bulk_update(changed, ["data"])


@transaction.atomic
def account_delete(*, user: User) -> User:
    """Delete the account: the row stays as an anonymous tombstone, the rest goes.

    What they wrote for others (thread messages, direct messages, threads) stays
    and reads as from a deleted user; everything else about them is deleted.
    Refused (PermissionDenied) while they are the instructor of a course. Every
    open socket of the user closes after commit (the deactivation receiver), and
    sign-in is impossible (no usable password, inactive).
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.deleted_at is not None:
        return locked
    refusal = account_deletion_refusal(user=locked)
    if refusal:
        raise PermissionDenied(refusal)
    former_username = locked.username
    avatar = Avatar.objects.filter(user=locked).first()
    _avatar_files_delete_on_commit(avatar)

    with batch():  # the events of the deletions below, stored together
        locked.username = _tombstone_username(locked)
        locked.first_name = locked.last_name = locked.email = ""
        locked.set_unusable_password()
        locked.avatar = ""
        locked.is_active = False
        locked.is_staff = locked.is_superuser = False
        locked.last_login = None
        locked.deleted_at = timezone.now()
        locked.leaderboard_anonymous = True
        # First: the deactivation closes every socket and takes them off the boards.
        locked.save()
        _personal_rows_delete(user=locked)
    _stored_events_anonymize(user=locked)
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username=former_username).delete()
    return locked
