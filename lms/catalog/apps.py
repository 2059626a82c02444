from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """Users, the course catalog and enrollment. The label stays `lms`: tables and
    migrations keep their names, and AUTH_USER_MODEL is `lms.User`."""

    name = "lms.catalog"
    label = "lms"
    verbose_name = "Users and catalog"

    def ready(self) -> None:
        from lms.catalog import events  # noqa: F401  (the topic and receivers)
