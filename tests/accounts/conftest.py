"""Uploads go to a temporary MEDIA_ROOT; images are made with Pillow."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from tests.factories import UserFactory

PASSWORD = "secret-pass-1"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def image_bytes(
    fmt: str = "PNG", size: tuple[int, int] = (300, 200), mode: str = "RGB", **save
) -> bytes:
    image = Image.new(mode, size, color=(200, 40, 40) if mode == "RGB" else None)
    if mode == "RGB":
        # A left half of another colour: the centre crop keeps some of both.
        image.paste((20, 60, 220), (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def animated_gif(size: tuple[int, int] = (80, 80)) -> bytes:
    frames = [Image.new("RGB", size, color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


def upload(content: bytes, name: str = "me.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def student(db):
    return UserFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")


@pytest.fixture
def page_client(student):
    client = Client()
    client.force_login(student)
    return client


@pytest.fixture
def api(student):
    client = APIClient()
    client.force_authenticate(student)
    return client
