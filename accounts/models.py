from django.conf import settings
from django.db import models


class Avatar(models.Model):
    """The stored files of a user's uploaded avatar (names in the default storage).

    `User.avatar` holds the URL of `file_256`, which every page and API shape shows;
    `file_64` is there for small places (lists, navigation).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="avatar_files"
    )
    file_256 = models.CharField(max_length=255, help_text="256 x 256 px, in the default storage")
    file_64 = models.CharField(max_length=255, help_text="64 x 64 px, in the default storage")
    uploaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.file_256
