"""Settings shared by every environment. Environment variables are documented in the README."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

from config.env import (
    celery_broker_url,
    database_pooler,
    database_settings,
    database_url,
    env_bool,
    env_list,
    public_url_parts,
    redis_url,
    redis_url_for_db,
)
from core.logs import logging_config

PROJECT_ROOT = Path(__file__).resolve().parents[3]

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-secret-key-change-me-in-production")
DEBUG = env_bool("DEBUG", False)

# The root domain serves the operator console; brand N is served on N.<ROOT_DOMAIN>.
ROOT_DOMAIN = os.environ.get("ROOT_DOMAIN", "localhost")
# Hosts are allow-listed by the Domain table: an unknown host is a 404 from the tenant
# middleware, so Django's own host check would only duplicate it (and break custom domains).
ALLOWED_HOSTS = ["*"]

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "channels",
    "core",
    "accounts",
    "graphql_schema",
    # Onboarding and the operator/demo commands (no models), on top of every app.
    "provisioning",
    # The web app's pages on every host (no models).
    "webapp",
]
# Everything a brand owns lives in its own schema. `accounts` is in both: operators in the
# public schema, a brand's users (and their sessions and API tokens) in the brand's schema.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "core",
    "accounts",
    "affiliation",
    "tracking",
    "ledger",
    "payouts",
    "notifications",
    "payments",
    "marketplace",
    "billing",
    "analytics",
    "support",
    "privacy",
    "webhooks",
    "kyc",
    "statements",
    "fraud",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New brands are cloned from this migrated, empty schema (see tenants.services.brand_provision).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# SET search_path once per schema change, not before every query (half the round trips).
TENANT_LIMIT_SET_CALLS = True
# migrate_schemas runs the schemas in parallel; see bench/migrate_schemas.py for the figures.
TENANT_MULTIPROCESSING_MAX_PROCESSES = int(os.environ.get("TENANT_MIGRATION_PROCESSES", "2"))
# ...and passes over the schemas that already have every migration (tenants.migration_executor).
GET_EXECUTOR_FUNCTION = "tenants.migration_executor.get_executor"

# DATABASE_POOLER=transaction: PostgreSQL is reached through PgBouncer's transaction pooling
# (README "Connection pooling"; core.pooled_postgresql).
DATABASE_POOLER = database_pooler()
DATABASES = {"default": database_settings(database_url(), pooler=DATABASE_POOLER)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = redis_url()
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": redis_url_for_db(REDIS_URL, 0),
        # Every cache key carries the schema of the current brand.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "afp"),
    }
}

CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
    "default": {
        # Redis pub/sub: a group send is one PUBLISH and delivery is pushed to the process,
        # where the list-based layer (channels_redis.core) costs a Lua script per send and
        # about four commands per message received. Measured with bench/live_latency.py (1,000
        # subscribers, 50 clicks/s, the machine fully loaded): p95 331 ms against 8.1 s. Live
        # messages are not kept while nobody listens: a (re)connecting subscription reads a
        # fresh snapshot first (core.live), and websockets re-check credentials every minute.
        "BACKEND": os.environ.get("CHANNEL_LAYER_BACKEND", "channels_redis.pubsub.RedisPubSubChannelLayer"),
        "CONFIG": {
            # redis-py times socket reads out after 5 s by default, as long as channels-redis's
            # blocking receive (BZPOPMIN, 5 s): under load the reply lands after the deadline and
            # the consumer dies (bench/live_latency.py). Reads get 15 s.
            "hosts": [{"address": redis_url_for_db(REDIS_URL, 1), "socket_timeout": 15}],
            "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "afp"),
            "capacity": 1000,
            "expiry": 30,
        },
    }
}

MIDDLEWARE = [
    # /healthz and /readyz on any host (a load balancer probes by IP): before the tenant
    # middleware, the HTTPS redirect and every rate limit (core.health).
    "core.health.HealthCheckMiddleware",
    # /metrics (bearer token, any host, before tenancy) and request counts and latencies.
    "core.metrics.MetricsMiddleware",
    # A request id on every log line and in the X-Request-ID response header (core.logs).
    "core.logs.RequestIdMiddleware",
    # The reverse proxy asks here before issuing a certificate on demand (tenants.tls).
    "tenants.tls.TlsAskMiddleware",
    # /.well-known/affiliate-verify/<token> on a claimed, not yet served custom domain (tenants.hosts).
    "tenants.hosts.DomainVerificationMiddleware",
    "django_tenants.middleware.main.TenantMainMiddleware",
    # A brand's blocked IPs get 403 before anything else runs (tenants.ipblocks).
    "tenants.ipblocks.IpBlockMiddleware",
    # Web pages redirect (301) to a primary custom domain; the API answers on every host.
    "tenants.hosts.CanonicalHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.security.PlatformCSPMiddleware",
    "core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.CommonMiddleware",  # APPEND_SLASH for reads only (see there)
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.AuditRequestMiddleware",  # IP + user agent of audit events (core.audit)
    "accounts.middleware.UserSessionMiddleware",  # session list: last seen, once a minute
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Security headers (core.security, README "Security headers"). Scripts and <style> elements
# run only with the request's nonce (webapp.pages and the playground template add it); no
# 'unsafe-inline', no 'unsafe-eval'. Style *attributes* are governed by style-src-attr, left to
# fall back on style-src: React sets `style={...}` through the CSSOM, which CSP does not govern,
# so the app needs no 'unsafe-inline' for them (the browser suite fails on any violation).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],  # + the storage origin (core.security)
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],  # + ws(s):// of the request's host (core.security)
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "frame-src": [NONE],
        "worker-src": [SELF, "blob:"],
        "manifest-src": [SELF],
        "report-uri": ["/csp-report/"],
        "report-to": "csp-endpoint",
    },
}
CSP_REPORT_MAX_BYTES = int(os.environ.get("CSP_REPORT_MAX_BYTES", str(16 * 1024)))
CSP_REPORT_RATE_LIMIT = int(os.environ.get("CSP_REPORT_RATE_LIMIT", "60"))  # reports a minute per IP
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope",
        "magnetometer", "microphone", "midi", "payment", "usb", "browsing-topics",
    )
)  # fmt: skip

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    }
]

ASGI_APPLICATION = "config.asgi.application"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_HEADER_NAME = "HTTP_X_CSRFTOKEN"

# Login throttling: failed logins per account and per client IP, over a sliding window.
LOGIN_RATE_LIMIT_PER_ACCOUNT = int(os.environ.get("LOGIN_RATE_LIMIT_PER_ACCOUNT", "5"))
LOGIN_RATE_LIMIT_PER_IP = int(os.environ.get("LOGIN_RATE_LIMIT_PER_IP", "20"))
LOGIN_RATE_LIMIT_WINDOW_SECONDS = int(os.environ.get("LOGIN_RATE_LIMIT_WINDOW_SECONDS", "900"))
MAGIC_LINK_TTL_SECONDS = 15 * 60
# GraphQL requests a minute over HTTP (graphql_schema.rate_limits), unless a brand sets its own.
API_RATE_LIMIT_PER_TOKEN = int(os.environ.get("API_RATE_LIMIT_PER_TOKEN", "600"))
API_RATE_LIMIT_PER_USER = int(os.environ.get("API_RATE_LIMIT_PER_USER", "600"))
API_RATE_LIMIT_PER_IP = int(os.environ.get("API_RATE_LIMIT_PER_IP", "300"))
# The proxies (addresses or networks, comma-separated) whose CLIENT_IP_HEADER is believed
# (core.clientip); from any other peer the header is ignored. None by default. A typo fails
# here, at start-up, not on every request.
TRUSTED_PROXIES = [
    str(ipaddress.ip_network(value.strip(), strict=False))
    for value in os.environ.get("TRUSTED_PROXIES", "").split(",")
    if value.strip()
]
# The header (Django's META spelling) a trusted proxy appends the client IP to.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "HTTP_X_FORWARDED_FOR")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = PROJECT_ROOT / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
# The playground's JavaScript and the web app (frontend/dist/playground, frontend/dist/app) are
# built from npm packages into frontend/dist, served under /static/.
STATICFILES_DIRS = [PROJECT_ROOT / "frontend" / "dist"]
# Where the web app's index.html and boot.graphql are (webapp.pages).
WEBAPP_DIST_DIR = PROJECT_ROOT / "frontend" / "dist" / "app"
WHITENOISE_USE_FINDERS = True
# Vite names every file it writes under app/assets/ name-<8-character content hash>.ext: such a
# name never changes content, so browsers may keep it a year without asking again
# ("max-age=315360000, public, immutable"; WhiteNoise's own test only knows the names of Django's
# manifest storage). Anything else under /static/ (the playground's files, app/index.html)
# keeps WhiteNoise's short max-age. The build writes brotli and gzip copies beside each asset
# (frontend/vite-plugins/precompress.ts): WhiteNoise sends the one the request accepts, with
# Vary: Accept-Encoding, whether it looks files up per request (DEBUG, `make run`) or indexes
# them at start-up (production, where collectstatic copies the siblings to STATIC_ROOT).
WHITENOISE_IMMUTABLE_FILE_TEST = r"^/static/app/assets/[^/]+-[A-Za-z0-9_-]{8}\.[a-z0-9]+$"

# Files (uploads, invoices): S3 when a bucket is configured, else local disk; keys are
# prefixed with the brand's schema either way (core.storage).
MEDIA_URL = "/media/"
MEDIA_ROOT = PROJECT_ROOT / "var" / "media"
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME", "us-east-1")
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = True  # private objects, reached through short-lived signed URLs
AWS_QUERYSTRING_EXPIRE = int(os.environ.get("AWS_QUERYSTRING_EXPIRE", "300"))
STORAGES = {
    "default": {
        "BACKEND": "core.storage.TenantS3Storage"
        if AWS_STORAGE_BUCKET_NAME
        else "core.storage.TenantFileSystemStorage",
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# The local mail inbox (/_dev/mail/): a folder of .eml files, set in local settings only.
DEV_MAIL_DIR: Path | None = None
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "no-reply@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))

# GraphQL protection and tooling.
GRAPHQL_MAX_DEPTH = int(os.environ.get("GRAPHQL_MAX_DEPTH", "10"))
GRAPHQL_MAX_TOKENS = int(os.environ.get("GRAPHQL_MAX_TOKENS", "5000"))
GRAPHQL_MAX_ALIASES = int(os.environ.get("GRAPHQL_MAX_ALIASES", "30"))
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", True)
# "on": everyone; "authenticated": signed-in users only; "off": never.
GRAPHQL_PLAYGROUND = os.environ.get("GRAPHQL_PLAYGROUND", "authenticated")
# Browser origins allowed to open websockets besides the brand's own domains.
WEBSOCKET_EXTRA_ORIGINS = env_list("WEBSOCKET_EXTRA_ORIGINS", [])

CELERY_BROKER_URL = celery_broker_url(REDIS_URL, 2)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# SIGTERM makes a worker finish its running tasks (warm shutdown). A task whose worker was killed
# before it acknowledged it (acks_late) goes back to the queue this long after it was taken: make
# it longer than any task runs (a still-running task would run twice). README "Operations".
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
}
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "default")
CELERY_BEAT_SCHEDULE = {
    "purge-expired-auth-artifacts": {
        "task": "accounts.tasks.purge_expired_auth_artifacts_task",
        "schedule": crontab(minute=17),
    },
    "release-due-commissions": {
        "task": "affiliation.tasks.release_due_commissions_task",
        "schedule": crontab(minute="*/10"),
    },
}

# Logs (core.logs): LOG_FORMAT "console" (readable; local and tests) or "json" (one object per
# line, the production default); every line carries the request id, brand schema and user id.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOG_REQUESTS = env_bool("LOG_REQUESTS", True)  # one line per request and per task
LOGGING = logging_config(
    log_format=os.environ.get("LOG_FORMAT", "console"), level=LOG_LEVEL, access_lines=LOG_REQUESTS
)
# Celery keeps Django's logging (the same formatter, the task's request id) instead of
# installing its own handlers on the root logger.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# How every URL the product emits (links, QR codes, emails, sitemap, Stripe return URLs) reaches a
# brand: <scheme>://<brand domain>[:<port>], built by tenants.selectors.brand_base_url only.
PUBLIC_URL_SCHEME, PUBLIC_URL_PORT = public_url_parts(default_scheme="https", default_port="")

# --- Messaging connectors (platform/notifications) -------------------------------------------
# The providers' API hosts; tests point them at local fakes.
TELEGRAM_API_BASE = os.environ.get("TELEGRAM_API_BASE", "https://api.telegram.org")
DISCORD_API_BASE = os.environ.get("DISCORD_API_BASE", "https://discord.com")
WHATSAPP_API_BASE = os.environ.get("WHATSAPP_API_BASE", "https://graph.facebook.com")
WHATSAPP_API_VERSION = os.environ.get("WHATSAPP_API_VERSION", "v21.0")
NOTIFICATIONS_HTTP_TIMEOUT = float(os.environ.get("NOTIFICATIONS_HTTP_TIMEOUT", "10"))
# Retries of a delivery on 429/5xx: at most this many, waiting what the provider asks or
# base * 2**attempt seconds (capped).
NOTIFICATIONS_MAX_RETRIES = int(os.environ.get("NOTIFICATIONS_MAX_RETRIES", "5"))
NOTIFICATIONS_RETRY_BASE_SECONDS = float(os.environ.get("NOTIFICATIONS_RETRY_BASE_SECONDS", "5"))
NOTIFICATIONS_RETRY_MAX_SECONDS = float(os.environ.get("NOTIFICATIONS_RETRY_MAX_SECONDS", "600"))
# The notification centre keeps read notifications this many days (unread ones stay).
NOTIFICATIONS_READ_RETENTION_DAYS = int(os.environ.get("NOTIFICATIONS_READ_RETENTION_DAYS", "180"))
# --- end of messaging connectors -------------------------------------------------------------

# --- Stripe (platform/billing) ---------------------------------------------------------------
# One Stripe account for the platform; objects carry metadata.brand and are routed back to their
# brand by tenants.StripeObjectRoute. STRIPE_API_BASE empty means Stripe's own API; `make run`
# and the tests point it at the local fake (tools/stripe_fake).
STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# Stripe Connect payouts: the signing secret of the Connect endpoint (events of the affiliates'
# connected accounts: account.updated, payout.failed), which Stripe keeps apart from the account
# endpoint's; the same URL serves both. Empty: Connect events are refused (400).
STRIPE_CONNECT_WEBHOOK_SECRET = os.environ.get("STRIPE_CONNECT_WEBHOOK_SECRET", "")
# Country of the affiliates' new Express accounts (ISO code); empty: the platform account's.
STRIPE_CONNECT_COUNTRY = os.environ.get("STRIPE_CONNECT_COUNTRY", "")
# How old a signed webhook may be (Stripe's default tolerance: replays beyond it are refused).
STRIPE_WEBHOOK_TOLERANCE_SECONDS = int(os.environ.get("STRIPE_WEBHOOK_TOLERANCE_SECONDS", "300"))
STRIPE_MAX_NETWORK_RETRIES = int(os.environ.get("STRIPE_MAX_NETWORK_RETRIES", "2"))
# Where Checkout and the customer portal send the payer back, on the brand's own host.
STRIPE_PORTAL_RETURN_PATH = os.environ.get("STRIPE_PORTAL_RETURN_PATH", "/billing")
STRIPE_CHECKOUT_SUCCESS_PATH = os.environ.get("STRIPE_CHECKOUT_SUCCESS_PATH", "/billing/success")
STRIPE_CHECKOUT_CANCEL_PATH = os.environ.get("STRIPE_CHECKOUT_CANCEL_PATH", "/billing/canceled")
# --- end of Stripe ---------------------------------------------------------------------------

# --- Payouts (platform/payouts) --------------------------------------------------------------
# PayPal Payouts: the platform's REST app (client id + secret); PAYPAL_API_BASE is
# https://api-m.paypal.com in production, https://api-m.sandbox.paypal.com for the sandbox, the
# local fake (tools/paypal_fake) under `make run` and the tests. PAYPAL_WEBHOOK_ID: the id PayPal
# gave the webhook registered at https://<root domain>/paypal/webhook/ (signature verification).
PAYPAL_CLIENT_ID = os.environ.get("PAYPAL_CLIENT_ID", "")
PAYPAL_CLIENT_SECRET = os.environ.get("PAYPAL_CLIENT_SECRET", "")
PAYPAL_API_BASE = os.environ.get("PAYPAL_API_BASE", "https://api-m.paypal.com")
PAYPAL_WEBHOOK_ID = os.environ.get("PAYPAL_WEBHOOK_ID", "")
PAYPAL_TIMEOUT_SECONDS = float(os.environ.get("PAYPAL_TIMEOUT_SECONDS", "20"))
PAYPAL_EMAIL_SUBJECT = os.environ.get("PAYPAL_EMAIL_SUBJECT", "You have a payout")
CELERY_BEAT_SCHEDULE["resume-payout-runs"] = {
    "task": "payouts.tasks.payout_runs_resume_task",
    "schedule": crontab(minute="*/10"),
}
# --- end of payouts --------------------------------------------------------------------------

# --- Click tracking (platform/tracking) ------------------------------------------------------
# Routes (host → brand, link code → target) and the click stream live in their own Redis
# database (0 cache, 1 channel layer, 2 Celery broker). Keys are prefixed with
# TRACKING_KEY_PREFIX, or the cache's KEY_PREFIX when it is empty.
TRACKING_REDIS_URL = os.environ.get("TRACKING_REDIS_URL") or redis_url_for_db(REDIS_URL, 3)
TRACKING_KEY_PREFIX = os.environ.get("TRACKING_KEY_PREFIX", "")
# A trusted proxy's header carrying the visitor's ISO country (e.g. cf-ipcountry); no lookup.
CLICK_COUNTRY_HEADER = os.environ.get("CLICK_COUNTRY_HEADER", "")
# Where the redirect lane writes clicks while Redis is unavailable (one file per process).
CLICK_FALLBACK_DIR = Path(os.environ.get("CLICK_FALLBACK_DIR") or PROJECT_ROOT / "var" / "clicks-fallback")
# In-process route caches of the lane: an archived link stops redirecting within this time.
CLICK_LINK_CACHE_SECONDS = float(os.environ.get("CLICK_LINK_CACHE_SECONDS", "5"))
CLICK_HOST_CACHE_SECONDS = float(os.environ.get("CLICK_HOST_CACHE_SECONDS", "30"))
# After a Redis failure the lane goes straight to the fallback file for this long.
CLICK_REDIS_RETRY_SECONDS = float(os.environ.get("CLICK_REDIS_RETRY_SECONDS", "1"))
# The drain (manage.py tracking_drain): consumer name (default: the host name), batch size,
# how long a read waits, when another consumer's unacknowledged entries are taken over, and
# how often live counters go to each channel-layer group.
CLICK_DRAIN_CONSUMER = os.environ.get("CLICK_DRAIN_CONSUMER", "")
CLICK_DRAIN_BATCH_SIZE = int(os.environ.get("CLICK_DRAIN_BATCH_SIZE", "2000"))
CLICK_DRAIN_BLOCK_MS = int(os.environ.get("CLICK_DRAIN_BLOCK_MS", "1000"))
CLICK_DRAIN_CLAIM_IDLE_SECONDS = int(os.environ.get("CLICK_DRAIN_CLAIM_IDLE_SECONDS", "60"))
CLICK_TICK_SECONDS = float(os.environ.get("CLICK_TICK_SECONDS", "1"))
# --- end of click tracking -------------------------------------------------------------------

# --- Checkout, manual payments and invoices (marketplace orders, billing payments) ------------
# Stock is reserved when an order is placed, until it is paid or the reservation runs out. A card
# payment happens while the customer waits (Stripe refuses Checkout sessions shorter than 30
# minutes, so a card reservation lasts at least 31, and its session expires with it); a bank
# transfer takes one to three business days to reach the brand's account, so its reservation
# spans a weekend. Orders whose payer has submitted the bank transaction id are not expired: they
# wait for a brand admin to confirm or reject the payment.
ORDER_RESERVATION_MINUTES = int(os.environ.get("ORDER_RESERVATION_MINUTES", "30"))
ORDER_BANK_TRANSFER_RESERVATION_HOURS = int(os.environ.get("ORDER_BANK_TRANSFER_RESERVATION_HOURS", "72"))
# Invoice downloads are presigned links valid this long, signed with Signature Version 4 (the
# only one S3 accepts in regions opened since 2014, and whose X-Amz-Expires S3 enforces).
INVOICE_LINK_SECONDS = int(os.environ.get("INVOICE_LINK_SECONDS", "300"))
AWS_S3_SIGNATURE_VERSION = os.environ.get("AWS_S3_SIGNATURE_VERSION", "s3v4")
CELERY_BEAT_SCHEDULE["expire-order-reservations"] = {
    "task": "marketplace.tasks.expire_reservations_task",
    "schedule": crontab(minute="*/5"),
}
# Failed plan payments: merchants whose grace period ran out fall back to the Free plan.
CELERY_BEAT_SCHEDULE["expire-plan-grace-periods"] = {
    "task": "billing.tasks.plan_grace_expire_task",
    "schedule": crontab(minute=23),
}
# --- end of checkout -----------------------------------------------------------------------

# --- Analytics (platform/analytics) ------------------------------------------------------------
# Hourly rollups are kept this many days (daily ones for good); the beacon POST /a/collect
# counts at most ANALYTICS_COLLECT_RATE_LIMIT page views per visitor per window.
ANALYTICS_HOURLY_RETENTION_DAYS = int(os.environ.get("ANALYTICS_HOURLY_RETENTION_DAYS", "30"))
ANALYTICS_COLLECT_RATE_LIMIT = int(os.environ.get("ANALYTICS_COLLECT_RATE_LIMIT", "60"))
ANALYTICS_COLLECT_RATE_WINDOW_SECONDS = int(os.environ.get("ANALYTICS_COLLECT_RATE_WINDOW_SECONDS", "60"))
CELERY_BEAT_SCHEDULE["purge-analytics"] = {
    "task": "analytics.tasks.analytics_purge_task",
    "schedule": crontab(minute=41, hour=3),
}
# --- end of analytics --------------------------------------------------------------------------

# --- Marketplace catalog (platform/marketplace) ----------------------------------------------
# Product images: the upload cap in bytes, and the pixel count read from the header before any
# decoding (a small file can declare a huge canvas: a decompression bomb).
MARKETPLACE_IMAGE_MAX_BYTES = int(os.environ.get("MARKETPLACE_IMAGE_MAX_BYTES", str(5 * 1024 * 1024)))
# 25 Mpx fits a 6000 x 4000 camera photo; decoding one takes seconds and ~100 MB (in the worker).
MARKETPLACE_IMAGE_MAX_PIXELS = int(os.environ.get("MARKETPLACE_IMAGE_MAX_PIXELS", "25000000"))
# Images of one merchant waiting for the worker at a time; more uploads are refused until they are done.
MARKETPLACE_IMAGE_MAX_PENDING = int(os.environ.get("MARKETPLACE_IMAGE_MAX_PENDING", "6"))
# KYC documents (platform/kyc): the upload cap (images and PDFs), read here as the multipart cap
# below covers it.
KYC_DOCUMENT_MAX_BYTES = int(os.environ.get("KYC_DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# Request bodies, capped in front of Django (core.request_limits): every body, and multipart ones
# (an image plus its form fields). Django's ASGI handler would spool any size to disk first. The
# default for every body is Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
REQUEST_BODY_MAX_BYTES = int(os.environ.get("REQUEST_BODY_MAX_BYTES", str(2_621_440)))
MULTIPART_BODY_MAX_BYTES = int(
    os.environ.get(
        "MULTIPART_BODY_MAX_BYTES",
        str(max(MARKETPLACE_IMAGE_MAX_BYTES, KYC_DOCUMENT_MAX_BYTES) + 1024 * 1024),
    )
)
# --- end of marketplace catalog --------------------------------------------------------------

# --- Health and readiness (core.health) ------------------------------------------------------
# Connect and read timeout of each /readyz check (Postgres, Redis, the Celery broker).
HEALTH_CHECK_TIMEOUT_SECONDS = float(os.environ.get("HEALTH_CHECK_TIMEOUT_SECONDS", "2"))
# /readyz answers from its last evaluation while it is younger than this (a flood of probes
# costs one evaluation per period per process).
HEALTH_READINESS_CACHE_SECONDS = float(os.environ.get("HEALTH_READINESS_CACHE_SECONDS", "2"))
# --- end of health and readiness -------------------------------------------------------------
# --- Privacy, GDPR (platform/privacy) -----------------------------------------------------------
# A user may ask for a copy of their data once per PRIVACY_EXPORT_INTERVAL_HOURS; the ZIP is kept
# PRIVACY_EXPORT_KEEP_DAYS in the brand's private storage and handed out by links valid
# PRIVACY_EXPORT_LINK_SECONDS (presigned on S3, signed on local disk).
PRIVACY_EXPORT_INTERVAL_HOURS = int(os.environ.get("PRIVACY_EXPORT_INTERVAL_HOURS", "24"))
PRIVACY_EXPORT_KEEP_DAYS = int(os.environ.get("PRIVACY_EXPORT_KEEP_DAYS", "7"))
PRIVACY_EXPORT_LINK_SECONDS = int(os.environ.get("PRIVACY_EXPORT_LINK_SECONDS", "300"))
CELERY_BEAT_SCHEDULE["privacy-erasures-due"] = {
    "task": "privacy.tasks.privacy_erasures_due_task",
    "schedule": crontab(minute=23),
}
CELERY_BEAT_SCHEDULE["privacy-retention"] = {
    "task": "privacy.tasks.privacy_retention_task",
    "schedule": crontab(minute=53, hour=4),
}
# --- end of privacy ------------------------------------------------------------------------------

# --- KYC (platform/kyc) ------------------------------------------------------------------------
# Documents: KYC_DOCUMENT_MAX_BYTES above; images are decoded up to this many pixels (re-encoded
# without their EXIF); reviewers' signed links to a document live this many seconds. The expiry
# watcher warns this many days before an ID or document expires.
KYC_DOCUMENT_MAX_PIXELS = int(os.environ.get("KYC_DOCUMENT_MAX_PIXELS", str(50_000_000)))
KYC_DOCUMENT_LINK_SECONDS = int(os.environ.get("KYC_DOCUMENT_LINK_SECONDS", "120"))
KYC_EXPIRY_WARNING_DAYS = int(os.environ.get("KYC_EXPIRY_WARNING_DAYS", "30"))
CELERY_BEAT_SCHEDULE["kyc-expiry"] = {
    "task": "kyc.tasks.kyc_expiry_task",
    "schedule": crontab(minute=17, hour=3),
}
CELERY_BEAT_SCHEDULE["kyc-retention"] = {
    "task": "kyc.tasks.kyc_retention_task",
    "schedule": crontab(minute=37, hour=4),
}
# --- end of KYC --------------------------------------------------------------------------------

# --- Domain events (platform/core/events) ------------------------------------------------------
# Dispatched events are kept this many days (webhook replays and delivery logs read them); the
# sweep re-dispatches events whose after-commit dispatch failed or never ran, every minute.
OUTBOX_RETENTION_DAYS = int(os.environ.get("OUTBOX_RETENTION_DAYS", "30"))
CELERY_BEAT_SCHEDULE["purge-notifications"] = {
    "task": "notifications.tasks.notifications_purge_task",
    "schedule": 24 * 3600.0,
}
CELERY_BEAT_SCHEDULE["sweep-event-outbox"] = {
    "task": "tenants.tasks.outbox_sweep_task",
    "schedule": 60.0,
}
# --- end of domain events ----------------------------------------------------------------------

# --- Outbound webhooks (platform/webhooks) -----------------------------------------------------
# Targets: https only and public addresses only (checked on save and on the resolved address at
# connect time), unless these say otherwise: true in local and test settings only.
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", False)
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
# Extra CA bundle to trust for receivers (empty: the system's, through certifi).
WEBHOOKS_CA_BUNDLE = os.environ.get("WEBHOOKS_CA_BUNDLE", "")
WEBHOOKS_CONNECT_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_CONNECT_TIMEOUT_SECONDS", "5"))
WEBHOOKS_TOTAL_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_TOTAL_TIMEOUT_SECONDS", "15"))
# Delays after the 1st, 2nd … failed attempt (the first attempt is immediate; the last delay
# repeats), as Standard Webhooks/Svix do: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h …, while
# within WEBHOOKS_RETRY_WINDOW_SECONDS of the event (3 days: 12 attempts), then given up.
WEBHOOKS_RETRY_SCHEDULE_SECONDS = [
    float(value)
    for value in env_list("WEBHOOKS_RETRY_SCHEDULE_SECONDS", ["5", "300", "1800", "7200", "18000", "36000"])
]
WEBHOOKS_RETRY_WINDOW_SECONDS = int(os.environ.get("WEBHOOKS_RETRY_WINDOW_SECONDS", str(3 * 24 * 3600)))
# Retries due within this many seconds are queued with a countdown; later ones by the sweep.
WEBHOOKS_RETRY_COUNTDOWN_MAX_SECONDS = int(os.environ.get("WEBHOOKS_RETRY_COUNTDOWN_MAX_SECONDS", "300"))
WEBHOOKS_SWEEP_GRACE_SECONDS = int(os.environ.get("WEBHOOKS_SWEEP_GRACE_SECONDS", "30"))
# An endpoint to which nothing was delivered for this long is disabled, and its admins emailed.
WEBHOOKS_DISABLE_AFTER_SECONDS = int(os.environ.get("WEBHOOKS_DISABLE_AFTER_SECONDS", str(3 * 24 * 3600)))
WEBHOOKS_DELIVERY_RETENTION_DAYS = int(os.environ.get("WEBHOOKS_DELIVERY_RETENTION_DAYS", "30"))
CELERY_BEAT_SCHEDULE["webhook-retry-sweep"] = {
    "task": "webhooks.tasks.webhook_retry_sweep_task",
    "schedule": 60.0,
}
# --- end of outbound webhooks ------------------------------------------------------------------

# --- Observability (core.logs, core.metrics, core.sentry; README "Operations") ------------------
# Errors go to Sentry only when SENTRY_DSN is set, scrubbed of personal data (core.sentry).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "production")
SENTRY_RELEASE = os.environ.get("SENTRY_RELEASE", "")
SENTRY_TRACES_SAMPLE_RATE = float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0"))
if SENTRY_DSN:
    from core.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
# /metrics (core.metrics): a 404 while METRICS_TOKEN is unset, else "Authorization: Bearer
# <METRICS_TOKEN>" or 401. The worker and the drain serve it on METRICS_PORT when set (0: off).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_PORT = int(os.environ.get("METRICS_PORT", "0"))
METRICS_ADDRESS = os.environ.get("METRICS_ADDRESS", "0.0.0.0")  # noqa: S104 (a container's port)
# Figures read from Redis and Postgres at scrape time (web process only), at most this often.
METRICS_COLLECT_CACHE_SECONDS = float(os.environ.get("METRICS_COLLECT_CACHE_SECONDS", "10"))
METRICS_COLLECTORS = [
    "tracking.metrics.ClickStreamCollector",
    "core.metrics.CeleryQueueCollector",
    "core.metrics.OutboxCollector",
]
# Per-brand series (failing outbox events): at most this many brands, the rest summed as "other".
METRICS_MAX_BRAND_LABELS = int(os.environ.get("METRICS_MAX_BRAND_LABELS", "50"))
# --- end of observability ----------------------------------------------------------------------

# --- Custom domains (tenants.custom_domains) ---------------------------------------------------
# A brand claims at most this many; a claim has CUSTOM_DOMAIN_PENDING_DAYS to be verified, and the
# beat re-checks pending claims every CUSTOM_DOMAIN_RECHECK_MINUTES. "Verify now" checks one
# domain at most once per CUSTOM_DOMAIN_CHECK_MIN_INTERVAL_SECONDS (each check sends a DNS query
# and an HTTP request out).
CUSTOM_DOMAINS_MAX_PER_BRAND = int(os.environ.get("CUSTOM_DOMAINS_MAX_PER_BRAND", "5"))
CUSTOM_DOMAIN_PENDING_DAYS = int(os.environ.get("CUSTOM_DOMAIN_PENDING_DAYS", "7"))
CUSTOM_DOMAIN_RECHECK_MINUTES = int(os.environ.get("CUSTOM_DOMAIN_RECHECK_MINUTES", "10"))
CUSTOM_DOMAIN_CHECK_MIN_INTERVAL_SECONDS = int(
    os.environ.get("CUSTOM_DOMAIN_CHECK_MIN_INTERVAL_SECONDS", "10")
)
CUSTOM_DOMAIN_CHECK_TIMEOUT_SECONDS = float(os.environ.get("CUSTOM_DOMAIN_CHECK_TIMEOUT_SECONDS", "5"))
# The name servers asked for the TXT record and the addresses (empty: the system's), their port,
# and the port of the HTTP check.
CUSTOM_DOMAIN_DNS_NAMESERVERS = env_list("CUSTOM_DOMAIN_DNS_NAMESERVERS", [])
CUSTOM_DOMAIN_DNS_PORT = int(os.environ.get("CUSTOM_DOMAIN_DNS_PORT", "53"))
CUSTOM_DOMAIN_HTTP_PORT = int(os.environ.get("CUSTOM_DOMAIN_HTTP_PORT", "80"))
# Networks the HTTP check may connect to besides public addresses (none: loopback, private and
# link-local addresses are refused, tenants.domain_checks).
CUSTOM_DOMAIN_FETCH_ALLOWED_NETWORKS = env_list("CUSTOM_DOMAIN_FETCH_ALLOWED_NETWORKS", [])
# What admins are told to point their domain at (a CNAME); empty: the brand's own subdomain host.
CUSTOM_DOMAIN_CNAME_TARGET = os.environ.get("CUSTOM_DOMAIN_CNAME_TARGET", "")
CELERY_BEAT_SCHEDULE["recheck-custom-domains"] = {
    "task": "tenants.tasks.custom_domains_recheck_task",
    "schedule": crontab(minute="*/5"),
}
# --- end of custom domains ---------------------------------------------------------------------

# --- Statements and self-billing (platform/statements) ------------------------------------------
# Download links of statements and self-billing invoices live this long (presigned or signed).
STATEMENT_LINK_SECONDS = int(os.environ.get("STATEMENT_LINK_SECONDS", "300"))
# On the 1st of each month (UTC), last month's statements in every brand, generated and emailed.
CELERY_BEAT_SCHEDULE["monthly-statements"] = {
    "task": "statements.tasks.monthly_statements_task",
    "schedule": crontab(minute=23, hour=2, day_of_month=1),
}
# --- end of statements ---------------------------------------------------------------------------
