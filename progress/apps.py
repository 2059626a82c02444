from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "progress"

    def ready(self) -> None:
        from lms import content_events  # noqa: F401
        from progress import signals  # noqa: F401
