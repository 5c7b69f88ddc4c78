"""TalentSync settings: one module, configured only from environment variables.

Every variable is documented in ``.env.example``. The embedded default (no variables set but
``DEBUG=1``) runs on SQLite, an in-memory channel layer, a local-memory cache and a Celery broker
that needs no server; setting ``DATABASE_URL`` and ``REDIS_URL`` moves the same code onto
PostgreSQL and Redis. With ``DEBUG=0`` the secure defaults apply and ``SECRET_KEY`` and
``ALLOWED_HOSTS`` are required, so a mis-configured production process fails at start-up.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "talentsync.apps.TalentSyncAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "guardian",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "interviews",
    "assessments",
    "scheduling",
    "recordings",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequestContextMiddleware",
    "accounts.middleware.CurrentOrganizationMiddleware",
    "accounts.middleware.RequireMfaMiddleware",
]

ROOT_URLCONF = "talentsync.urls"
WSGI_APPLICATION = "talentsync.wsgi.application"
ASGI_APPLICATION = "talentsync.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.organization",
                "scheduling.notifications.context_processors.notifications",
            ],
        },
    },
]

# --- data -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'talentsync.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web, worker and beat processes read while one of them writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not Django's in-memory default, so the test suite's live servers (daphne in a
    # subprocess) see the same database; one per test process, so parallel runs never collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
# Persistent connections, SQLite included: opening one costs more than most of the queries the
# room's sockets make (bench/yjs.py showed a new SQLite connection per document write).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="talentsync"),
        }
    }
    # Redis pub/sub (channels_redis.pubsub) rather than the list-based core layer: a group send is
    # one PUBLISH instead of a sorted-set read plus a Lua script per member, and nothing waits in
    # per-channel lists to expire or overflow "capacity". Room messages are live signals (a lost
    # one is re-sent by the peers; the shared documents resync from the database), so at-most-once
    # delivery is what they need. CHANNEL_LAYER_BACKEND=core switches back (bench/signaling.py
    # compares both).
    if env.str("CHANNEL_LAYER_BACKEND", default="pubsub") == "core":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    # redis-py reads with a 5 s socket timeout by default while channels_redis
                    # blocks in BZPOPMIN for 5 s: without a longer timeout a room quiet for 5 s
                    # would lose its sockets (close 1011).
                    "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "max_connections": 1000}],
                    "prefix": env.str("CHANNEL_LAYER_PREFIX", default="talentsync:asgi"),
                    "capacity": 1000,  # signaling bursts (ICE candidates, chat) exceed the default 100
                },
            }
        }
    else:
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {
                    "hosts": [{"address": REDIS_URL}],
                    "prefix": env.str("CHANNEL_LAYER_PREFIX", default="talentsync:asgi"),
                },
            }
        }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "talentsync.channel_layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }

# --- Celery -----------------------------------------------------------------------------
# Without a broker URL the filesystem transport is used: messages are files under var/broker,
# so web, worker and beat cooperate on one machine with no server running.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# speech-to-text and the AI analysis are heavy: they go to "batch" even if a caller forgets to say so
CELERY_TASK_ROUTES = {
    "recordings.transcribe_recording": {"queue": "batch"},
    "recordings.analyse_interview": {"queue": "batch"},
    "reporting.report_job_run": {"queue": "batch"},
    "reporting.subscriptions_send_weekly": {"queue": "batch"},
}
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- auth -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "TalentSync"

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    # The key first: its challenge ("Api-Key") makes missing or bad credentials a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "interviews.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "interviews.api.filters.CamelOrderingFilter",
    ],
    "NON_FIELD_ERRORS_KEY": "nonFieldErrors",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "talentsync.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "TalentSync API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "Hiring data of one organization. Authenticate with `Authorization: Api-Key <key>` "
        "(keys are made in the back office or with `manage.py create_api_key`) or a browser session."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from this project's static files: no CDN, and the page runs under script-src 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PositionStatusEnum": "interviews.models.Position.Status",
        "InterviewStatusEnum": "interviews.models.Interview.Status",
        "ParticipantRoleEnum": "interviews.models.Participant.Role",
        "ApiKeyRoleEnum": "accounts.models.APIKey.KeyRole",
        "MemberRoleEnum": "accounts.models.Role",
    },
}

# --- i18n, time -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Proctoring snapshots and other files only authorised views may stream: outside MEDIA_ROOT,
    # so no static or media route can ever serve them.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")), "base_url": None},
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ORGANIZATION_LOGO_MAX_BYTES = 512 * 1024

# --- e-mail -----------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="TalentSync <no-reply@talentsync.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- product settings -------------------------------------------------------------------
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)
INVITATION_PURGE_AFTER_DAYS = env.int("INVITATION_PURGE_AFTER_DAYS", default=30)

# Scheduling notifications (docs/notifications.md). Calendar invites wait this long after a
# change, so quick successive reschedules send one invite (the last); a reminder whose moment
# passed longer ago than the window (beat down, or booked after it) is not sent late.
INVITE_DEBOUNCE_SECONDS = env.int("INVITE_DEBOUNCE_SECONDS", default=60)
REMINDER_WINDOW_MINUTES = env.int("REMINDER_WINDOW_MINUTES", default=15)
# External calendars (docs/calendars.md): busy-time ICS URLs and CalDAV servers are fetched by the
# server, so by default they must resolve to public addresses (and CalDAV must use https) — a
# guard against requests into the private network. The local demo allows 127.0.0.1.
CALENDAR_FETCH_ALLOW_PRIVATE = env.bool("CALENDAR_FETCH_ALLOW_PRIVATE", default=DEBUG)

# Recordings (docs/recording.md): encrypted files outside MEDIA_ROOT, streamed only through
# signed URLs that expire. RECORDING_KEY is 32 random bytes, base64 (`python manage.py
# generate_recording_key`); without it (DEBUG only) a key is derived from SECRET_KEY.
RECORDINGS_ROOT = Path(env.str("RECORDINGS_ROOT", default=str(VAR_DIR / "recordings")))
RECORDING_KEY = env.str("RECORDING_KEY", default="")
# earlier keys, still read (never written) after a rotation
RECORDING_OLD_KEYS = env.list("RECORDING_OLD_KEYS", default=[])
RECORDING_URL_TTL_SECONDS = env.int("RECORDING_URL_TTL_SECONDS", default=3600)
# The media process (`python manage.py run_media`, docs/recording.md): every MEDIA_POLL_SECONDS it
# looks for rooms to record (at most MEDIA_MAX_ROOMS at once) and joins them over the room socket
# of MEDIA_ROOM_URL (the web process; SITE_URL by default) with a credential it signs itself, valid
# MEDIA_CREDENTIAL_TTL_SECONDS and once. MEDIA_ICE_ADDRESSES limits the addresses the recorder
# offers to browsers (e.g. one interface of a multi-homed host); empty means every interface.
MEDIA_POLL_SECONDS = env.float("MEDIA_POLL_SECONDS", default=2.0)
MEDIA_MAX_ROOMS = env.int("MEDIA_MAX_ROOMS", default=4)
MEDIA_ROOM_URL = env.str("MEDIA_ROOM_URL", default=SITE_URL).rstrip("/")
MEDIA_CREDENTIAL_TTL_SECONDS = env.int("MEDIA_CREDENTIAL_TTL_SECONDS", default=30)
MEDIA_ICE_ADDRESSES = env.list("MEDIA_ICE_ADDRESSES", default=[])
# Transcription: the offline PocketSphinx model by default; an OpenAI-compatible
# /audio/transcriptions endpoint when TRANSCRIPTION_API_URL is set.
TRANSCRIPTION_API_URL = env.str("TRANSCRIPTION_API_URL", default="")
TRANSCRIPTION_API_KEY = env.str("TRANSCRIPTION_API_KEY", default="")
TRANSCRIPTION_MODEL = env.str("TRANSCRIPTION_MODEL", default="whisper-1")
TRANSCRIPTION_LANGUAGE = env.str("TRANSCRIPTION_LANGUAGE", default="")
TRANSCRIPTION_TIMEOUT_SECONDS = env.float("TRANSCRIPTION_TIMEOUT_SECONDS", default=300.0)
TRANSCRIPTION_MAX_RETRIES = env.int("TRANSCRIPTION_MAX_RETRIES", default=2)
# the endpoint gets the audio in pieces of about this length, each cut in a pause
TRANSCRIPTION_PIECE_SECONDS = env.int("TRANSCRIPTION_PIECE_SECONDS", default=300)
# AI insights: offline analysis by default; an OpenAI-compatible /chat/completions endpoint
# when AI_API_URL and AI_API_KEY are set.
AI_API_URL = env.str("AI_API_URL", default="")
AI_API_KEY = env.str("AI_API_KEY", default="")
AI_MODEL = env.str("AI_MODEL", default="gpt-4o-mini")
AI_TIMEOUT_SECONDS = env.float("AI_TIMEOUT_SECONDS", default=30.0)
AI_MAX_RETRIES = env.int("AI_MAX_RETRIES", default=2)

# The interview room (DESIGN.md §4.1). A mesh sends every stream to every peer, so the
# participant cap is what keeps upload bandwidth sane on a home connection.
ROOM_MAX_PARTICIPANTS = env.int("ROOM_MAX_PARTICIPANTS", default=6)
ROOM_OPENS_MINUTES_BEFORE = env.int("ROOM_OPENS_MINUTES_BEFORE", default=15)
ROOM_MAX_FRAME_BYTES = env.int("ROOM_MAX_FRAME_BYTES", default=64 * 1024)
ROOM_RATE_PER_SECOND = env.float("ROOM_RATE_PER_SECOND", default=50.0)
ROOM_RATE_BURST = env.int("ROOM_RATE_BURST", default=100)
# STUN/TURN: comma-separated URLs. TURN credentials are minted per participant in the coturn
# REST format (username "<expiry>:<peer>", password base64(HMAC-SHA1(secret, username))).
ROOM_STUN_URLS = env.list("ROOM_STUN_URLS", default=[])
ROOM_TURN_URLS = env.list("ROOM_TURN_URLS", default=[])
ROOM_TURN_SECRET = env.str("ROOM_TURN_SECRET", default="")
ROOM_TURN_TTL_SECONDS = env.int("ROOM_TURN_TTL_SECONDS", default=3600)
# The shared documents (code editor, whiteboard; DESIGN.md §4.2). A whiteboard drag sends an
# update and an awareness frame per animation frame, hence a higher rate than the room socket.
YJS_MAX_FRAME_BYTES = env.int("YJS_MAX_FRAME_BYTES", default=1000 * 1024)  # daphne drops frames over 1 MiB itself
YJS_RATE_PER_SECOND = env.float("YJS_RATE_PER_SECOND", default=200.0)
YJS_RATE_BURST = env.int("YJS_RATE_BURST", default=400)
YJS_SNAPSHOT_EVERY = env.int("YJS_SNAPSHOT_EVERY", default=200)
# The room's Run button: a program may wait for stdin typed in the panel, hence a long wall
# clock; its CPU time is limited as usual.
ROOM_RUN_CPU_MS = env.int("ROOM_RUN_CPU_MS", default=5000)
ROOM_RUN_WALL_MS = env.int("ROOM_RUN_WALL_MS", default=60000)

# Code execution (DESIGN.md §4.5): "local" runs the bubblewrap sandbox in this process's pool;
# "piston" sends runs to EXECUTOR_URL (any Piston v2 compatible server, this project's included).
EXECUTION_BACKEND = env.str("EXECUTION_BACKEND", default="piston" if env.str("EXECUTOR_URL", default="") else "local")
EXECUTOR_URL = env.str("EXECUTOR_URL", default="")
EXECUTION_MAX_CONCURRENCY = env.int("EXECUTION_MAX_CONCURRENCY", default=4)
EXECUTION_CACHE_SECONDS = env.int("EXECUTION_CACHE_SECONDS", default=3600)
# A run waiting longer than this for a slot of the pool answers SANDBOX_ERROR ("busy, try again").
EXECUTION_QUEUE_TIMEOUT_SECONDS = env.float("EXECUTION_QUEUE_TIMEOUT_SECONDS", default=60.0)
# A batch (grading: one program, many test cases) stops running cases once their wall time adds
# up to this (or to cases x the wall limit, if less); the rest are TIME_LIMIT without running.
EXECUTION_BATCH_BUDGET_SECONDS = env.float("EXECUTION_BATCH_BUDGET_SECONDS", default=120.0)
# Service-to-service secret: the executor's Piston API accepts "Authorization: Bearer <it>", and the
# "piston" backend sends it. Empty disables bearer access (org API keys still work).
EXECUTOR_API_TOKEN = env.str("EXECUTOR_API_TOKEN", default="")
# Throttles, as "<count>/<seconds>" (empty = off): per participant/token, per organization, and per
# org API key on the Piston API.
EXECUTION_RATE_PER_PARTICIPANT = env.str("EXECUTION_RATE_PER_PARTICIPANT", default="20/60")
EXECUTION_RATE_PER_ORGANIZATION = env.str("EXECUTION_RATE_PER_ORGANIZATION", default="600/60")
EXECUTION_RATE_PER_API_KEY = env.str("EXECUTION_RATE_PER_API_KEY", default="300/60")
DSA_MAX_SUBMISSIONS_DEFAULT = env.int("DSA_MAX_SUBMISSIONS_DEFAULT", default=20)
DSA_SNAPSHOT_INTERVAL_SECONDS = env.int("DSA_SNAPSHOT_INTERVAL_SECONDS", default=30)
PLAGIARISM_FLAG_THRESHOLD = env.float("PLAGIARISM_FLAG_THRESHOLD", default=0.6)

# --- security ---------------------------------------------------------------------------
# Secure by default whenever DEBUG is off; each switch can still be turned off from the env
# (e.g. behind a TLS-terminating proxy that already redirects).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'", "ws:", "wss:"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
if env.str("CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env.str("CSP_REPORT_URI")]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
