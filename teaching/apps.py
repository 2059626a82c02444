from django.apps import AppConfig


class TeachingConfig(AppConfig):
    """What the instructors of a course and staff see of it: roster, gradebook, engagement,
    announcements and course authoring."""

    name = "teaching"

    def ready(self) -> None:
        from teaching import events  # noqa: F401  (the topic and receivers)
