"""Reading an uploaded avatar: only real images, re-encoded to square WebP in two sizes.

Nothing about the upload is trusted but its bytes: the name and the content type the
client sent are ignored, Pillow identifies the format (among the four allowed only),
and the size is checked from the header before any pixel is decoded.
"""

from __future__ import annotations

import io
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

AVATAR_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
AVATAR_MIN_SIDE = 32
AVATAR_MAX_SIDE = 4096
# The stored squares, largest first: `User.avatar` is the URL of the first.
AVATAR_SIZES = (256, 64)
AVATAR_EXTENSION = "webp"

NOT_AN_IMAGE = "This file is not a JPEG, PNG, GIF or WebP image."


def avatar_max_bytes() -> int:
    return settings.AVATAR_MAX_BYTES


def avatar_rules() -> str:
    """What an upload must be, in words, for forms and API documentation."""
    return (
        f"A JPEG, PNG, GIF or WebP image of at most {filesizeformat(avatar_max_bytes())}, "
        f"each side {AVATAR_MIN_SIDE} to {AVATAR_MAX_SIDE} pixels."
    )


def _read_limited(upload) -> bytes:
    limit = avatar_max_bytes()
    too_big = ValidationError(
        f"The image is larger than {filesizeformat(limit)}.", code="file_too_large"
    )
    if getattr(upload, "size", None) is not None and upload.size > limit:
        raise too_big
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_big
    if not data:
        raise ValidationError("The file is empty.", code="empty")
    return data


def _check_sides(width: int, height: int) -> None:
    if min(width, height) < AVATAR_MIN_SIDE or max(width, height) > AVATAR_MAX_SIDE:
        raise ValidationError(
            f"The image is {width} x {height} pixels; each side must be "
            f"{AVATAR_MIN_SIDE} to {AVATAR_MAX_SIDE} pixels.",
            code="dimensions",
        )


def _decoded(data: bytes) -> Image.Image:
    """The first frame, upright, decoded: after the format and size checks only."""
    with Image.open(io.BytesIO(data), formats=AVATAR_FORMATS) as probe:
        _check_sides(*probe.size)  # from the header: no pixel is decoded yet
        probe.verify()
    # verify() leaves the image unusable: open it again to decode.
    with Image.open(io.BytesIO(data), formats=AVATAR_FORMATS) as image:
        image.load()  # the first frame of an animation
        upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    return upright.convert("RGBA" if has_alpha else "RGB")


def avatar_images(upload) -> dict[int, bytes]:
    """The upload as WebP squares, centre-cropped, `{side: bytes}` for each of AVATAR_SIZES.

    ValidationError, with a message for the user, when it is not an acceptable image.
    Metadata (EXIF, ICC, comments) is not carried over: only pixels are re-encoded.
    """
    data = _read_limited(upload)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _decoded(data)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            f"The image has too many pixels; each side must be at most {AVATAR_MAX_SIDE}.",
            code="dimensions",
        ) from exc
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        TypeError,
        IndexError,
    ) as exc:
        raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from exc
    images = {}
    for side in AVATAR_SIZES:
        square = ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS)
        square.info = {}
        buffer = io.BytesIO()
        square.save(buffer, format="WEBP", quality=85, method=4)
        images[side] = buffer.getvalue()
    return images
