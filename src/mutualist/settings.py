"""One settings module, driven by the environment.

Every value that comes from the environment goes through a helper that fails
loudly on a malformed value (healthchecks' `hc/settings.py` habit), so a typo in
a deployment shows up at start-up instead of as odd behaviour later.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("MUTUALIST_VAR_DIR", PROJECT_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer; got {raw!r}") from None


def env_seconds(name: str, default: float) -> float:
    """A number of seconds above 0 (a decimal, such as 2.5)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ImproperlyConfigured(f"{name} must be a number of seconds above 0; got {raw!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def email_settings_from_url(url: str) -> dict[str, Any]:
    """Turn EMAIL_URL into Django email settings.

    Supported: ``console://``, ``locmem://``, ``dummy://``,
    ``smtp://user:password@host:587?tls=1`` and ``smtps://...`` (implicit TLS).
    """
    parts = urlsplit(url)
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parts.scheme not in backends:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme must be one of {', '.join(sorted(backends))}; got {parts.scheme!r}"
        )
    result: dict[str, Any] = {"EMAIL_BACKEND": backends[parts.scheme]}
    if parts.scheme in {"smtp", "smtps"}:
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(
                f"EMAIL_URL has a port that is not a number: {url!r}"
            ) from None
        if not parts.hostname:
            raise ImproperlyConfigured(
                "EMAIL_URL for smtp needs a host, e.g. smtp://user:pw@host:587"
            )
        query = parse_qs(parts.query)
        result.update(
            EMAIL_HOST=parts.hostname,
            EMAIL_PORT=port or (465 if parts.scheme == "smtps" else 587),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=parts.scheme == "smtps",
            EMAIL_USE_TLS=parts.scheme == "smtp" and query.get("tls", ["1"])[0] in _TRUE,
        )
    return result


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY to a long random "
            "string (python3 -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=1 for local development."
        )
    # Development only: a fixed key so sessions survive restarts of `make run`.
    SECRET_KEY = "django-insecure-mutualist-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The public address, for links in emails (invitations, confirmations). In
# production a wrong default would mail links to 127.0.0.1, so it is required.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
if not SITE_URL:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SITE_URL is required when DEBUG is off: the public address that links in "
            "emails point at, e.g. https://mutualist.example.org"
        )
    SITE_URL = "http://127.0.0.1:8000"
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL must start with http:// or https://; got {SITE_URL!r}")
SITE_NAME = "Mutualist"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the interactive API docs' assets locally, not from a CDN
    "axes",
    "mutualist.core",
    "mutualist.members",
    "mutualist.collectives",
    "mutualist.governance",
    "mutualist.ledger",
    "mutualist.work",
    "mutualist.billing",
    "mutualist.mutual",
    "mutualist.community",
    "mutualist.api",
    "mutualist.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mutualist.community.middleware.BlogContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mutualist.urls"
WSGI_APPLICATION = "mutualist.wsgi.application"

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
                "mutualist.core.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# Embedded default: SQLite in WAL mode; "IMMEDIATE" transactions take the write
# lock at BEGIN, so two writers queue on the busy timeout instead of failing with
# "database is locked" half-way through a transaction.
_default_sqlite = f"sqlite:///{VAR_DIR / 'mutualist.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL", _default_sqlite)
try:
    _conn_max_age = env_int("DB_CONN_MAX_AGE", 0)
    # Health checks make a kept connection survive a PostgreSQL restart.
    _db = dj_database_url.parse(
        DATABASE_URL, conn_max_age=_conn_max_age, conn_health_checks=_conn_max_age > 0
    )
except ValueError as exc:  # dj-database-url raises ValueError on unknown schemes
    raise ImproperlyConfigured(f"DATABASE_URL is not usable: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    if _db["NAME"] and _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    }
    _db["TEST"] = (
        {"NAME": os.environ.get("TEST_SQLITE_NAME")} if os.environ.get("TEST_SQLITE_NAME") else {}
    )
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out address never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# auth.W004 asks for unique=True on the login field; the email is unique through a
# case-insensitive constraint instead (members_user_email_ci_unique), which
# unique=True would not give, and the manager looks it up case-insensitively.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
LOGIN_URL = "members:login"
LOGIN_REDIRECT_URL = "members:dashboard"
LOGOUT_REDIRECT_URL = "home"

# Login throttling: five failures for one email from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Django's login form posts the email as "username"; without this axes looks
# for "email", records failures with no username and never locks anyone out.
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "members/locked_out.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)

# --- Security -------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = (
    False  # htmx reads the token from the cookie-free meta tag; harmless either way
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Behind a proxy every visitor arrives from the proxy's address; without
    # this, five bad passwords from anywhere would lock an email out for everyone.
    AXES_CLIENT_IP_CALLABLE = "mutualist.core.http.client_ip_behind_proxy"

# --- Email ----------------------------------------------------------------------
globals().update(email_settings_from_url(os.environ.get("EMAIL_URL", "console://")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Mutualist <noreply@mutualist.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation ---------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Domain settings -------------------------------------------------------------
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", 14)
EMAIL_CHANGE_MAX_AGE_HOURS = env_int("EMAIL_CHANGE_MAX_AGE_HOURS", 48)
EMAIL_VERIFY_MAX_AGE_HOURS = env_int("EMAIL_VERIFY_MAX_AGE_HOURS", 72)
# How long the members' vote on an application stays open (the "members vote"
# admission rule).
GOVERNANCE_ADMISSION_VOTE_DAYS = env_int("GOVERNANCE_ADMISSION_VOTE_DAYS", 7)
API_PAGE_SIZE_MAX = 100
# Seconds the pitch builder gives the matching engine for one team proposal
# (the whole proposal: the search, and the second one if hours are left open).
WORK_MATCH_TIME_LIMIT = env_seconds("WORK_MATCH_TIME_LIMIT", 5.0)
# Simulated paths behind each fund's solvency report (the fund page's fan
# chart and risks, the recommendation's search): the standard error of a 1 %
# risk is about 0.1 point at 10,000. Fewer is faster and noisier.
MUTUAL_SOLVENCY_PATHS = env_int("MUTUAL_SOLVENCY_PATHS", 10_000)
if MUTUAL_SOLVENCY_PATHS < 100:
    raise ImproperlyConfigured(
        f"MUTUAL_SOLVENCY_PATHS must be at least 100; got {MUTUAL_SOLVENCY_PATHS}"
    )

# --- Community blog ------------------------------------------------------------
# The HTML a comment may keep, tag -> allowed attributes; everything else is
# removed or escaped by nh3 (mutualist.community.sanitize). URL attributes
# (href, cite) accept only COMMUNITY_COMMENT_URL_SCHEMES.
COMMUNITY_COMMENT_ALLOWED_HTML: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "acronym": {"title"},
    "b": set(),
    "blockquote": {"cite"},
    "cite": set(),
    "code": set(),
    "del": {"datetime"},
    "em": set(),
    "i": set(),
    "q": {"cite"},
    "strike": set(),
    "strong": set(),
}
COMMUNITY_COMMENT_URL_SCHEMES = {"http", "https", "mailto"}
COMMUNITY_COMMENT_LINK_REL = "nofollow ugc noopener noreferrer"
COMMUNITY_COMMENT_MAX_CHARS = env_int("COMMUNITY_COMMENT_MAX_CHARS", 5_000)
COMMUNITY_COMMENT_MAX_LINKS = env_int("COMMUNITY_COMMENT_MAX_LINKS", 2)
# Comments accepted from one address (signed-in or not) per window.
COMMUNITY_COMMENT_RATE_LIMIT = env_int("COMMUNITY_COMMENT_RATE_LIMIT", 5)
COMMUNITY_COMMENT_RATE_WINDOW_SECONDS = env_int("COMMUNITY_COMMENT_RATE_WINDOW_SECONDS", 600)
# How long the arithmetic question on a comment form may be answered.
COMMUNITY_CHALLENGE_MAX_AGE_SECONDS = env_int("COMMUNITY_CHALLENGE_MAX_AGE_SECONDS", 3_600)
COMMUNITY_POSTS_PER_PAGE = 10
# Replies nest this many levels deep; deeper replies are shown beside their parent.
COMMUNITY_COMMENT_MAX_DEPTH = 5

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every step of every PDF at INFO.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}
