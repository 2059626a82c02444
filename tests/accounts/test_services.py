"""The account services: profile, email uniqueness, avatars."""

import io
import os
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image

from accounts import services
from accounts.models import Avatar
from lms.catalog.models import User
from tests.accounts.conftest import animated_gif, image_bytes, upload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def stored(name: str) -> Image.Image:
    with default_storage.open(name) as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims `width` x `height`: decoding it would be huge."""
    data = bytearray(image_bytes("PNG", size=(40, 40)))
    # The IHDR chunk: length (4), type (4) at offset 8, then width and height.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


# Profile


def test_profile_change_saves_trimmed_names_email_and_leaderboard_choice(student):
    services.account_update(
        user=student,
        first_name="  Grace ",
        last_name="Hopper",
        email="Grace@Example.COM",
        leaderboard_anonymous=True,
    )
    student.refresh_from_db()
    assert (student.first_name, student.last_name) == ("Grace", "Hopper")
    assert student.email == "Grace@example.com"  # the domain part is lower-cased
    assert student.leaderboard_anonymous is True


def test_profile_change_leaves_out_what_is_not_given(student):
    services.account_update(user=student, last_name="Byron")
    student.refresh_from_db()
    assert (student.first_name, student.last_name, student.email) == (
        "Ada",
        "Byron",
        "ada@example.com",
    )


@pytest.mark.parametrize("email", ["ADA2@example.com", "ada2@EXAMPLE.com", " ada2@example.com "])
def test_an_email_another_account_uses_is_refused_in_any_case(student, email):
    UserFactory(email="ada2@example.com")
    with pytest.raises(ValidationError) as refused:
        services.account_update(user=student, first_name="Changed", email=email)
    assert refused.value.message_dict == {"email": [services.EMAIL_TAKEN]}
    student.refresh_from_db()
    assert (student.first_name, student.email) == ("Ada", "ada@example.com")


def test_keeping_my_own_email_in_another_case_is_fine(student):
    services.account_update(user=student, email="ADA@example.com")
    student.refresh_from_db()
    assert student.email == "ADA@example.com"


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", "x" * 250 + "@example.com"])
def test_an_invalid_or_missing_email_is_refused(student, email):
    with pytest.raises(ValidationError) as refused:
        services.account_update(user=student, email=email)
    assert list(refused.value.message_dict) == ["email"]
    student.refresh_from_db()
    assert student.email == "ada@example.com"


def test_a_name_longer_than_150_characters_is_refused(student):
    with pytest.raises(ValidationError) as refused:
        services.account_update(user=student, first_name="x" * 151)
    assert list(refused.value.message_dict) == ["first_name"]


# Avatars


@pytest.mark.parametrize(
    "content, name",
    [
        (image_bytes("PNG"), "a.png"),
        (image_bytes("JPEG"), "a.jpg"),
        (image_bytes("WEBP"), "a.webp"),
        (image_bytes("GIF", mode="RGB"), "a.gif"),
        (animated_gif(), "a.gif"),
        (image_bytes("PNG", mode="RGBA"), "a.png"),
        (image_bytes("PNG", size=(32, 4096)), "tall.png"),
    ],
    ids=["png", "jpeg", "webp", "gif", "animated-gif", "png-transparent", "extreme-sides"],
)
def test_a_real_image_becomes_square_avatars_of_256_and_64_pixels(student, content, name):
    services.avatar_set(user=student, upload=upload(content, name=name))
    avatar = Avatar.objects.get(user=student)
    student.refresh_from_db()
    assert student.avatar == default_storage.url(avatar.file_256)
    assert student.avatar.startswith(f"/media/avatars/{student.pk}/")
    large, small = stored(avatar.file_256), stored(avatar.file_64)
    assert (large.format, large.size) == ("WEBP", (256, 256))
    assert (small.format, small.size) == ("WEBP", (64, 64))
    assert avatar.file_256.endswith("-256.webp") and avatar.file_64.endswith("-64.webp")
    # The model's validator accepts what the service stores (the admin re-validates it).
    User._meta.get_field("avatar").run_validators(student.avatar)


def test_the_avatar_is_centre_cropped(student):
    # 300 x 200: blue left half, red right half; the centre square shows both.
    services.avatar_set(user=student, upload=upload(image_bytes("PNG", size=(300, 200))))
    large = stored(Avatar.objects.get(user=student).file_256).convert("RGB")
    left, right = large.getpixel((5, 128)), large.getpixel((250, 128))
    assert left[2] > 150 and left[0] < 80  # blue
    assert right[0] > 150 and right[2] < 80  # red


def test_metadata_of_the_upload_is_not_kept(student):
    exif = Image.Exif()
    exif[0x010E] = "secret location"  # ImageDescription
    content = image_bytes("JPEG", exif=exif.tobytes())
    assert b"secret location" in content
    services.avatar_set(user=student, upload=upload(content, name="a.jpg"))
    avatar = Avatar.objects.get(user=student)
    for name in (avatar.file_256, avatar.file_64):
        with default_storage.open(name) as handle:
            data = handle.read()
        assert b"secret location" not in data
        assert not stored(name).getexif()


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"just some text, not an image\n" * 10, "notes.png", "not a JPEG, PNG, GIF or WebP"),
        (b"", "empty.png", "empty"),
        (image_bytes("BMP"), "a.bmp", "not a JPEG, PNG, GIF or WebP"),
        (image_bytes("TIFF"), "a.png", "not a JPEG, PNG, GIF or WebP"),
        (image_bytes("PNG")[:200], "cut.png", "not a JPEG, PNG, GIF or WebP"),
        (image_bytes("PNG", size=(31, 100)), "small.png", "32 to 4096 pixels"),
        (image_bytes("PNG", size=(4097, 40)), "wide.png", "32 to 4096 pixels"),
        (png_claiming(5000, 5000), "huge.png", "32 to 4096 pixels"),
        (png_claiming(20000, 20000), "bomb.png", "too many pixels"),
    ],
    ids=[
        "text",
        "empty",
        "bmp",
        "tiff-named-png",
        "truncated",
        "too-small",
        "too-wide",
        "huge-header",
        "bomb",
    ],
)
def test_what_is_not_an_acceptable_image_is_refused_and_nothing_is_stored(
    student, media_root, content, name, message
):
    with pytest.raises(ValidationError) as refused:
        services.avatar_set(user=student, upload=upload(content, name=name))
    assert message in refused.value.messages[0]
    student.refresh_from_db()
    assert student.avatar == ""
    assert not Avatar.objects.exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_a_file_larger_than_the_limit_is_refused(student, settings):
    settings.AVATAR_MAX_BYTES = 1000
    noisy = Image.frombytes("RGB", (100, 100), os.urandom(100 * 100 * 3))
    buffer = io.BytesIO()
    noisy.save(buffer, format="PNG")
    content = buffer.getvalue()
    assert len(content) > 1000
    with pytest.raises(ValidationError) as refused:
        services.avatar_set(user=student, upload=upload(content))
    assert "larger than" in refused.value.messages[0]
    assert not Avatar.objects.exists()


def test_a_new_avatar_deletes_the_previous_files(student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.avatar_set(user=student, upload=upload(image_bytes("PNG")))
    first = Avatar.objects.get(user=student)
    old = [first.file_256, first.file_64]
    with django_capture_on_commit_callbacks(execute=True):
        services.avatar_set(user=student, upload=upload(image_bytes("JPEG"), name="b.jpg"))
    second = Avatar.objects.get(user=student)
    assert second.file_256 != first.file_256
    assert not any(default_storage.exists(name) for name in old)
    assert default_storage.exists(second.file_256) and default_storage.exists(second.file_64)


def test_removing_the_avatar_deletes_its_files(student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.avatar_set(user=student, upload=upload(image_bytes("PNG")))
    avatar = Avatar.objects.get(user=student)
    with django_capture_on_commit_callbacks(execute=True):
        services.avatar_remove(user=student)
    student.refresh_from_db()
    assert student.avatar == ""
    assert not Avatar.objects.exists()
    assert not default_storage.exists(avatar.file_256)
    assert not default_storage.exists(avatar.file_64)


def test_removing_an_avatar_given_as_a_link_clears_it(student):
    student.avatar = "https://images.example.com/ada.png"
    student.save()
    services.avatar_remove(user=student)
    student.refresh_from_db()
    assert student.avatar == ""


@pytest.mark.parametrize(
    "value, valid",
    [
        ("https://images.example.com/a.png", True),
        ("http://images.example.com/a.png", True),
        ("/media/avatars/3/abc-256.webp", True),
        ("", True),
        ("javascript:alert(1)", False),
        ("ftp://example.com/a.png", False),
        ("/media/../settings.py", False),
        ("/media/", False),
        ("/static/img/favicon.svg", False),
        ('/media/a"onerror="x.webp', False),
        ("avatars/3/a.webp", False),
    ],
)
def test_the_avatar_field_accepts_http_urls_and_uploaded_paths_only(value, valid):
    field = User._meta.get_field("avatar")
    if valid:
        field.run_validators(value)
    else:
        with pytest.raises(ValidationError):
            field.run_validators(value)
