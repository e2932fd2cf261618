"""Pilotgate settings: one module, driven by environment variables.

Embedded default: SQLite under var/, a Celery broker on the local filesystem, console
email. Set DATABASE_URL for PostgreSQL and REDIS_URL for Redis (broker and cache).
DJANGO_ENV=production refuses the default SECRET_KEY and turns on the secure settings.
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from config import secret_checks
from config.env import (
    env_bool,
    env_fernet_keys,
    env_int,
    env_list,
    env_role_map,
    env_stage_days,
    env_str,
)
from config.money import DEFAULT_CURRENCY, validate_currency
from outbox.catalog import EventType

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PILOTGATE_VAR_DIR", str(BASE_DIR / "var")))

DJANGO_ENV = env_str("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, production or test, got {DJANGO_ENV!r}"
    )

# Production refuses this and every other published or guessable secret (the checks of
# config/secret_checks.py run at the end of this module, for every secret setting).
SECRET_KEY = env_str("SECRET_KEY", secret_checks.DEVELOPMENT_SECRET_KEY)

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # runserver serves static files through WhiteNoise too, as production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "accounts",
    "outbox",
    "portfolio",
    "gates",
    "metrics",
    "inventory",
    "regulation",
    "dashboard",
    "notify",
    "webhooks",
    "onboarding",
    # The benchmarks' management commands (make bench); nothing imports them.
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.TooManyFilesGuard",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.context_processors.roles",
                "dashboard.mywork.context_processors.my_work",
            ],
            # |money, |money_exact and {% currency_code %} on every page without a load.
            "builtins": ["portfolio.templatetags.money"],
        },
    }
]

# One field template (label, help, error, control) and an error summary for every form.
FORM_RENDERER = "config.forms.PilotgateFormRenderer"

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "pilotgate.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Static files built by collectstatic (names carrying a hash of their content, listed in a
# manifest, with gzip and brotli copies), which WhiteNoise serves compressed and cacheable
# for a year: in production, and in the embedded run (bin/run-stack sets STATIC_BUILT=1).
# Otherwise (tests, a bare runserver) straight from the source folders, re-read on change.
STATIC_BUILT = env_bool("STATIC_BUILT", PRODUCTION)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "config.storage.BuiltStaticFilesStorage"
            if STATIC_BUILT
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_BUILT
WHITENOISE_AUTOREFRESH = not STATIC_BUILT
# Source maps are fetched by developer tools only; compressing them doubles collectstatic.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport under var/,
# so the embedded default runs real background jobs with nothing installed but Python.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = TIME_ZONE
# A separate queue name lets test workers (and several deployments on one Redis) share
# a broker without taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600),
        "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 30),
    }
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    _queue_dir = VAR_DIR / "broker" / "queue"
    _processed_dir = VAR_DIR / "broker" / "processed"
    _control_dir = VAR_DIR / "broker" / "control"
    # The filesystem transport needs its folders before the first message.
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "data_folder_processed": str(_processed_dir),
        # Without this, kombu keeps its exchange table in ./control of the cwd.
        "control_folder": str(_control_dir),
        "store_processed": False,
        "polling_interval": 0.5,
    }
    CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = not REDIS_URL
CELERY_BEAT_SCHEDULE: dict = {
    "dispatch-due-metric-sources": {
        "task": "metrics.dispatch_due_sources",
        "schedule": 60.0,
        # A dispatch that waited more than a minute is superseded by the next one.
        "options": {"expires": 55},
    },
    "prune-pull-runs-daily": {
        "task": "metrics.prune_pull_runs",
        "schedule": crontab(hour=3, minute=15),
    },
    "audit-verify-nightly": {
        "task": "accounts.audit_verify",
        "schedule": crontab(hour=2, minute=30),
    },
    "metrics-drift-daily": {
        "task": "metrics.compute_drift_all",
        "schedule": crontab(hour=3, minute=15),
    },
    "inventory-end-of-life-alerts": {
        "task": "inventory.end_of_life_alerts",
        "schedule": crontab(hour=6, minute=30),
    },
    # Recertification of pilots at scale: reminders (as outbox events) and, if enabled,
    # overdue pilots put on hold; before the 07:00 reminders go out.
    "gates-recertification-daily": {
        "task": "gates.recertification_daily",
        "schedule": crontab(hour=6, minute=45),
    },
    "notify-daily-reminders": {
        "task": "notify.daily_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    # Notifications (notify app): catch up on events and messages a crash left behind,
    # the daily digests, the weekly portfolio digest.
    "notify-sweep": {
        "task": "notify.sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "notify-daily-digests": {
        "task": "notify.daily_digests",
        "schedule": crontab(hour=7, minute=30),
    },
    "notify-weekly-digest": {
        "task": "notify.weekly_digest",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
    },
    # Signals move with the clock (the data window, stop-condition by-dates): recompute
    # those not computed since the last UTC midnight, whether or not new data arrived.
    "metrics-refresh-expired-signals": {
        "task": "metrics.refresh_expired_signals",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Waivers that passed their expiry since the last run: one `waiver.expired` event each.
    "gates-publish-expired-waivers": {
        "task": "gates.publish_expired_waivers",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Webhook deliveries due (retries, and any a crash left behind), and events not fanned
    # out yet (a process that died between its commit and the fan-out).
    "webhooks-sweep": {
        "task": "webhooks.sweep",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "portfolio-aggregates": {
        "task": "portfolio.rebuild_aggregates",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "pilotgate@localhost")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS on a plain port (587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # TLS from the first byte (465)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS and EMAIL_USE_SSL are both on; choose one: EMAIL_USE_TLS for STARTTLS "
        "(usually port 587) or EMAIL_USE_SSL for implicit TLS (usually port 465)."
    )
if not 0 < EMAIL_PORT < 65536:
    raise ImproperlyConfigured(f"EMAIL_PORT must be a port number (1-65535), got {EMAIL_PORT}")
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
if EMAIL_TIMEOUT < 1:
    raise ImproperlyConfigured(f"EMAIL_TIMEOUT must be at least 1 second, got {EMAIL_TIMEOUT}")
# Notifications: attempts per message before giving up, the first retry's delay (doubling,
# at most an hour), how far back the sweep looks for unhandled events, chat POST timeout.
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 10)
NOTIFY_RETRY_SECONDS = env_int("NOTIFY_RETRY_SECONDS", 30)
NOTIFY_EVENT_WINDOW_HOURS = env_int("NOTIFY_EVENT_WINDOW_HOURS", 24)
NOTIFY_CHAT_TIMEOUT = env_int("NOTIFY_CHAT_TIMEOUT", 10)
for _name in ("NOTIFY_MAX_ATTEMPTS", "NOTIFY_RETRY_SECONDS", "NOTIFY_EVENT_WINDOW_HOURS",
              "NOTIFY_CHAT_TIMEOUT"):  # fmt: skip
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be a positive integer, got {globals()[_name]}")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.AuthFailureLockout",
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pilotgate API",
    "DESCRIPTION": "Governance of an AI pilot portfolio: pilots, workbooks, gates, metrics.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "pilotgate.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # httpx logs every request URL at INFO; pull URLs may carry tokens in the query.
        "httpx": {"level": "WARNING"},
        # WeasyPrint logs each step, and every screen-only CSS rule it skips, per PDF.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}

# Pilotgate's own settings.
PILOTGATE_UPLOAD_MAX_BYTES = env_int("PILOTGATE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# The demo users' password. Published, so production has none unless one is set (and
# then seed_demo may run there); the checks at the end refuse a guessable one.
PILOTGATE_DEMO_PASSWORD = env_str(
    "PILOTGATE_DEMO_PASSWORD", "" if PRODUCTION else secret_checks.DEMO_PASSWORD
)
PILOTGATE_REVIEW_REMINDER_DAYS = env_int("PILOTGATE_REVIEW_REMINDER_DAYS", 5)
# Days before an asset's end of life or contract end that its pilots get an alert.
INVENTORY_END_OF_LIFE_NOTICE_DAYS = env_int("INVENTORY_END_OF_LIFE_NOTICE_DAYS", 60)
# A change's page compares each metric's mean over this many days before and after it.
INVENTORY_CHANGE_WINDOW_DAYS = env_int("INVENTORY_CHANGE_WINDOW_DAYS", 14)
# The currency of every amount (ISO 4217, checked here so a typo stops the start-up).
PILOTGATE_CURRENCY = validate_currency(env_str("PILOTGATE_CURRENCY", DEFAULT_CURRENCY))
# Days a pilot is expected to spend in a stage; longer with no review requested is
# "stale" (the permanent demo). Scale has no expected duration.
PILOTGATE_EXPECTED_STAGE_DAYS = env_stage_days(
    "PILOTGATE_EXPECTED_STAGE_DAYS", {"discovery": 45, "pilot": 90, "readiness": 60}
)
# The dashboard's "needs attention" block: a pilot on hold this many days or longer.
PILOTGATE_HOLD_ATTENTION_DAYS = env_int("PILOTGATE_HOLD_ATTENTION_DAYS", 30)
# Recertification of pilots at scale (gates/recertification.py): a pilot shows as due this
# many days before its date; an overdue one goes on hold by itself when AUTO_HOLD is on.
PILOTGATE_RECERTIFICATION_DUE_SOON_DAYS = env_int("PILOTGATE_RECERTIFICATION_DUE_SOON_DAYS", 30)
PILOTGATE_RECERTIFICATION_AUTO_HOLD = env_bool("PILOTGATE_RECERTIFICATION_AUTO_HOLD", False)
# Bulk import of pilots (onboarding): the largest file accepted, and its rows.
PILOTGATE_IMPORT_MAX_BYTES = env_int("PILOTGATE_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
PILOTGATE_IMPORT_MAX_ROWS = env_int("PILOTGATE_IMPORT_MAX_ROWS", 5000)
# Absolute links in emails (gate reviews).
PILOTGATE_BASE_URL = env_str("PILOTGATE_BASE_URL", "http://127.0.0.1:8000")
# Metric pulls (metrics/connectors): hosts exempt from the internal-address refusal, and
# the limits of every outbound call.
PILOTGATE_OUTBOUND_ALLOW_HOSTS = env_list("PILOTGATE_OUTBOUND_ALLOW_HOSTS")
PILOTGATE_PULL_TIMEOUT_SECONDS = env_int("PILOTGATE_PULL_TIMEOUT_SECONDS", 10)
PILOTGATE_PULL_MAX_BYTES = env_int("PILOTGATE_PULL_MAX_BYTES", 5 * 1024 * 1024)
PILOTGATE_SOURCE_DEGRADED_AFTER = env_int("PILOTGATE_SOURCE_DEGRADED_AFTER", 3)
PILOTGATE_PULL_JITTER_SECONDS = env_int("PILOTGATE_PULL_JITTER_SECONDS", 20)
PILOTGATE_PULL_INGEST_BATCH = env_int("PILOTGATE_PULL_INGEST_BATCH", 5000)
PILOTGATE_PULL_RUN_RETENTION_DAYS = env_int("PILOTGATE_PULL_RUN_RETENTION_DAYS", 14)
# How far ahead of the server clock a snapshot's observed_at may be (clock skew).
PILOTGATE_METRICS_FUTURE_SKEW = env_int("PILOTGATE_METRICS_FUTURE_SKEW", 300)

# Outbound webhooks (webhooks/, README "Webhooks"). Retries after the first attempt, in
# seconds (each +/- 10 % jitter): 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, about 18 h in all.
PILOTGATE_WEBHOOK_RETRY_SCHEDULE = [
    int(v) for v in env_list("PILOTGATE_WEBHOOK_RETRY_SCHEDULE", "60,300,1800,7200,18000,36000")
]
PILOTGATE_WEBHOOK_CONNECT_TIMEOUT = env_int("PILOTGATE_WEBHOOK_CONNECT_TIMEOUT", 5)
PILOTGATE_WEBHOOK_TIMEOUT = env_int("PILOTGATE_WEBHOOK_TIMEOUT", 10)
# A subscription is disabled after this many deliveries in a row used up every attempt.
PILOTGATE_WEBHOOK_DISABLE_AFTER = env_int("PILOTGATE_WEBHOOK_DISABLE_AFTER", 3)
# How long a worker holds a delivery it took before the sweeper may hand it to another
# (covers a worker killed mid-attempt); longer than one attempt can last.
PILOTGATE_WEBHOOK_LEASE_SECONDS = env_int("PILOTGATE_WEBHOOK_LEASE_SECONDS", 60)
# The Celery queue of delivery tasks; set "webhooks" and run a worker with -Q webhooks to
# keep slow receivers away from every other background job.
PILOTGATE_WEBHOOK_QUEUE = env_str("PILOTGATE_WEBHOOK_QUEUE", CELERY_TASK_DEFAULT_QUEUE)
# Subscription URLs must be https (on by default in production).
PILOTGATE_WEBHOOK_REQUIRE_HTTPS = env_bool("PILOTGATE_WEBHOOK_REQUIRE_HTTPS", PRODUCTION)

# --- Security hardening (issue 7). Kept in one block so other branches merge cleanly. ---
from datetime import timedelta  # noqa: E402

from csp.constants import NONE, SELF  # noqa: E402

INSTALLED_APPS += ["csp", "axes"]
# CSP right after SecurityMiddleware so every response, errors included, carries the policy;
# axes last, as its docs require, so it sees the outcome of authentication.
MIDDLEWARE.insert(1, "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(2, "config.middleware.NullByteGuard")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")

# One policy for the whole site: nothing inline, nothing from another origin. The API docs
# page loads its init script from a URL of its own (config.views.ApiDocsView), so it
# needs no exception either.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login lockout (django-axes): 5 failures for one username from one address lock that pair
# for 15 minutes. Per pair, not per username alone, so a stranger cannot lock a user out.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# X-Forwarded-For is only trusted when the operator says how many proxies add to it;
# otherwise anyone could dodge the lockout by inventing addresses.
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

# Upload limits: request bodies (forms and JSON) and files held in memory before spooling.
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 2000)
DATA_UPLOAD_MAX_NUMBER_FILES = 5

# API throttling: per token, per user (session and tokens together), per address
# for anonymous callers, plus scopes that views opt into with `throttle_scope`.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "config.throttling.TokenRateThrottle",
    "config.throttling.PerUserRateThrottle",
    "rest_framework.throttling.AnonRateThrottle",
    "rest_framework.throttling.ScopedRateThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "token": env_str("API_RATE_TOKEN", "1200/min"),
    "user": env_str("API_RATE_USER", "2400/min"),
    "anon": env_str("API_RATE_ANON", "60/min"),
    "snapshots": env_str("API_RATE_SNAPSHOTS", "120/min"),
    # Failed authentications (401) per client address; then 429 (config.throttling).
    "auth_failures": env_str("API_RATE_AUTH_FAILURES", "20/min"),
}
# How many proxies in front of us append to X-Forwarded-For. DRF's default (None) takes
# the header as sent, so a client could pick its own address for every throttle; 0 trusts
# REMOTE_ADDR only. Behind one reverse proxy, set NUM_PROXIES=1.
REST_FRAMEWORK["NUM_PROXIES"] = env_int("NUM_PROXIES", 0)
REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] = "config.pagination.Pagination"
REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"] = ["config.filters.StrictFilterBackend"]
# The API speaks JSON; the schema documents only that, so clients and the fuzzer send it.
# Stages appear under several field names (stage, to_stage, from_stage): one enum for all.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "StageEnum": "portfolio.models.Stage",
    "WebhookDeliveryStatusEnum": "webhooks.models.DeliveryStatus",
    "RiskTierEnum": "portfolio.models.RiskTier",
    "AssetKindEnum": "inventory.models.AssetKind",
    "YesNoEnum": "regulation.questions.YES_NO",
    "RegulatoryFlagEnum": "regulation.questions.FLAG_KEYS",
}
# The ways to authenticate; AuthFailureLockout, first in the chain, only refuses.
SPECTACULAR_SETTINGS["AUTHENTICATION_WHITELIST"] = [
    "accounts.authentication.BearerTokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
# The webhooks section (OpenAPI 3.1) is generated from the event catalogue.
SPECTACULAR_SETTINGS["OAS_VERSION"] = "3.1.0"
SPECTACULAR_SETTINGS["WEBHOOKS"] = [
    f"webhooks.openapi.hook_{_type.replace('.', '__')}" for _type in EventType.values
]
SPECTACULAR_SETTINGS["PARSER_WHITELIST"] = ["rest_framework.parsers.JSONParser"]
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "config.api_schema.add_error_responses",
    "metrics.schema.metric_catalog_enums",
    "portfolio.schema.business_unit_enums",
    "config.api_schema.require_raw_bodies",
    "config.api_schema.forbid_nul_characters",
    "config.api_schema.add_links",
]

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Fernet keys for secrets stored encrypted (config/encryption.py): comma-separated, the
# first encrypts, all decrypt. Empty: a key derived from SECRET_KEY. Rotation: put the new
# key first, run `manage.py rotate_field_encryption`, then drop the old one.
FIELD_ENCRYPTION_KEY = env_fernet_keys("FIELD_ENCRYPTION_KEY")

# The key that seals the audit chain's head (accounts.audit). Separate from SECRET_KEY so
# rotating session keys does not invalidate the audit seal; defaults to SECRET_KEY.
AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY", SECRET_KEY)
if PRODUCTION:
    _secret_problems = secret_checks.production_problems(
        secret_key=SECRET_KEY,
        audit_hmac_key=AUDIT_HMAC_KEY,
        field_encryption_keys=FIELD_ENCRYPTION_KEY,
        demo_password=PILOTGATE_DEMO_PASSWORD,
    )
    if _secret_problems:
        raise ImproperlyConfigured("; ".join(_secret_problems))

# --- Input bounds (issue 11, items 6-13): SECURITY.md "Bounds and limits". ---
# Every JSON document read (API bodies, JSON form fields, fetched metric documents) may
# nest arrays and objects at most this deep (config/parsers.py).
PILOTGATE_JSON_MAX_DEPTH = env_int("PILOTGATE_JSON_MAX_DEPTH", 32)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "config.parsers.JSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
# Longest query string the application reads (config.middleware.QueryLengthGuard, 414 in
# the API's error shape); below gunicorn's request-line limit (gunicorn.conf.py).
PILOTGATE_MAX_QUERY_BYTES = env_int("PILOTGATE_MAX_QUERY_BYTES", 4096)
MIDDLEWARE.insert(
    MIDDLEWARE.index("config.middleware.NullByteGuard") + 1, "config.middleware.QueryLengthGuard"
)
# The middlewares that add security headers come first, so responses that others answer
# early carry the headers too: SecurityMiddleware's HTTP -> HTTPS redirect, WhiteNoise's
# static files, NullByteGuard's and the query-length guard's refusals.
for _header_middleware in (
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
):
    MIDDLEWARE.remove(_header_middleware)
    MIDDLEWARE.insert(0, _header_middleware)

# --- Enterprise sign-in (issue 16): SECURITY.md "Sign-in", README "Single sign-on". ---
# django-allauth gives the OpenID Connect client (accounts/sso/ tightens it: PKCE, nonce,
# signature always checked, bounded clock skew), TOTP + recovery codes, and user sessions.
INSTALLED_APPS += [
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "allauth.usersessions",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "allauth.account.middleware.AccountMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("allauth.account.middleware.AccountMiddleware") + 1,
    "allauth.usersessions.middleware.UserSessionsMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("allauth.usersessions.middleware.UserSessionsMiddleware") + 1,
    "accounts.sso.middleware.RequireMfaMiddleware",
)
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
ACCOUNT_ADAPTER = "accounts.sso.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.sso.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_FORMS = {"login": "accounts.sso.forms.LoginForm"}
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
# Lockout is django-axes' job (for the password and the second factor alike).
ACCOUNT_RATE_LIMITS = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
# The provider's access and refresh tokens are not kept (the ID token stays in the session
# for the logout hint only).
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_ONLY = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Pilotgate"
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_FORMS = {"authenticate": "accounts.sso.forms.MfaAuthenticateForm"}
# Sessions are recorded at sign-in; tracking every request would add a write to each page.
USERSESSIONS_TRACK_ACTIVITY = False

# The identity provider (OpenID Connect discovery at OIDC_ISSUER). Empty: no single sign-on.
OIDC_ISSUER = env_str("OIDC_ISSUER")
OIDC_PROVIDER_ID = env_str("OIDC_PROVIDER_ID", "sso")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_SCOPES = env_list("OIDC_SCOPES", "openid,profile,email")
# The claim (ID token or userinfo) that lists the user's directory groups.
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
# Directory group -> global role ("group=role,group=role"); roles not mapped are not touched.
OIDC_GROUP_ROLES = env_role_map("OIDC_GROUP_ROLES")
# How far apart the provider's clock and ours may be when checking exp, iat and nbf.
OIDC_CLOCK_SKEW_SECONDS = min(env_int("OIDC_CLOCK_SKEW_SECONDS", 60), 300)
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "provider_class": "accounts.sso.provider.PilotgateOIDCProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": OIDC_PROVIDER_ID,
                    "name": OIDC_PROVIDER_NAME,
                    "client_id": OIDC_CLIENT_ID,
                    "secret": OIDC_CLIENT_SECRET,
                    "settings": {
                        "server_url": OIDC_ISSUER,
                        "scope": OIDC_SCOPES,
                        "oauth_pkce_enabled": True,
                        "fetch_userinfo": True,
                    },
                }
            ]
            if OIDC_ISSUER
            else []
        ),
    }
}
if OIDC_ISSUER:
    # Signing in and out are form posts that our server answers with a redirect to the
    # provider; browsers apply form-action to that redirect too.
    from urllib.parse import urlsplit  # noqa: E402

    _issuer = urlsplit(OIDC_ISSUER)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = [
        SELF,
        f"{_issuer.scheme}://{_issuer.netloc}",
    ]
# Local (username and password) sign-in: on by default; production with single sign-on can
# turn it off for everyone but the break-glass accounts named here.
PILOTGATE_LOCAL_LOGIN = env_bool("PILOTGATE_LOCAL_LOGIN", True)
PILOTGATE_BREAK_GLASS_USERS = env_list("PILOTGATE_BREAK_GLASS_USERS")
# A second factor for local accounts: required for staff, superusers and admins (default on
# in production, off in the embedded default so the demo logins work), and optionally for
# governance leads.
PILOTGATE_MFA_REQUIRED_FOR_STAFF = env_bool("PILOTGATE_MFA_REQUIRED_FOR_STAFF", PRODUCTION)
PILOTGATE_MFA_REQUIRED_FOR_LEADS = env_bool("PILOTGATE_MFA_REQUIRED_FOR_LEADS", False)
USERSESSIONS_ADAPTER = "accounts.sso.audit_hooks.UserSessionsAdapter"
