from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """What every app stands on: middleware, the cache and database backends, the API's
    conventions and the site's metrics. It has no models."""

    name = "lms.platform"
    label = "platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from lms.platform.database import cap_pool_reconnect_delay

        cap_pool_reconnect_delay()
