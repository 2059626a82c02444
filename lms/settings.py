"""Settings read from environment variables, with development defaults embedded.

See docs/configuration.md for every variable.
"""

import ipaddress
import os
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
_allowed_hosts = os.environ.get("ALLOWED_HOSTS", "")

if DEBUG:
    if not SECRET_KEY:
        SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"
        if "pytest" not in sys.modules and sys.argv[1:2] != ["test"]:
            warnings.warn(
                "SECRET_KEY is not set: using the development key (DEBUG is on).",
                stacklevel=1,
            )
    ALLOWED_HOSTS = (
        [h.strip() for h in _allowed_hosts.split(",") if h.strip()]
        if _allowed_hosts
        else ["127.0.0.1", "localhost", "[::1]", "testserver"]
    )
else:
    missing = [
        name
        for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", _allowed_hosts))
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            "DEBUG is off, so these environment variables are required: "
            + ", ".join(missing)
            + ". Set them (ALLOWED_HOSTS is a comma-separated list of host names), "
            "or set DEBUG=1 for development."
        )
    ALLOWED_HOSTS = [h.strip() for h in _allowed_hosts.split(",") if h.strip()]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "lms.platform",
    "lms.realtime",
    "lms.catalog",
    "notifications",
    "progress",
    "discussions",
    "leaderboard",
    "accounts",
    "teaching",
    "lms.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early: a NUL byte in the URL or a posted form is a 400 before any view or query.
    "lms.platform.middleware.RejectNulMiddleware",
    "lms.platform.middleware.StaticFilesMiddleware",
    "lms.platform.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lms.platform.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lms.urls"
ASGI_APPLICATION = "lms.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lms.platform.context_processors.navigation",
                "notifications.context_processors.navigation",
                "discussions.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        conn_health_checks=env_bool("DB_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", True):
    # A pool of open connections per process (psycopg's, through Django): no connection
    # is opened per request or per websocket join, a held poll holds none while it
    # waits, and a burst of work queues for at most DB_POOL_MAX_SIZE connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them instead
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 2),
        "max_size": env_int("DB_POOL_MAX_SIZE", 10),
        "timeout": env_int("DB_POOL_TIMEOUT", 10),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several writers (web requests, websocket joins) share one file: wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "lms.User"

REDIS_URL = os.environ.get("REDIS_URL", "")
# "pubsub" (default) or "core": see docs/benchmarks.md for the measurement behind the default.
CHANNEL_LAYER_KIND = os.environ.get("CHANNEL_LAYER", "pubsub")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": (
                "channels_redis.pubsub.RedisPubSubChannelLayer"
                if CHANNEL_LAYER_KIND == "pubsub"
                else "channels_redis.core.RedisChannelLayer"
            ),
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # Bulk demo students until their first login (docs/demo-data.md).
    "lms.platform.hashers.DemoUsernamePasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve straight from the app and project folders, so a fresh checkout needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Proxies in front of Daphne that each append the address they saw to X-Forwarded-For
# (1 behind deploy/nginx.conf). 0: the connecting address (REMOTE_ADDR) is the client.
# One rule for sign-in lockouts, /metrics and API throttles: lms/platform/client_address.py.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Sign-in limits (django-axes, docs/security.md): every sign-in path (login page, admin,
# token endpoint) counts failures per account and per client address.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_CLIENT_IP_CALLABLE = "lms.platform.client_address.client_ip"
AXES_LOCKOUT_CALLABLE = "lms.catalog.views.signin_locked_out"

# GET /metrics (docs/security.md): served to these addresses or networks (the client
# address as above), or to `Authorization: Bearer <METRICS_TOKEN>`; unset: no token works.
METRICS_ALLOWED_IPS = [
    str(ipaddress.ip_network(entry.strip(), strict=False))
    for entry in os.environ.get("METRICS_ALLOWED_IPS", "127.0.0.1,::1").split(",")
    if entry.strip()
]
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# Content-Security-Policy (django-csp; docs/security.md says how to extend it). No inline
# scripts or styles anywhere: pages, the API docs and the admin load theirs from /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Avatars are links to images elsewhere; over HTTPS only. data: for icons in CSS.
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'"],
        # 'self' covers the same-origin websocket (ws: and wss:) as well as fetch.
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous requests a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lms.platform.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lms.platform.exceptions.api_exception_handler",
    # Throttles identify clients by the same rule as lms/platform/client_address.py.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    # DRF's defaults; the HTML view marks its pages as needing inline styles (the CSP).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "lms.platform.renderers.BrowsableAPIRenderer",
    ],
    # DRF's defaults, with a JSON parser that answers deep nesting with a 400.
    "DEFAULT_PARSER_CLASSES": [
        "lms.platform.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_RATES": {
        "writes": os.environ.get("WRITE_RATE_LIMIT", "120/min"),
        "messages": os.environ.get("MESSAGE_RATE_LIMIT", "20/min"),
        "login": os.environ.get("LOGIN_RATE_LIMIT", "20/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Realtime LMS API",
    "DESCRIPTION": "Courses, progress, notifications, discussions, messages and leaderboards. "
    "Live updates travel over the websocket at /ws/ (see docs/realtime.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets used by several objects get one name (by path: settings import no app).
    "ENUM_NAME_OVERRIDES": {
        "NotificationKindEnum": "notifications.models.Kind",
        "NotificationChannelEnum": "notifications.models.Channel",
    },
}

CACHES = {
    "default": (
        {"BACKEND": "lms.platform.cache.FailOpenRedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Realtime knobs (docs/realtime.md).
REALTIME_EVENT_RETENTION_DAYS = env_int("REALTIME_EVENT_RETENTION_DAYS", 7)
REALTIME_MAX_TOPICS_PER_SOCKET = 100
REALTIME_MAX_FRAME_BYTES = 64 * 1024
REALTIME_JOIN_RATE = (env_int("REALTIME_JOINS_PER_WINDOW", 60), 10)  # per socket: joins, s
REALTIME_USER_JOIN_RATE = (env_int("REALTIME_USER_JOINS_PER_WINDOW", 200), 10)  # per user
REALTIME_MAX_SOCKETS_PER_USER = env_int("REALTIME_MAX_SOCKETS_PER_USER", 20)
REALTIME_PRESENCE_STATE_LIMIT = env_int("REALTIME_PRESENCE_STATE_LIMIT", 100)  # users shown
REALTIME_PRESENCE_TTL = env_int("REALTIME_PRESENCE_TTL", 45)
REALTIME_POLL_MAX_WAIT = 30
REALTIME_MAX_POLLS_PER_USER = env_int("REALTIME_MAX_POLLS_PER_USER", 10)  # held at once
# Threads (each with its own database connection) for handshakes, joins and polls.
REALTIME_DB_THREADS = env_int("REALTIME_DB_THREADS", 6)
# Requests of pages and the API whose views run at once per process (lms/platform/handlers.py).
REQUEST_THREADS = env_int("REQUEST_THREADS", 4)
REALTIME_HANDSHAKE_THREADS = env_int("REALTIME_HANDSHAKE_THREADS", 2)  # a lane of their own
REALTIME_WOKEN_POLL_THREADS = env_int("REALTIME_WOKEN_POLL_THREADS", 2)  # answers of woken polls
# Event frames framed once and written straight to Daphne's sockets (lms/realtime/wire.py).
REALTIME_DIRECT_WRITES = env_bool("REALTIME_DIRECT_WRITES", True)
# Tracked objects allocated between two of the collector's young collections in a server
# process (Python's default is 700; lms/realtime/server_tuning.py says why more).
SERVER_GC_YOUNG_THRESHOLD = env_int("SERVER_GC_YOUNG_THRESHOLD", 10_000)
# Seconds between two snapshots of a process's figures for the health page; 0: none.
REALTIME_HEALTH_INTERVAL = env_int("REALTIME_HEALTH_INTERVAL", 5)


def default_namespace(database: dict, redis_url: str) -> str:
    """A prefix of channel-layer groups and Redis keys that is this deployment's own.

    Redis pub/sub ignores the database number of REDIS_URL, so two deployments
    on one Redis server would hear each other under one fixed prefix. Derived
    from where the data lives, the default differs between deployments that
    differ in PostgreSQL database or Redis database, and agrees between the
    server processes of one deployment.
    """
    from hashlib import sha256
    from urllib.parse import urlsplit

    redis = urlsplit(redis_url)
    identity = "|".join(
        str(part)
        for part in (
            database.get("ENGINE"),
            database.get("NAME"),
            database.get("HOST"),
            database.get("PORT"),
            redis.hostname,
            redis.port,
            redis.path,
        )
    )
    return "rt-" + sha256(identity.encode()).hexdigest()[:12]


# Prefix of channel-layer groups and Redis keys (docs/realtime.md): set it only to make
# processes with differently written but equal addresses agree.
REALTIME_NAMESPACE = os.environ.get("REALTIME_NAMESPACE") or default_namespace(
    DATABASES["default"], REDIS_URL
)
CACHES["default"]["KEY_PREFIX"] = REALTIME_NAMESPACE

# Discussions and messages (docs/discussions.md).
MESSAGE_RATE_LIMIT_PER_MINUTE = env_int("MESSAGE_RATE_LIMIT_PER_MINUTE", 20)
MESSAGE_DELETE_WINDOW_MINUTES = env_int("MESSAGE_DELETE_WINDOW_MINUTES", 15)
MESSAGE_EDIT_WINDOW_MINUTES = env_int("MESSAGE_EDIT_WINDOW_MINUTES", 15)

LEADERBOARD_DEFAULT_LIMIT = env_int("LEADERBOARD_DEFAULT_LIMIT", 10)

# Uploaded files (avatars), through Django's storage API: MEDIA_STORAGE names any storage
# backend class (an object store's, say); the default keeps them under MEDIA_ROOT, which
# the site serves itself unless SERVE_MEDIA is off (a proxy or the store serves them).
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
# Largest avatar upload accepted, in bytes (docs/accounts.md).
AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 2 * 1024 * 1024)
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Email (docs/notifications.md). EMAIL_URL (smtp://user:pass@host:587/?tls=True,
# console://, file:///path, memory://) or the usual EMAIL_HOST, EMAIL_PORT,
# EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS. With neither, mail is written to
# the console, so `make run` needs no mail server.
if os.environ.get("EMAIL_URL"):
    # dj-email-url's keys, leaving Django's defaults where the URL says nothing.
    # A file path needs four slashes: file:////var/mail/lms.
    _email = dj_email_url.parse(os.environ["EMAIL_URL"])
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
    EMAIL_PORT = _email["EMAIL_PORT"] or 25
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
    EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 10
    if _email["EMAIL_FILE_PATH"]:
        EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
elif os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Realtime LMS <lms@localhost>")
# Where links in emails point (no request to take it from): scheme, host and port.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Queued emails are handed on commit to one worker thread per process, so no request
# waits for the mail server; off, they are sent on commit in the committing thread (the
# default under pytest, whose tests drain the queue themselves).
EMAIL_SEND_IN_BACKGROUND = env_bool("EMAIL_SEND_IN_BACKGROUND", "pytest" not in sys.modules)
# A failed send is retried after EMAIL_RETRY_SECONDS, doubling each time, until this many.
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 5)
EMAIL_RETRY_SECONDS = env_int("EMAIL_RETRY_SECONDS", 60)

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
