"""mbc settings: every value comes from an environment variable, with a zero-setup default."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("MBC_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# `development` (the default) works with no configuration at all; `production` requires the
# variables below and refuses to start, with one sentence, when one is missing or malformed.
MBC_MODE = env.str("MBC_MODE", default="development")


def _stop(sentence: str) -> None:
    """Stop start-up with one sentence (no traceback): web server, worker, beat and manage.py alike."""
    raise SystemExit(f"mbc cannot start: {sentence}")


if MBC_MODE not in ("development", "production"):
    _stop(f"MBC_MODE must be 'development' or 'production', not {MBC_MODE!r}.")
PRODUCTION = MBC_MODE == "production"
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "MBC_BASE_URL", "CELERY_BROKER_URL")

def _require_production_settings() -> None:
    import os

    for name in REQUIRED_IN_PRODUCTION:
        if name == "CELERY_BROKER_URL" and os.environ.get("REDIS_URL"):
            continue
        if not os.environ.get(name, "").strip():
            _stop(f"{name} must be set when MBC_MODE=production.")

if PRODUCTION:
    _require_production_settings()

def _typed(read, name: str, **kwargs):  # type: ignore[no-untyped-def]
    """Read one variable through environ's typed reader; a malformed value stops start-up with one sentence."""
    try:
        return read(name, **kwargs)
    except (ValueError, environ.ImproperlyConfigured) as exc:
        _stop(f"the environment variable {name} is malformed ({exc}).")


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _bool(name: str, default: bool) -> bool:
    """A strict boolean: 'maybe' is an error, not False."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw not in _TRUE | _FALSE:
        _stop(f"the environment variable {name} must be true or false, not {raw!r}.")
    return raw in _TRUE


def _database(name: str, default: str) -> dict:  # type: ignore[type-arg]
    url = env.str(name, default="").strip() or default  # `DATABASE_URL=` in an env file means "the default"
    if url.split(":", 1)[0] not in ("sqlite", "postgres", "postgresql", "pgsql"):
        _stop(f"{name} must be a sqlite:/// or postgres:// URL.")
    try:
        return environ.Env.db_url_config(url)
    except (ValueError, KeyError) as exc:
        _stop(f"{name} is malformed ({exc}).")
        raise


def _dev_secret_key() -> str:
    """A development key generated once into var/, so sessions survive restarts without configuration."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()

SECRET_KEY = env.str("SECRET_KEY", default="") or _dev_secret_key()
if PRODUCTION and len(SECRET_KEY) < 50:
    _stop("SECRET_KEY must be at least 50 characters long when MBC_MODE=production.")

DEBUG = _bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    _stop("DEBUG must be off when MBC_MODE=production.")
ALLOWED_HOSTS = _typed(env.list, "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = _typed(env.list, "CSRF_TRUSTED_ORIGINS", default=[])
MBC_BASE_URL = env.str("MBC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "health_check",
    "patients",
    "instruments",
    "reassessment",
    "interop",
    "frontend",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files answer above these, cacheable; every other response gets both headers.
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a lockout signalled by any sign-in form into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mbc.urls"
WSGI_APPLICATION = "mbc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite under var/ when DATABASE_URL is unset; PostgreSQL (postgres://...) in production and CI.
DATABASES = {
    "default": _database("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'mbc.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, worker and beat share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
else:
    DATABASES["default"]["CONN_MAX_AGE"] = _typed(env.int, "CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 for new and changed passwords; older PBKDF2 hashes still verify and are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# axes first: it refuses a locked-out username+address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-gb"
# The patients' pages speak these (clinician pages stay English); a patient's `language` picks one.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Every clinical date is a clinic-local date in this zone; set it explicitly (Django's fallback is America/Chicago).
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True
MBC_DATE_FORMAT = env.str("MBC_DATE_FORMAT", default="j M Y")
MBC_SHORT_DATE_FORMAT = env.str("MBC_SHORT_DATE_FORMAT", default="d/m/Y")
# Locale formats win over DATE_FORMAT while localisation is on; mbc/formats/ hands the clinic's formats back.
FORMAT_MODULE_PATH = ["mbc.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS: list[Path] = []
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.js straight from the plotly wheel (one file, 4.8 MB): nothing vendored in git, nothing from a CDN.
    "frontend.staticfiles.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
# The web server serves static files straight from the apps in development (no collectstatic step needed).
WHITENOISE_USE_FINDERS = not PRODUCTION

# How many reverse proxies in front of mbc append to X-Forwarded-For. 0 (the default): the client's address is the
# connection's, and a client's own X-Forwarded-For is ignored, so it cannot dodge the throttles or the lockout.
MBC_TRUSTED_PROXIES = _typed(env.int, "MBC_TRUSTED_PROXIES", default=0)
if MBC_TRUSTED_PROXIES < 0:
    _stop("the environment variable MBC_TRUSTED_PROXIES must be 0 or more.")

REST_FRAMEWORK = {
    # Token first: an anonymous request then gets 401 with `WWW-Authenticate: Token` rather than a bare 403.
    # knox tokens: stored hashed, expiring; the header stays `Authorization: Token <key>`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": ["mbc.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "mbc.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per client address (see MBC_TRUSTED_PROXIES), counted in the shared cache below. The page allows a patient a
    # form, a few corrections and the thank-you page; a waiting-room tablet behind one address shares the count.
    "DEFAULT_THROTTLE_RATES": {"self_report": "30/hour", "self_report_page": "60/hour", "token": "20/hour"},
    "NUM_PROXIES": MBC_TRUSTED_PROXIES,
}
MBC_API_TOKEN_DAYS = _typed(env.int, "MBC_API_TOKEN_DAYS", default=30)
if MBC_API_TOKEN_DAYS < 1:
    _stop("the environment variable MBC_API_TOKEN_DAYS must be 1 or more.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=MBC_API_TOKEN_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mbc API",
    "DESCRIPTION": "Measurement-based care: patients, treatment phases, assessments, flags.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"InstrumentEnum": "patients.models.INSTRUMENT_CHOICES"},
}

# Celery: Redis in production and CI; with nothing configured, kombu's filesystem transport (no server needed).
# That embedded broker loses a task whose worker dies mid-run, which is why the daily sweep re-derives everything.
_broker_dir = VAR_DIR / "broker"
EMBEDDED_BROKER = "filesystem://localhost/"  # the host is ignored; naming it silences kombu's warning
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or env.str("REDIS_URL", default="") or EMBEDDED_BROKER
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # visibility_timeout: a task whose worker died unacknowledged goes back to the queue after 5 minutes (the default
    # is an hour; this was 6). Safe because every task is short (a sweep chunk takes about a second) and every
    # effect is idempotent; longer than any retry countdown (tasks.MAX_BACKOFF), so a waiting retry is not redelivered.
    # socket_connect_timeout: a submission whose broker is unreachable answers promptly (the sweep catches up).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _typed(env.int, "CELERY_VISIBILITY_TIMEOUT", default=300),
        "socket_connect_timeout": 2,
    }
# One queue name per deployment, so two clinics (or a test run) can share one Redis without sharing work.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="mbc")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A submission must answer promptly when the broker is down: one quick try, then the sweep catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = _typed(env.float, "CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Patients per sweep chunk task: about a second of work each (see README "Scaling").
MBC_SWEEP_CHUNK_PATIENTS = _typed(env.int, "MBC_SWEEP_CHUNK_PATIENTS", default=2000)
CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# The cache holds the throttles' counters, so it must be one for every gunicorn worker and process: Redis when
# REDIS_URL is set; otherwise a table in the database (created by the accounts app's migration), which every worker
# shares too. A local-memory cache would give each worker its own count and multiply the allowed rate.
REDIS_URL = env.str("REDIS_URL", default="").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CELERY_TASK_DEFAULT_QUEUE,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "mbc_cache"}}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = _typed(env.int, "EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = _bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="mbc <no-reply@localhost>")
# These backends print, store or drop mail: in production they would put reset links and patients' links in logs.
NOT_REAL_EMAIL_BACKENDS = {f"django.core.mail.backends.{name}.EmailBackend" for name in
                           ("console", "locmem", "dummy", "filebased")}
if PRODUCTION and EMAIL_BACKEND in NOT_REAL_EMAIL_BACKENDS:
    _stop("EMAIL_BACKEND must be a real email backend such as django.core.mail.backends.smtp.EmailBackend "
          "when MBC_MODE=production, not the console, file, memory or dummy one.")

# The clinical thresholds (DESIGN §2), all in one place; reassessment.engine.Rules reads them.
MBC_RULES = {
    "partial_response_below_pct": 30.0,  # clinic rule: add the other modality below 30% after 4+ weeks
    "response_min_pct": 50.0,  # standard definition of response (>= 50% reduction)
    "checkpoint_days": 28,
    "baseline_days_before": 14,
    "baseline_days_after": 7,
    "default_interval_days": 28,
    "min_interval_days": 7,
    "max_interval_days": 56,
    "young_age_years": 25,  # FDA antidepressant boxed warning: close monitoring under 25
    "young_interval_days": 7,
    "young_window_days": 28,
    "overdue_factor": 2,
    "reminder_gap_days": 7,
    "partial_response_min_days": 56,  # seed 003: "under 30% improvement after a two-month course"
    "judged_days": 28,  # worsening and relapse judge every score dated in the last 28 days
    "mao_washout_days": 14,  # FDA labels: 14 days between an MAOI and another serotonergic drug
    "fluoxetine_washout_days": 35,  # ... 5 weeks after fluoxetine
    # DESIGN §2b, the treatment course (docs/rules.md section 3)
    "chronic_years": 2,  # DSM-5 persistent depressive disorder: 2 years
    "recurrent_min_episodes": 1,
    "combined_min_prior_episodes": 2,  # seeds 001, 003: combine from the start after 2+ episodes
    "sustained_remission_days": 14,  # continue treatment: two scores in remission 14+ days apart
    "continuation_min_days": 183,  # NICE NG222, APA: at least 6 months after remission
    "maintenance_min_days": 730,  # NICE NG222: 2 years at high risk of relapse ...
    "maintenance_min_prior_episodes": 2,  # ... here 2+ previous episodes
    "adequate_trial_days": 42,  # STAR*D: an adequate antidepressant trial is 6 weeks
    "resistant_min_trials": 2,
}
MBC_SELF_REPORT_LINK_DAYS = _typed(env.int, "MBC_SELF_REPORT_LINK_DAYS", default=14)
# Shown at the top of the patient's check-in pages, so a patient knows who is asking (empty: not shown).
MBC_CLINIC_NAME = env.str("MBC_CLINIC_NAME", default="").strip()
MBC_CRISIS_MESSAGE = env.str(
    "MBC_CRISIS_MESSAGE",
    # Stands on its own with no clinic details configured (issue 13); a clinic puts its phone numbers here.
    default=(
        "If you are thinking about harming yourself or feel unsafe, please contact your care team today, using the "
        "phone number they gave you. If you are in immediate danger or cannot keep yourself safe, call your local "
        "emergency number now, or go to the nearest emergency department."
    ),
)
# One crisis text per language of the patients' pages (the Spanish one: put the clinic's Spanish-speaking line here).
MBC_CRISIS_MESSAGE_ES = env.str(
    "MBC_CRISIS_MESSAGE_ES",
    default=(
        "Si está pensando en hacerse daño o no se siente a salvo, contacte hoy con su equipo de atención, en el "
        "número de teléfono que le dieron. Si está en peligro inmediato o no puede mantenerse a salvo, llame ahora a "
        "su número local de emergencias o vaya al servicio de urgencias más cercano."
    ),
)
# The PCL-5's probable-PTSD cut point: 31 to 33 are published (National Center for PTSD); 33 unless set.
MBC_PCL5_CUTOFF = _typed(env.int, "MBC_PCL5_CUTOFF", default=33)
if not 31 <= MBC_PCL5_CUTOFF <= 33:
    _stop(f"the environment variable MBC_PCL5_CUTOFF must be from 31 to 33, not {MBC_PCL5_CUTOFF}.")
# The CSV import reads at most this many rows per file (bounded memory: rows are checked, then saved, in a stream).
MBC_IMPORT_MAX_ROWS = _typed(env.int, "MBC_IMPORT_MAX_ROWS", default=100_000)

# Issue 14: urgent flags escalate after this many minutes unacknowledged, to the care team's care manager(s), else
# to the on-call address (a shared inbox or pager gateway; empty: nobody, which is logged and shown on the flag).
MBC_ESCALATE_AFTER_MINUTES = _typed(env.int, "MBC_ESCALATE_AFTER_MINUTES", default=60)
if MBC_ESCALATE_AFTER_MINUTES < 1:
    _stop("MBC_ESCALATE_AFTER_MINUTES must be a whole number of minutes, 1 or more.")
MBC_ONCALL_EMAIL = env.str("MBC_ONCALL_EMAIL", default="").strip()
if MBC_ONCALL_EMAIL:
    from django.core.exceptions import ValidationError as _ValidationError
    from django.core.validators import validate_email as _validate_email

    try:
        _validate_email(MBC_ONCALL_EMAIL)
    except _ValidationError:
        _stop("MBC_ONCALL_EMAIL must be one email address.")
# After submitting, a patient sees their own recent totals and how far they have come (issue 14).
MBC_SHOW_PATIENT_PROGRESS = _bool("MBC_SHOW_PATIENT_PROGRESS", default=True)

# One handler for every logger (Django's, gunicorn's error log, Celery's), behind a filter that blanks self-report
# tokens, password-reset links and email addresses. Django's own handlers are dropped: its `mail_admins` would email
# request data, and its `django.server` handler would print paths unfiltered.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "accounts.log_filters.RedactSecrets"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "gunicorn.error": {"handlers": [], "propagate": True},
        "gunicorn.access": {"handlers": [], "propagate": True},
    },
}

# Production hardening; passes `manage.py check --deploy`.
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = _typed(env.int, "SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SESSION_COOKIE_HTTPONLY = True
# An idle session ends: every request pushes the expiry on, so it is MBC_SESSION_IDLE_MINUTES after the last one.
MBC_SESSION_IDLE_MINUTES = _typed(env.int, "MBC_SESSION_IDLE_MINUTES", default=30)
if MBC_SESSION_IDLE_MINUTES < 1:
    _stop("the environment variable MBC_SESSION_IDLE_MINUTES must be 1 or more.")
SESSION_COOKIE_AGE = MBC_SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): everything from the site itself only; no inline script anywhere (figures
# travel as json_script data, drawn by static/frontend/charts.js; the API docs' start-up script is a file).
# Two allowances, neither of which can run a script: inline *styles*, because plotly.js writes its chart styles into
# <style> rules and style attributes at run time (no nonce can reach them; the browser test sees them blocked
# otherwise); and data: *images*, the icons Swagger UI's stylesheet embeds.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Lockout (django-axes): MBC_LOCKOUT_ATTEMPTS wrong passwords for one username from one address lock that pair for
# MBC_LOCKOUT_MINUTES; pages, the admin and the API token endpoint alike. Staff unlock in the admin (Access attempts).
MBC_LOCKOUT_ATTEMPTS = _typed(env.int, "MBC_LOCKOUT_ATTEMPTS", default=5)
MBC_LOCKOUT_MINUTES = _typed(env.int, "MBC_LOCKOUT_MINUTES", default=15)
if MBC_LOCKOUT_ATTEMPTS < 1 or MBC_LOCKOUT_MINUTES < 1:
    _stop("the environment variables MBC_LOCKOUT_ATTEMPTS and MBC_LOCKOUT_MINUTES must be 1 or more.")
AXES_FAILURE_LIMIT = MBC_LOCKOUT_ATTEMPTS
AXES_COOLOFF_TIME = timedelta(minutes=MBC_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The same client address as the throttles (MBC_TRUSTED_PROXIES), not a header the client chooses.
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_address"
AXES_LOCKOUT_CALLABLE = "frontend.account_views.locked_out"
# Axes' log lines name the username and address; ours name neither.
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = False

# Two-factor sign-in (django-otp, TOTP): on, every user sets up an authenticator before seeing any page or getting
# an API token. Off (development), a user who has set one up is still asked for its code.
MBC_REQUIRE_2FA = _bool("MBC_REQUIRE_2FA", default=PRODUCTION)
OTP_TOTP_ISSUER = env.str("MBC_OTP_ISSUER", default="mbc")
