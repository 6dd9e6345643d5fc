"""Peluit settings: one module, read top to bottom, driven by the environment with safe embedded defaults.

Environment variables (see README): DATABASE_URL, CELERY_BROKER_URL, CELERY_RESULT_BACKEND,
PELUIT_MEDIA_ROOT, PELUIT_SIGNING_P12, PELUIT_PEPPER, PELUIT_SECRET_KEY, PELUIT_ALLOWED_HOSTS,
PELUIT_DEBUG, PELUIT_INSECURE_HTTP, PELUIT_VAR_DIR, PELUIT_KDF_PROFILE, PELUIT_KDF_CONCURRENCY,
PELUIT_THROTTLE_*, PELUIT_DB_CONNECT_TIMEOUT, PELUIT_DB_STATEMENT_TIMEOUT, PELUIT_DB_BUSY_TIMEOUT,
PELUIT_CHECKPOINT_KEY, PELUIT_AUDIT_ORIGIN, PELUIT_CHECKPOINT_SIGNER, PELUIT_AUDIT_WITNESSES,
PELUIT_REPORTER_TIME_GRANULARITY, PELUIT_INSTITUTION_*, PELUIT_ONION_ADDRESS, and the reports' PELUIT_SIGNING_*,
PELUIT_PDF_SIGNER, PELUIT_TSA_URL, PELUIT_PADES_LEVEL, PELUIT_MIN_CELL (docs/reports.md).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.secrets import load_or_create

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Return the environment variable ``name`` read as a boolean."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# --- Paths -------------------------------------------------------------------------------------------
VAR_DIR = Path(os.environ.get("PELUIT_VAR_DIR", BASE_DIR / "var"))
# The database (password hashes, TOTP secrets, sessions), the logs and the encrypted files live here: only the
# user running Peluit may enter it, whatever the umask made of the files inside (nginx reads nothing here).
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
if VAR_DIR.stat().st_uid == os.getuid() and VAR_DIR.stat().st_mode & 0o077:
    VAR_DIR.chmod(0o700)
LOG_DIR = VAR_DIR / "log"
LOG_DIR.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("PELUIT_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"  # encrypted blobs are streamed by views, never served directly
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Secrets (environment, or generated once into var/secrets.json; never committed) -----------------
_SECRETS_FILE = VAR_DIR / "secrets.json"
SECRET_KEY = load_or_create(_SECRETS_FILE, "secret_key", "PELUIT_SECRET_KEY")
# The vault pepper is mixed into every officer's key-wrapping key; it lives outside the database.
PELUIT_PEPPER = load_or_create(_SECRETS_FILE, "pepper", "PELUIT_PEPPER")
# Seed of the Ed25519 key that signs audit checkpoints (vault/checkpoint_signer.py); outside the database so a
# dump cannot forge checkpoints. The origin names the log in every checkpoint and is the signing key's name.
PELUIT_CHECKPOINT_KEY = load_or_create(_SECRETS_FILE, "checkpoint_key", "PELUIT_CHECKPOINT_KEY")
PELUIT_AUDIT_ORIGIN = os.environ.get("PELUIT_AUDIT_ORIGIN", "inspektorat.semarangkota.go.id/peluit/audit")
# The strategy that signs checkpoints (and a witness's cosignatures), named by dotted path as PASSWORD_HASHERS
# names hashers; see audit/signing.py. The default signs with Ed25519 through vault/crypto.py.
PELUIT_CHECKPOINT_SIGNER = os.environ.get("PELUIT_CHECKPOINT_SIGNER", "vault.checkpoint_signer.Ed25519Signer")
# Witnesses (other institutions running `manage.py audit_witness`) whose cosignatures the log accepts and serves:
# their verifier keys (C2SP vkeys, signature type 0x04), separated by spaces or commas. See docs/audit.md.
PELUIT_AUDIT_WITNESSES = [k for k in os.environ.get("PELUIT_AUDIT_WITNESSES", "").replace(",", " ").split() if k]
PELUIT_SIGNING_P12 = os.environ.get("PELUIT_SIGNING_P12", "")
# Argon2id costs of the vault: "production", or "test" (the libsodium minimum, for the test suite only).
# The costs used are recorded in every stored blob; see vault/conf.py and docs/vault.md.
VAULT_KDF_PROFILE = os.environ.get("PELUIT_KDF_PROFILE", "production")
# Argon2id derivations at once per process; more wait their turn. config/gunicorn.py sets cores ÷ workers (at
# least 1): two derivations in one process wait on each other's memory mappings (vault.crypto.KdfGate).
VAULT_KDF_CONCURRENCY = int(os.environ.get("PELUIT_KDF_CONCURRENCY", "1"))
# Argon2id derivations at once on this machine, shared by every process of this Peluit (0: no shared bound).
# config/gunicorn.py sets the number of cores; with more workers than cores, every core derives while enough
# receipts wait.
VAULT_KDF_HOST_SLOTS = int(os.environ.get("PELUIT_KDF_HOST_SLOTS", "0"))
# The model whose primary key is the vault's report id; the vault names cases by its ``number`` in the audit log
# (a swappable model, as AUTH_USER_MODEL, so vault/ imports nothing of casework/).
VAULT_REPORT_MODEL = "casework.Case"

DEBUG = env_bool("PELUIT_DEBUG")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("PELUIT_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()
]

# --- Applications ------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "casework",
    "vault",
    "audit",
    "intake",
    "reports",
]

MIDDLEWARE = [
    # First: strips the client address, forwarding headers and user agent on reporter paths.
    "intake.middleware.ReporterPrivacyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the middleware that may answer early (console guard, slash redirects, CSRF), so every
    # response carries the framing, content and caching policy.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.NoStoreMiddleware",
    "config.middleware.OnionLocationMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The cookie half of the split-key console session (vault/console.py).
    "vault.middleware.ConsoleKeyCookieMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.csrf.NoReferrerCsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages, so a refused console session can say why on the login page.
    "casework.staff.middleware.ConsoleRequiresVerifiedStaffMiddleware",
    # Inside the guard, so the 403 it gives a case number nobody has is audited like a case not held.
    "casework.cases.middleware.UnknownCaseAsNotHeldMiddleware",
    "config.middleware.MethodNotAllowedPageMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.language_links",
                "config.context_processors.institution",
            ],
        },
    },
]

# --- Caches -------------------------------------------------------------------------------------------
# Page parts that are the same for every visitor (base.html's reporter footer), rendered once per process and
# kept here; they hold no visitor's data. Local to each process, whatever a deployment uses elsewhere.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "peluit-default"},
    "template_fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "peluit-template-fragments",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 100},
    },
}

# --- Database ----------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'peluit.sqlite3'}"),
        conn_max_age=60,
        conn_health_checks=True,  # a kept connection that broke while idle is replaced, not used and failed
    )
}
# How long a request may wait for the database before it gets a clear 503 (config/faults.py), in seconds:
# to connect (PostgreSQL), for one statement (PostgreSQL; 0: no limit), for the write lock (SQLite).
PELUIT_DB_CONNECT_TIMEOUT = int(os.environ.get("PELUIT_DB_CONNECT_TIMEOUT", "5"))
PELUIT_DB_STATEMENT_TIMEOUT = int(os.environ.get("PELUIT_DB_STATEMENT_TIMEOUT", "30"))
PELUIT_DB_BUSY_TIMEOUT = float(os.environ.get("PELUIT_DB_BUSY_TIMEOUT", "20"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the Celery worker share the file. Connections are kept
    # between requests (CONN_MAX_AGE above): opening one (the file, these PRAGMAs, reading the schema) cost a
    # reporter's submission about a tenth of its processor time besides Argon2id (docs/reliability.md). The
    # backend in config/sqlite notices a database file replaced under a kept connection (its health check).
    # Reads go through a memory map: copying each page in with read() was half the cost of an officer's
    # queue at 100,000 cases (docs/console.md, "Fast at 100,000 cases"). The WAL is copied back into the
    # database every 10,000 pages (~40 MB) instead of SQLite's 1,000: the pages every submission touches (index
    # edges, the audit tail, the case-number row) are then copied once per 10,000 pages, not ten times; a
    # submission's processor time fell by a tenth (docs/decisions.md). Freed space is zeroed (secure_delete),
    # and a crypto-shred empties the WAL (vault.sealing.empty_sqlite_wal): deleted keys leave the disk.
    DATABASES["default"]["ENGINE"] = "config.sqlite"
    # Tests use an in-memory database, as for Django's own SQLite engine (pytest-django recognises that engine
    # by its name only, and would otherwise make a file name from the path).
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")
    DATABASES["default"]["OPTIONS"] = {
        "timeout": PELUIT_DB_BUSY_TIMEOUT,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=1073741824;"
            " PRAGMA wal_autocheckpoint=10000; PRAGMA secure_delete=ON;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A server that does not answer, or a statement stuck behind a lock, ends in an error (then a 503), never
    # in a request that hangs; tcp_user_timeout drops a connection whose server stopped acknowledging data.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options.setdefault("connect_timeout", PELUIT_DB_CONNECT_TIMEOUT)
    _pg_options.setdefault("tcp_user_timeout", 1000 * max(PELUIT_DB_CONNECT_TIMEOUT, PELUIT_DB_STATEMENT_TIMEOUT))
    _pg_options.setdefault("keepalives_idle", 30)
    _pg_options["options"] = (
        f"{_pg_options.get('options', '')} -c statement_timeout={1000 * PELUIT_DB_STATEMENT_TIMEOUT}".strip()
    )
# A reporter's submission that meets a busy database (a lock) is tried again for this long (intake/busy.py).
PELUIT_WRITE_RETRY_SECONDS = float(os.environ.get("PELUIT_WRITE_RETRY_SECONDS", "60"))
# How long a process keeps the intake recipients and their public keys (intake/recipients.py).
PELUIT_RECIPIENT_CACHE_SECONDS = float(os.environ.get("PELUIT_RECIPIENT_CACHE_SECONDS", "2"))
# How long a process keeps the deadline rules and the calendar for reporters' submissions (calendar.py).
PELUIT_RULES_CACHE_SECONDS = float(os.environ.get("PELUIT_RULES_CACHE_SECONDS", "2"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Staff accounts and authentication ---------------------------------------------------------------
AUTH_USER_MODEL = "casework.StaffUser"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first, as django-axes requires
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "auth:login"
LOGIN_REDIRECT_URL = "console:home"

# Repeated password failures lock the username from that client address for a cool-off period; a ceiling
# over all addresses locks the username everywhere (casework/staff/lockout.py, docs/decisions.md).
AXES_FAILURE_LIMIT = int(os.environ.get("PELUIT_LOGIN_FAILURE_LIMIT", "5"))
PELUIT_LOGIN_FAILURE_CEILING = int(os.environ.get("PELUIT_LOGIN_FAILURE_CEILING", "50"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Sensitive console actions ask again for a code or the password when the last proof is older than this.
PELUIT_STEP_UP_SECONDS = int(os.environ.get("PELUIT_STEP_UP_SECONDS", "300"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "casework.staff.lockout.staff_client_address"
AXES_RESET_ON_SUCCESS = True
# Tries while locked do not push the end of the lock further away: it opens 15 minutes after the failures.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "casework.staff.auth_views.lockout_response"
AXES_VERBOSE = False

# TOTP: 30 s steps, one step of drift either way; failures slow the device down exponentially.
OTP_TOTP_ISSUER = "Peluit"
OTP_TOTP_TOLERANCE = 1
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# --- Sessions and cookies ----------------------------------------------------------------------------
# Cookies are Secure by default. bin/run serves plain HTTP on loopback and sets PELUIT_INSECURE_HTTP=1.
_SECURE_COOKIES = not env_bool("PELUIT_INSECURE_HTTP")
SESSION_COOKIE_NAME = "peluit_session"
SESSION_COOKIE_AGE = 30 * 60  # idle console sessions end after 30 minutes
SESSION_SAVE_EVERY_REQUEST = True  # ...counted from the last request
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _SECURE_COOKIES
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_NAME = "peluit_csrf"
CSRF_COOKIE_AGE = None  # ends with the browser session: no year-long trace on a reporter's device
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = _SECURE_COOKIES
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("PELUIT_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# --- Security headers --------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = int(os.environ.get("PELUIT_HSTS_SECONDS", "0"))
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("PELUIT_BEHIND_PROXY") else None
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    },
}

# --- Language and time -------------------------------------------------------------------------------
# Times a reporter causes (a case received, their messages and files, the audit events of their requests) are
# stored rounded down to this many seconds, counted from local midnight; it must divide a day. See audit/clock.py.
PELUIT_REPORTER_TIME_GRANULARITY = int(os.environ.get("PELUIT_REPORTER_TIME_GRANULARITY", "3600"))
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Jakarta"
USE_TZ = True

# --- Reporter attachments and abuse control (intake) -------------------------------------------------
PELUIT_MAX_ATTACHMENTS = int(os.environ.get("PELUIT_MAX_ATTACHMENTS", "20"))
PELUIT_MAX_ATTACHMENT_BYTES = int(os.environ.get("PELUIT_MAX_ATTACHMENT_BYTES", str(100 * 1024 * 1024)))
PELUIT_MAX_IMAGE_PIXELS = int(os.environ.get("PELUIT_MAX_IMAGE_PIXELS", "120000000"))
# Total duration of the recordings of the reporter's own voice that one submission may disguise (intake/voice.py).
PELUIT_MAX_VOICE_SECONDS = int(os.environ.get("PELUIT_MAX_VOICE_SECONDS", str(10 * 60)))
# Uploads over 256 KiB are spooled to disk, not memory, into nameless temporary files (intake/uploads.py): a
# killed worker leaves no plaintext behind. Nothing with a name belongs in FILE_UPLOAD_TEMP_DIR: it is swept.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "intake.uploads.NamelessTemporaryFileUploadHandler",
]
FILE_UPLOAD_TEMP_DIR = VAR_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
# Sliding windows shared by every process: (events, seconds). See intake/throttle.py. Receipt limits count
# wrong receipts only; the global one bounds guessing (hopeless against 10^16 receipts) well above a flood
# an honest reporter must get through.
PELUIT_THROTTLE_PER_ADDRESS = (int(os.environ.get("PELUIT_THROTTLE_PER_ADDRESS", "60")), 60)
PELUIT_THROTTLE_GLOBAL_POSTS = (int(os.environ.get("PELUIT_THROTTLE_GLOBAL_POSTS", "600")), 60)
PELUIT_THROTTLE_RECEIPT_PER_ADDRESS = (int(os.environ.get("PELUIT_THROTTLE_RECEIPT_PER_ADDRESS", "10")), 600)
PELUIT_THROTTLE_RECEIPT_GLOBAL = (int(os.environ.get("PELUIT_THROTTLE_RECEIPT_GLOBAL", "3000")), 600)


def _default_throttle_url() -> str:
    """A SQLite file in memory-backed /dev/shm, one per var/ directory, private to this user."""
    import hashlib

    shm = Path("/dev/shm")  # noqa: S108 - tmpfs on Linux: counters must not reach a persistent disk
    if not shm.is_dir():
        return "memory://"
    tag = hashlib.sha256(str(VAR_DIR.resolve()).encode()).hexdigest()[:16]
    return f"sqlite:///{shm / f'peluit-{os.getuid()}' / f'throttle-{tag}.sqlite3'}"


# Where the throttle's counters and daily key live: redis://... (shared by app servers; no persistence),
# sqlite:////dev/shm/... (the processes of one machine; the default) or memory:// (one process).
PELUIT_THROTTLE_URL = os.environ.get("PELUIT_THROTTLE_URL", "") or _default_throttle_url()
# How many reverse proxies of ours append to X-Forwarded-For (0: the client connects directly).
PELUIT_TRUSTED_PROXIES = int(os.environ.get("PELUIT_TRUSTED_PROXIES", "0"))

# --- Lifecycles: working days, retention, reminders (casework/workflow) -----------------------------
# Whether cuti bersama (collective leave, SKB 3 Menteri) closes the office for the working-day clocks.
PELUIT_CUTI_BERSAMA_IS_LEAVE = env_bool("PELUIT_CUTI_BERSAMA_IS_LEAVE", True)
# Years a closed case is kept before it is crypto-shredded, per kind (PELUIT_RETENTION_YEARS for both, or
# PELUIT_RETENTION_YEARS_WBS / PELUIT_RETENTION_YEARS_GRATIFICATION).
_RETENTION_YEARS = int(os.environ.get("PELUIT_RETENTION_YEARS", "5"))
PELUIT_RETENTION_YEARS = {
    "wbs": int(os.environ.get("PELUIT_RETENTION_YEARS_WBS", _RETENTION_YEARS)),
    "gratification": int(os.environ.get("PELUIT_RETENTION_YEARS_GRATIFICATION", _RETENTION_YEARS)),
}
# E-mail (deadline reminders only; never report content). Off unless PELUIT_EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("PELUIT_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("PELUIT_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("PELUIT_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PELUIT_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PELUIT_EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("PELUIT_EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("PELUIT_EMAIL_FROM", "peluit@localhost")
PELUIT_EMAIL_REMINDERS = bool(EMAIL_HOST)

# --- The institution: its name and contacts on every reporter page and PDF letterhead --------------------
# Defaults are Inspektorat Kota Semarang's (check them before going live).
PELUIT_INSTITUTION_NAME = os.environ.get("PELUIT_INSTITUTION_NAME", "Inspektorat Kota Semarang")
# A static file name (e.g. "logo.svg") or an absolute path to an SVG, PNG or JPEG, inlined as a data: URI into
# pages and PDFs (so nothing is fetched from anywhere); empty: no logo.
PELUIT_INSTITUTION_LOGO = os.environ.get("PELUIT_INSTITUTION_LOGO", "institution-logo.svg")
PELUIT_INSTITUTION_ADDRESS = os.environ.get(
    "PELUIT_INSTITUTION_ADDRESS", "Kompleks Balai Kota Semarang, Jl. Pemuda No. 148, Semarang 50132"
)
PELUIT_INSTITUTION_PHONE = os.environ.get("PELUIT_INSTITUTION_PHONE", "1708")
PELUIT_INSTITUTION_EMAIL = os.environ.get("PELUIT_INSTITUTION_EMAIL", "inspektorat@semarangkota.go.id")
# The one host name reporters should see in the address bar (over HTTPS); named on every reporter page.
PELUIT_INSTITUTION_DOMAIN = os.environ.get("PELUIT_INSTITUTION_DOMAIN", "inspektorat.semarangkota.go.id")
# Optional Tor onion service of the same site (v3 address): shown to reporters and sent as Onion-Location.
PELUIT_ONION_ADDRESS = (
    os.environ.get("PELUIT_ONION_ADDRESS", "").strip().lower().removeprefix("http://").removeprefix("https://")
).rstrip("/")
if PELUIT_ONION_ADDRESS and not re.fullmatch(r"[a-z2-7]{56}\.onion", PELUIT_ONION_ADDRESS):
    raise ImproperlyConfigured("PELUIT_ONION_ADDRESS must be a v3 onion address (56 characters, then .onion)")
# A bad logo stops start-up with a clear message rather than silently vanishing from every page. A relative name
# is looked up among the static files (reports/rendering.py); the project's own static folder is checked here.
_LOGO = Path(PELUIT_INSTITUTION_LOGO) if PELUIT_INSTITUTION_LOGO else None
if _LOGO is not None and _LOGO.suffix.lower() not in {".svg", ".png", ".jpg", ".jpeg"}:
    raise ImproperlyConfigured("PELUIT_INSTITUTION_LOGO must be an .svg, .png or .jpg file")
if _LOGO is not None and (_LOGO.is_absolute() or (BASE_DIR / "static" / _LOGO).is_file()):
    _LOGO = _LOGO if _LOGO.is_absolute() else BASE_DIR / "static" / _LOGO
    if not _LOGO.is_file() or _LOGO.stat().st_size > 256 * 1024:
        raise ImproperlyConfigured(f"PELUIT_INSTITUTION_LOGO {_LOGO} is missing or over 256 KiB")

# --- Reports: signed PDF exports (reports/, docs/reports.md) --------------------------------------------
# The signer strategy (dotted path, like PASSWORD_HASHERS): the local test CA made by `manage.py
# signing_test_ca` (bin/run, bin/test), or the institution's PKCS#12 when PELUIT_SIGNING_P12 is set.
PELUIT_SIGNING_DIR = Path(os.environ.get("PELUIT_SIGNING_DIR", VAR_DIR / "signing"))
PELUIT_SIGNING_P12_PASSWORD = os.environ.get("PELUIT_SIGNING_P12_PASSWORD", "")
PELUIT_PDF_SIGNER = os.environ.get(
    "PELUIT_PDF_SIGNER",
    "reports.signers.Pkcs12Signer" if PELUIT_SIGNING_P12 else "reports.signers.LocalTestCaSigner",
)
# Extra trust anchors (PEM files, comma-separated) for /verify/, e.g. the root of the institution's CA.
PELUIT_SIGNING_TRUST_ROOTS = [
    p.strip() for p in os.environ.get("PELUIT_SIGNING_TRUST_ROOTS", "").split(",") if p.strip()
]
# An RFC 3161 time-stamping authority: PAdES B-T, and B-LT (validation data embedded) by default with it.
PELUIT_TSA_URL = os.environ.get("PELUIT_TSA_URL", "")
# "B-B", "B-T" or "B-LT"; empty: B-LT with a TSA, else B-B.
PELUIT_PADES_LEVEL = os.environ.get("PELUIT_PADES_LEVEL", "")
# Statistics: counts under this are suppressed (and totals that would reveal them by subtraction).
PELUIT_MIN_CELL = int(os.environ.get("PELUIT_MIN_CELL", "5"))
# Bounds: events in one audit-trail PDF, bytes accepted by /verify/.
PELUIT_AUDIT_TRAIL_MAX_EVENTS = int(os.environ.get("PELUIT_AUDIT_TRAIL_MAX_EVENTS", "2000"))
PELUIT_VERIFY_MAX_BYTES = int(os.environ.get("PELUIT_VERIFY_MAX_BYTES", str(20 * 1024 * 1024)))

# --- Static files ------------------------------------------------------------------------------------
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Celery ------------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}")
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    _default_result_backend = CELERY_BROKER_URL
else:
    _default_result_backend = f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", _default_result_backend)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"reports.tasks.*": {"queue": "reports"}}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Sign an audit checkpoint every 10 minutes on the clock, at 5 past and every ten minutes after (never with the
    # hour's published one); every time while checkpoints are published hourly (audit/publication.py).
    "audit-checkpoint": {"task": "audit.tasks.periodic_checkpoint", "schedule": crontab(minute="5-55/10")},
    # The checkpoint the public sees (/audit/checkpoint) is signed in the first minutes of each reporter time
    # window (audit/publication.py); asked every minute, it signs at most once a window.
    "audit-publish-checkpoint": {"task": "audit.tasks.publish_if_due", "schedule": crontab(minute="*")},
    # Expired reporter follow-up sessions and blobs of failed uploads.
    "vault-housekeeping": {"task": "vault.tasks.housekeeping", "schedule": timedelta(hours=1)},
    # Files held for reporters across a form error live for an hour; purge them soon after.
    "vault-held-files": {"task": "vault.tasks.purge_held_files", "schedule": timedelta(minutes=10)},
    # Files left in the upload folder (uploads are spooled nameless, so none should be there).
    "intake-housekeeping": {"task": "intake.tasks.housekeeping", "schedule": timedelta(hours=1)},
    # Deadline reminders every working morning's start, and crypto-shredding of expired cases at night.
    "deadline-reminders": {"task": "casework.tasks.deadline_reminders", "schedule": crontab(hour=6, minute=30)},
    "retention-shred": {"task": "casework.tasks.retention_shred", "schedule": crontab(hour=2, minute=15)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat hands each due task to the outbox and relays what waits (config/beat.py, casework/outbox/relay.py).
CELERY_BEAT_SCHEDULER = "config.beat:OutboxScheduler"
# The outbox (docs/reliability.md, "Broker down"): every wait on the broker when sending (connect, read, write)
# is bounded by this many seconds; after a failure, requests leave sending to the relay for the retry seconds;
# beat's scheduler relays whatever waits every sweep seconds.
PELUIT_BROKER_TIMEOUT = float(os.environ.get("PELUIT_BROKER_TIMEOUT", "2"))
PELUIT_BROKER_RETRY_SECONDS = float(os.environ.get("PELUIT_BROKER_RETRY_SECONDS", "30"))
PELUIT_OUTBOX_SWEEP_SECONDS = float(os.environ.get("PELUIT_OUTBOX_SWEEP_SECONDS", "30"))

# --- Logging: never the client address, user agent or request headers --------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Filters run in this order: the reporter's time is rounded while the request is still attached.
    "filters": {
        "reporter_time": {"()": "config.logging.CoarseReporterTimeFilter"},
        "no_request": {"()": "config.logging.DropRequestFilter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["reporter_time", "no_request"]},
        "file": {
            "class": "logging.handlers.WatchedFileHandler",
            "filename": str(LOG_DIR / "peluit.log"),
            "formatter": "plain",
            "filters": ["reporter_time", "no_request"],
        },
    },
    "root": {"handlers": ["console", "file"], "level": "INFO"},
    "loggers": {
        # Request loggers carry the request object (and with it headers); our filter strips it, and
        # runserver's access log is silenced entirely.
        "django.server": {"handlers": [], "level": "ERROR", "propagate": False},
        "axes": {"level": "WARNING"},
        # qpdf's warnings about a reporter's damaged PDF describe the file; keep only errors.
        "pikepdf": {"level": "ERROR"},
        # WeasyPrint reports every rendering step at INFO; fontTools chatters while subsetting.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        # pyHanko warns that B-LT validation data is gathered without network fetching (on purpose).
        "pyhanko": {"level": "ERROR"},
    },
}

SILENCED_SYSTEM_CHECKS: list[str] = []
# Openness (docs/openness.md): the open data's licence (an SPDX id), the fewest survey answers an index may
# describe, and the service pledge (maklumat pelayanan) shown with the service standard (empty: the default text).
PELUIT_OPEN_DATA_LICENSE = os.environ.get("PELUIT_OPEN_DATA_LICENSE", "CC-BY-4.0")
PELUIT_SKM_MIN_ANSWERS = int(os.environ.get("PELUIT_SKM_MIN_ANSWERS", "10"))
PELUIT_SERVICE_PLEDGE = os.environ.get("PELUIT_SERVICE_PLEDGE", "")
