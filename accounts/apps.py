from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The user's own space: account, avatar, password, data export and deletion."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
