import pytest

PASSWORD = "secret-pass-1"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Forty wrong passwords per test: hash them cheaply.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "lms.platform.hashers.DemoUsernamePasswordHasher",
    ]
