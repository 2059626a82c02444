from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class RealtimeConfig(AppConfig):
    name = "lms.realtime"
    label = "realtime"
    verbose_name = "Realtime"

    def ready(self) -> None:
        # Each app declares the topics it owns in its own events.py.
        autodiscover_modules("events")
