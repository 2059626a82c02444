from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`manage.py seed_demo`: demo data that spans every app. Nothing imports it."""

    name = "lms.demo"
    label = "demo"
    verbose_name = "Demo data"
