from django.apps import AppConfig


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = "Users and catalog"

    def ready(self) -> None:
        from lms import signals  # noqa: F401
        from lms.database import cap_pool_reconnect_delay

        cap_pool_reconnect_delay()
