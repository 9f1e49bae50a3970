"""The one settings module. Everything that differs between a laptop and production is read
from the environment; the defaults run on a laptop, and production values that are missing
stop start-up with a message that says which one."""

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG=0 (50+ random characters, the same on every "
            "app server), e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # Development: made once and kept beside the checkout (git-ignored), so sessions survive
    # restarts without anyone having to invent a key.
    path = BASE_DIR / ".secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


SECRET_KEY = _secret_key()

# --- Portal addresses ------------------------------------------------------------------------
# The generic portal is {scheme}://{PORTAL_DOMAIN}; a tenant's custom URL is
# {scheme}://{slug}.{region}.{PORTAL_DOMAIN}. Browsers resolve *.localhost to loopback.
PORTAL_DOMAIN = os.environ.get("PORTAL_DOMAIN", "portal.localhost:8000").strip().lower()
PORTAL_SCHEME = os.environ.get("PORTAL_SCHEME", "http" if DEBUG else "https")
if PORTAL_SCHEME not in {"http", "https"}:
    raise ImproperlyConfigured(f"PORTAL_SCHEME must be http or https, not {PORTAL_SCHEME!r}")
PORTAL_VERSION = "0.1.0"

_portal_hostname = PORTAL_DOMAIN.split(":", 1)[0]
ALLOWED_HOSTS = [_portal_hostname, f".{_portal_hostname}", *env_list("ALLOWED_HOSTS")]
if DEBUG:
    ALLOWED_HOSTS += ["localhost", "127.0.0.1", "[::1]"]

# --- Applications ----------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "social_django",
    "drf_spectacular",
    "django_tasks_db",
    "core",
    "accounts",
    "tokens",
    "provisioning",
    "security",
    "extensions",
    "demo",
]

MIDDLEWARE = [
    # /healthz and /readyz, answered before anything else runs (core/health.py).
    "core.health.HealthMiddleware",
    # The request id, and one log line and the metrics of each request (core/requestlog.py).
    "core.requestlog.RequestLogMiddleware",
    # gzip for the data API's lists, for clients that accept it (core/compression.py).
    "core.compression.CompressionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Outside everything that may reach the database or the cache: NUL addresses, JSON errors
    # under the API, 503 when PostgreSQL or Redis is out of reach.
    "core.middleware.ResilienceMiddleware",
    # request.cache_writes: what a request records in the cache, sent in one round trip.
    "core.cache_writes.CacheWritesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
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
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.portal",
                "security.context_processors.alerts",
                "tokens.context_processors.approvals",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
# SQLite inside the checkout by default; DATABASE_URL=postgres://... switches to PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 0 if DEBUG else 60),
        # Off by default: a health check is one more round trip on every request that touches the
        # database. Django drops a connection that failed at the end of that request anyway.
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", False),
    )
}
# A database that does not answer is a 503 within this many seconds (core/middleware.py),
# not a worker held for the operating system's TCP timeout.
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5)
# After a connection failed or timed out, a process answers 503 at once, without trying,
# for this long; then one request tries again (core/postgresql/base.py).
DB_RETRY_SECONDS = env_int("DB_RETRY_SECONDS", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, failing fast while the database is out of reach.
    DATABASES["default"]["ENGINE"] = "core.postgresql"
    # The token lookup runs as a prepared statement (tokens/lookup.py). Behind a pooler in
    # transaction mode that does not keep prepared statements (PgBouncer < 1.21), set
    # DB_PREPARED_STATEMENTS=0.
    if env_bool("DB_PREPARED_STATEMENTS", True):
        DATABASES["default"]["PREPARE_TOKEN_LOOKUP"] = True  # type: ignore[typeddict-unknown-key]
        # Lets psycopg prepare at all; Django's own cursors bind on the client and never do.
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", DB_CONNECT_TIMEOUT)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and the once-a-minute last_used_at writer proceed together.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background tasks ----------------------------------------------------------------------
# Django's tasks framework on the application's own database (django-tasks-db): a task is a
# row, run by `manage.py db_worker` (docs/operations.md: the jobs); `manage.py token_jobs`,
# from cron or a systemd timer, enqueues the token jobs (reminders, retirement, notices).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# --- Cache -----------------------------------------------------------------------------------
# One shared cache (Redis) when several app servers run: throttle counters, login-failure
# limits and Entra key sets must agree across them. In-process memory otherwise.
# Redis that does not answer within REDIS_TIMEOUT_SECONDS is left for REDIS_RETRY_SECONDS
# while this process keeps the same things in its own memory (core/cache.py says what that
# means for each use).
REDIS_TIMEOUT_SECONDS = env_float("REDIS_TIMEOUT_SECONDS", 0.5)
if redis_url := os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
                "retry_seconds": env_float("REDIS_RETRY_SECONDS", 10),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# A process adds up its API tokens' uses and sends them to the cache at most this often
# (tokens/usage.py); 0 sends each use with its request.
TOKEN_USAGE_FLUSH_SECONDS = env_float("TOKEN_USAGE_FLUSH_SECONDS", 1)

# --- Accounts --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# User names are unique within a tenant (accounts/models.py); our backend looks them up there.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = [
    "accounts.backends.TenantModelBackend",
    "accounts.sso.EntraOAuth2",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}

# TOTP for local accounts (the break-glass admin); Entra accounts get MFA from Entra.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "API tokens portal"
# allauth.usersessions records each user's sessions, so deprovisioning can end them all.
USERSESSIONS_TRACK_ACTIVITY = False

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# --- Microsoft Entra ID --------------------------------------------------------------------
# One app registration (docs/operations.md says how): its client id and secret sign users in,
# and its application id (or api:// URI) is the audience of bearer tokens for the API.
ENTRA_CLIENT_ID = os.environ.get("ENTRA_CLIENT_ID", "")
ENTRA_CLIENT_SECRET = os.environ.get("ENTRA_CLIENT_SECRET", "")
ENTRA_API_APP_ID = os.environ.get("ENTRA_API_APP_ID", ENTRA_CLIENT_ID)
ENTRA_API_APP_ID_URI = os.environ.get("ENTRA_API_APP_ID_URI", "")  # default api://<app id>
# Where Entra is: the real one by default, the local fake one (make run, tests) otherwise.
ENTRA_AUTHORITY = os.environ.get("ENTRA_AUTHORITY", "https://login.microsoftonline.com").rstrip("/")
ENTRA_V1_ISSUER = os.environ.get("ENTRA_V1_ISSUER", "https://sts.windows.net/{tid}/")
ENTRA_JWKS_URL = os.environ.get("ENTRA_JWKS_URL", f"{ENTRA_AUTHORITY}/common/discovery/v2.0/keys")
ENTRA_LEEWAY_SECONDS = env_int("ENTRA_LEEWAY_SECONDS", 60)
# Short: a request that needs a key set fetch waits at most this long (accounts/entra.py
# bounds how often anyone may make it wait).
ENTRA_HTTP_TIMEOUT = env_float("ENTRA_HTTP_TIMEOUT", 2)


def _role_map() -> dict[str, str]:
    """ENTRA_ROLE_MAP="AppRoleValue=portal_role,...", highest privilege first."""
    from accounts.roles import Role

    if not (raw := os.environ.get("ENTRA_ROLE_MAP")):
        return {
            "GlobalAdmin": Role.GLOBAL_ADMIN.value,
            "SecurityOperator": Role.SECURITY_OPERATOR.value,
            "ComplianceAdmin": Role.COMPLIANCE_ADMIN.value,
            "SecurityReader": Role.SECURITY_READER.value,
            "GlobalReader": Role.GLOBAL_READER.value,
            "DiscoveryAdmin": Role.DISCOVERY_ADMIN.value,
        }
    mapping = {}
    for pair in raw.split(","):
        value, _, role = pair.strip().partition("=")
        if role.strip() not in Role.values or not value.strip():
            raise ImproperlyConfigured(
                f"ENTRA_ROLE_MAP: {pair.strip()!r} is not AppRoleValue=role, with role one of "
                f"{', '.join(Role.values)}"
            )
        mapping[value.strip()] = role.strip()
    return mapping


ENTRA_ROLE_MAP = _role_map()

# The local fake Entra ID (make run, the tests) is for development only: with DEBUG=0 the
# portal refuses its well-known client ids (the portal's, the demo daemon's, the demo native
# app's) and any Entra authority that is not HTTPS.
FAKE_ENTRA_CLIENT_IDS = {
    "6f1c3a52-0d4e-4b8e-9a57-2d7f4c1e9b30",
    "3b9d8e21-6c4a-4f7e-8d2b-1a0e9c7f5b43",
    "9d4e2f61-7a3b-4c8d-9e5f-2b1a0c8d7e64",
}
if not DEBUG:
    if not ENTRA_AUTHORITY.startswith("https://"):
        raise ImproperlyConfigured(
            f"ENTRA_AUTHORITY must be an https:// address when DEBUG=0, not {ENTRA_AUTHORITY!r} "
            "(an http:// authority is the local fake Entra ID, for development only)"
        )
    if {ENTRA_CLIENT_ID, ENTRA_API_APP_ID} & FAKE_ENTRA_CLIENT_IDS:
        raise ImproperlyConfigured(
            "ENTRA_CLIENT_ID (or ENTRA_API_APP_ID) is the local fake Entra ID's published client "
            "id, for development only: register the portal in Entra ID (docs/operations.md) and "
            "use its id"
        )

SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_ENTRA_KEY = ENTRA_CLIENT_ID
SOCIAL_AUTH_ENTRA_SECRET = ENTRA_CLIENT_SECRET
SOCIAL_AUTH_ENTRA_USE_PKCE = True
# Entra asks which account (select_account); the confirmation page (accounts/reauthentication)
# asks it for the credentials again (prompt=login).
SOCIAL_AUTH_ENTRA_AUTH_EXTRA_ARGUMENTS = {"prompt": "select_account"}
SOCIAL_AUTH_ENTRA_AUTH_EXTRA_ARGUMENTS_OVERRIDE_ALLOWLIST = ("prompt",)
# Generating or regenerating a token, changing the token policy and replacing the SCIM secret
# need a sign-in within this long (accounts/reauthentication.py).
REAUTHENTICATION_SECONDS = env_int("REAUTHENTICATION_SECONDS", 600)
SOCIAL_AUTH_ENTRA_JWT_LEEWAY = ENTRA_LEEWAY_SECONDS
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/"
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "accounts.sso.portal_identity",
    "accounts.sso.portal_user",
    "accounts.sso.confirmed_identity",
    "social_core.pipeline.social_auth.load_extra_data",
)

# --- Security headers ------------------------------------------------------------------------
SECURE = not DEBUG
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SECURE)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SECURE)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    # Only behind a proxy that sets this header itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The client's address, for the failed sign-in limits: behind the load balancer REMOTE_ADDR
# is the balancer's own, so one client's failures would lock out everyone. Either a header
# the proxy sets (and strips from clients), or the number of proxies that append to
# X-Forwarded-For (the address that many entries from the right is the client's).
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = os.environ.get("TRUSTED_CLIENT_IP_HEADER") or None
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if BEHIND_TLS_PROXY else 0)
# A form posts to its own host, which Django's CSRF check trusts by itself; no tenant's host
# is trusted for another's (nor, through a wildcard, for all of them).
CSRF_TRUSTED_ORIGINS = [f"{PORTAL_SCHEME}://{PORTAL_DOMAIN}", *env_list("CSRF_TRUSTED_ORIGINS")]

# Every script, style, image and font comes from our own origin; scripts also need the
# per-response nonce. Nothing may frame the portal.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    # "Sign in with Microsoft" posts here and is redirected on to Entra, which Chromium
    # checks against form-action too.
    "form-action": [CSP.SELF, ENTRA_AUTHORITY],
}

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Development serves static/ straight from the finders; production from collectstatic's output.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

if DEBUG:
    STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root on every start

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tokens.authentication.ApiTokenAuthentication",
        "accounts.authentication.EntraBearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Fail closed: a view that forgets to say who may call it admits no one anonymous.
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsActiveUser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "core.renderers.PortalBrowsableAPIRenderer",
    ],
    # DRF's JSON parser, refusing deep nesting, NUL and lone surrogates with a 400. JSON
    # only: a form cannot say a number or a boolean. The data API's lists take forms too,
    # as the reference's (security/api/base.py).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.TenantRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.ApiAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# Requests per minute per tenant on the API (all app servers together when REDIS_URL is set);
# 0 turns throttling off.
API_THROTTLE_PER_MINUTE = env_int("API_THROTTLE_PER_MINUTE", 30)
API_THROTTLE_WINDOW = env_int("API_THROTTLE_WINDOW", 60)  # seconds; tests shorten it
# A list's `total` is exact up to this many records, then `moreThanTotal` says there are more.
DATA_API_COUNT_BOUND = env_int("DATA_API_COUNT_BOUND", 1000)
# Cloud Discovery log files: where they are kept and how large one may be (5 GB, as the
# original allows). With several app servers MEDIA_ROOT must be shared storage.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
DISCOVERY_UPLOAD_MAX_BYTES = env_int("DISCOVERY_UPLOAD_MAX_BYTES", 5 * 1024**3)

SPECTACULAR_SETTINGS = {
    "TITLE": "API tokens portal: Cloud Apps API",
    "DESCRIPTION": "The Defender for Cloud Apps compatible REST API. Authenticate with "
    "`Authorization: Token <API token>` or `Authorization: Bearer <Entra access token>`.",
    "VERSION": PORTAL_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["config.schema.drop_aliases"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.closed_request_bodies",
    ],
}

# The public report of leaked credentials (POST /api/v1/credentials/revoke/): reports an
# hour per client address, all app servers together when they share Redis.
CREDENTIAL_REPORTS_PER_HOUR = env_int("CREDENTIAL_REPORTS_PER_HOUR", 60)

# SIEM agents: "connected" while they called the feed within this many seconds; the feed
# reads only events stored at least SIEM_FEED_LAG_SECONDS ago (see extensions/feed.py).
SIEM_CONNECTED_WINDOW = env_int("SIEM_CONNECTED_WINDOW", 15 * 60)
SIEM_FEED_LAG_SECONDS = env_int("SIEM_FEED_LAG_SECONDS", 5)

# --- E-mail ----------------------------------------------------------------------------------
# EMAIL_URL: smtp://user:password@host:port (smtps:// for TLS from the first byte,
# smtp+tls:// for STARTTLS), or the separate EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL. Without either, messages are printed on
# the console (make run shows them in its terminal); production sets one (docs/operations.md).
# Django 6.1's MAILERS: one mailer, "default", built from those variables.
_email_url = os.environ.get("EMAIL_URL", "")
# seconds: a slow mail server never hangs a worker (or a job holding a reminder's row)
EMAIL_TIMEOUT_SECONDS = env_int("EMAIL_TIMEOUT", 10)
if _email_url:
    _email = urlsplit(_email_url)
    if _email.scheme not in {"smtp", "smtps", "smtp+tls"}:
        raise ImproperlyConfigured("EMAIL_URL must be smtp://, smtps:// or smtp+tls://")
    _smtp = {
        "host": _email.hostname or "localhost",
        "port": _email.port or {"smtps": 465, "smtp+tls": 587}.get(_email.scheme, 25),
        "username": unquote(_email.username or ""),
        "password": unquote(_email.password or ""),
        "use_ssl": _email.scheme == "smtps",
        "use_tls": _email.scheme == "smtp+tls",
    }
elif os.environ.get("EMAIL_HOST"):
    _smtp = {
        "host": os.environ["EMAIL_HOST"],
        "port": env_int("EMAIL_PORT", 25),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
    }
else:
    _smtp = {}
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {**_smtp, "timeout": EMAIL_TIMEOUT_SECONDS},
        }
        if _smtp
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "API tokens portal <noreply@localhost>")

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging ---------------------------------------------------------------------------------
# Requests are logged without their headers or bodies: a token value never reaches a log line.
# LOG_FORMAT=json: every line one JSON object, each request's with its fields
# (core/requestlog.py); plain text otherwise (make run).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT is plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "filters": {"redact": {"()": "config.logging.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django's own console handler would print every line twice beside the root one.
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # Request lines name the path, which for an upload URL holds its secret.
        "django.request": {"filters": ["redact"], "propagate": True},
        # runserver's own line for each request: ours (portal.request) says more.
        "django.server": {"filters": ["redact"], "level": "WARNING", "propagate": True},
    },
}

# GET /metrics (Prometheus's text format, core/metrics.py) answers these addresses and
# networks only; any other gets a 403. Comma-separated; loopback by default.
METRICS_ALLOWED_IPS = [
    entry.strip()
    for entry in os.environ.get("METRICS_ALLOWED_IPS", "127.0.0.1,::1").split(",")
    if entry.strip()
]
for _entry in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {_entry!r} is no address") from None
