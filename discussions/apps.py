from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"

    def ready(self) -> None:
        from discussions import events  # noqa: F401  (topics and receivers)
