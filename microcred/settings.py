"""Microcred settings. Every value that differs between machines comes from the environment;
the defaults are safe for production (DEBUG off, HTTPS on) and `.env.example` lists them all."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from core.env import celery_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
_INSECURE_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _INSECURE_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")

# Tenants are found by host name (tenants.middleware); Django's own host check comes first.
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", ".localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# HTTPS hardening: on by default, switched off only for plain-http local serving (make run).
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", HTTPS)
# Only behind a proxy that sets X-Forwarded-Proto itself; exposed directly, a client could fake it.
TRUST_X_FORWARDED_PROTO = env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUST_X_FORWARDED_PROTO else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.microsoft",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.apple",
    "core",
    "identity",
    "tenants",
    "learners",
    "catalog",
    "enrollment",
    "ledger",
    "promotions",
    "payments",
    "finance",
    "credentials",
    "oauth2_provider",
    "access",
    "sponsors",
    "webhooks",
    "demand",
]

MIDDLEWARE = [
    # First: load balancers call /healthz with any Host header, before host validation.
    "core.health.HealthzMiddleware",
    # Stripe's webhook by tenant slug (/payments/stripe/webhook/<slug>/), on any host.
    "payments.middleware.StripeWebhookMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tenants.middleware.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the tenant (its brand) and the user (the page's header); before any view.
    "core.input_guard.InputGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "microcred.urls"
WSGI_APPLICATION = "microcred.wsgi.application"

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
                "tenants.context_processors.tenant",
                "learners.context_processors.sign_in_brand",
            ],
        },
    },
]
FORM_RENDERER = "core.forms.Renderer"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/microcred"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "microcred"),
    }
}
# Anonymous public catalog pages are cached this long at most (0: not cached); any catalog
# change shows at once regardless (catalog.cache).
CATALOG_CACHE_SECONDS = env_int("CATALOG_CACHE_SECONDS", 60)

AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# People's passwords: Django's default hashers (the first hashes new ones). Last, and only for
# the relying parties' machine-made client secrets (DOT's CLIENT_SECRET_HASHER): a salted
# HMAC-SHA256 (access.hashers), never for people's passwords.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "access.hashers.ClientSecretHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The one host Django admin answers on (platform operators); every tenant host answers 404 there.
PLATFORM_HOST = env_str("PLATFORM_HOST", "127.0.0.1" if DEBUG else "").strip().lower()
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: the e-mail address is the identity. People sign in (and up) with a one-time
# code sent by e-mail; a password is optional. `learners` owns the sign-in pages and adapters.
ACCOUNT_ADAPTER = "learners.adapters.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "learners.forms.PasswordLoginForm",
    "reset_password": "learners.forms.ResetPasswordForm",
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = env_int("LOGIN_CODE_TIMEOUT_SECONDS", 10 * 60)
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
# A pending sign-in outlives its code, so an expired code can be told apart from a used one.
ACCOUNT_LOGIN_TIMEOUT = ACCOUNT_LOGIN_BY_CODE_TIMEOUT + 15 * 60
ACCOUNT_UNIQUE_EMAIL = True
# Our sign-in pages (learners.services.signin) and the password reset (learners.forms) answer
# known and unknown addresses alike. Left False for allauth itself so that a signed-in person
# adding an address someone else holds is told so on the page.
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
# Stored in the Django cache (Redis). Per IP and per address ("key" is the e-mail address).
ACCOUNT_RATE_LIMITS = {
    "request_login_code": env_str("LOGIN_CODE_RATE_LIMITS", "20/m/ip,3/m/key,10/h/key"),
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
}

# Tenant admins and finance must have an authenticator app before they reach staff pages.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Microcred")
# Accept the code of the 30-second step before and after too: phone clocks drift.
MFA_TOTP_TOLERANCE = 1
# One TOTP secret per set-up until it is confirmed (a reload keeps it).
MFA_FORMS = {"activate_totp": "learners.forms.ActivateTOTPForm"}

# Social sign-in: each tenant's admin configures its own providers (tenants.SocialProvider);
# the adapter serves them by request.tenant, so a button shows only where it is configured.
SOCIALACCOUNT_ADAPTER = "learners.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded logos are small; the app serves them itself unless a front server or CDN does.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Mail with an outbox row (enrollment messages, receipts, refund notices) is delivered by its
# worker with EMAIL_DELIVERY_BACKEND; any other mail goes through EMAIL_BACKEND, a Celery task
# that delivers it with EMAIL_DELIVERY_BACKEND, retrying while the mail server is down (core.mail).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "core.mail.QueuedEmailBackend")
EMAIL_DELIVERY_BACKEND = env_str("EMAIL_DELIVERY_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Microcred <no-reply@microcred.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in e-mails sent by jobs (no request to copy the address from) use the tenant's primary
# host name, the scheme from DJANGO_HTTPS and this port (empty: the scheme's default).
PUBLIC_PORT = env_str("PUBLIC_PORT", "")

# Celery: the broker and result store are the same Redis as the cache.
CELERY_BROKER_URL = celery_url(REDIS_URL)
CELERY_RESULT_BACKEND = celery_url(REDIS_URL)
CELERY_RESULT_EXPIRES = 3600
# Only the health check reads a result (microcred.ping says ignore_result=False). Any other task
# keeping one would cost every sender a subscription to its result channel, and Redis the key.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
# Tasks that live outside the apps' tasks.py: the e-mail task, the credential e-mails.
CELERY_IMPORTS = ["core.mail", "credentials.messages_tasks"]
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
# Webhook deliveries wait on the units' own servers (up to 3 s to connect, 10 s a read): they have
# a queue, and a worker, of their own (`-Q webhooks`), so a slow endpoint holds up nothing else.
CELERY_TASK_ROUTES = {"webhooks.*": {"queue": "webhooks"}}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Holds and wait-list offers that ran out expire and their seats are offered on; any
    # promotion left undone is done; stalled enrollment e-mails are sent again.
    "enrollment-expire-and-promote": {"task": "enrollment.expire_and_promote", "schedule": 60.0},
    # Reminders due (a held or offered seat about to expire, a course starting in 3 days): each
    # queued once ever, in the outbox the minute sweep above also resends from.
    "enrollment-remind-due": {"task": "enrollment.remind_due", "schedule": 300.0},
    # Stripe's payouts and balance transactions imported per tenant, then reconciled (finance).
    "finance-import-all": {"task": "finance.import_all", "schedule": 3600.0},
    "enrollment-purge-idempotency-records": {
        "task": "enrollment.purge_idempotency_records",
        "schedule": 3600.0,
    },
    # Stripe events stored but never applied (the broker was down at commit, a worker died) are
    # applied; paid orders' receipts and late refunds left undone are done.
    "payments-sweep": {"task": "payments.sweep", "schedule": 60.0},
    # Credential e-mails (issued, suspended, reinstated, revoked) the broker missed are sent.
    "credentials-messages-sweep": {"task": "credentials.messages_sweep", "schedule": 60.0},
    # E-mails telling learners of decisions on their prior learning, the broker missed.
    "credentials-recognition-messages-sweep": {
        "task": "credentials.recognition_messages_sweep",
        "schedule": 60.0,
    },
    # Completed enrollments whose credential job was lost (broker down at the time).
    "credentials-issue-due": {"task": "credentials.issue_due", "schedule": 300.0},
    # Stacks a lost job did not award (or revoke), and stacks published after their parts were done.
    "credentials-stacks-due": {"task": "credentials.stacks_due", "schedule": 600.0},
    # Course access whose grace period or window ended is taken out of the LMS; pending access a
    # lost job missed, and jobs that died holding a claim, are sent again (access.provisioning).
    "access-provisions-due": {"task": "access.provisions_due", "schedule": 60.0},
    # Paid pools whose card fee job was lost (the broker was down at the webhook).
    "sponsors-settle-due": {"task": "sponsors.settle_due", "schedule": 300.0},
    "sponsors-end-due": {"task": "sponsors.end_due", "schedule": 900.0},
    # Webhook deliveries due (a retry's time came, or the kick after commit was lost).
    "webhooks-sweep": {"task": "webhooks.sweep", "schedule": 60.0},
    # "Notify me": each waiting interest whose microcredential now has a run with a seat to take
    # (published, enrollment opened, a seat freed, capacity raised) is e-mailed once.
    "demand-notify-due": {"task": "demand.notify_due", "schedule": 60.0},
    # Searches that found nothing, counted in Redis by the catalog pages, added to the database.
    "demand-flush-search-misses": {"task": "demand.flush_search_misses", "schedule": 60.0},
    # Completions read back from every LMS and recorded through the completion service.
    "access-completions-poll": {"task": "access.completions_poll", "schedule": 900.0},
}
HEALTH_WORKER_TIMEOUT_SECONDS = env_int("HEALTH_WORKER_TIMEOUT_SECONDS", 3)

# Stripe: each tenant's keys are in payments.TenantStripeSettings. STRIPE_API_BASE points the SDK
# at the local Stripe (dev and tests; `make run` sets it); production leaves it empty (Stripe).
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "")
# Bulk refunds (an offering cancelled), per worker process: Stripe allows 100 requests/s in live
# mode, 25 in test mode; the refund job makes one or two.
REFUND_BULK_RATE = env_str("REFUND_BULK_RATE", "10/s")
# Dev only: a base address per tenant slug ("northfield=http://127.0.0.1:12111,harbor=…"), as
# `make run` gives each demo tenant a local Stripe (an account) of its own.
STRIPE_API_BASES = dict(item.split("=", 1) for item in env_list("STRIPE_API_BASES", []) if "=" in item)
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10)
# Fernet key for tenants' Stripe secrets at rest; empty: derived from SECRET_KEY.
PAYMENTS_SECRETS_KEY = env_str("PAYMENTS_SECRETS_KEY", "")
# Fernet key for credential signing keys at rest (credentials.services.keys); empty: from SECRET_KEY.
CREDENTIALS_SECRETS_KEY = env_str("CREDENTIALS_SECRETS_KEY", "")
# Fernet key for webhook endpoints' signing secrets at rest (webhooks.services); empty: from SECRET_KEY.
WEBHOOKS_SECRETS_KEY = env_str("WEBHOOKS_SECRETS_KEY", "")
# Webhook endpoints must be https:// (but for localhost) where the site itself is served over HTTPS.
WEBHOOKS_HTTPS_ONLY = env_bool("WEBHOOKS_HTTPS_ONLY", HTTPS)
# Whether an endpoint may be on a loopback, private or link-local address (the platform's own
# network: a metadata service, the database). Default: only where the site runs without HTTPS.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", not HTTPS)
# Fernet key for LMS tokens at rest (access.lms.factory); empty: derived from SECRET_KEY.
ACCESS_LMS_SECRETS_KEY = env_str("ACCESS_LMS_SECRETS_KEY", "")
# Every call to a unit's LMS gives up after this long (a retryable error).
ACCESS_LMS_TIMEOUT_SECONDS = env_int("ACCESS_LMS_TIMEOUT_SECONDS", 15)
# The processing fee estimated for a destination charge's application fee (Stripe's card price).
STRIPE_FEE_BASIS_POINTS = env_int("STRIPE_FEE_BASIS_POINTS", 290)
STRIPE_FEE_FIXED_MINOR = env_int("STRIPE_FEE_FIXED_MINOR", 30)

# The tenants' OpenID Connect provider (django-oauth-toolkit; access.services.oidc). Named here
# so that migrations resolve the swappable models.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
# Each tenant is its own issuer at its own host (access.provider): its site address, its own RS256
# keys (access.SigningKey, so no OIDC_RSA_PRIVATE_KEY here), its own relying parties.
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OAUTH2_VALIDATOR_CLASS": "access.provider.TenantValidator",
    "OAUTH2_BACKEND_CLASS": "access.provider.TenantOAuthLibCore",
    "CLIENT_SECRET_HASHER": "client_secret_hmac_sha256",  # access.hashers.ClientSecretHasher
    "SCOPES": {
        "openid": "Sign you in",
        "email": "Your e-mail address",
        "profile": "Your name",
        "enrollments": "Your enrollments (courses, roles, dates)",
        "entitlements": "What your enrollments give you access to (library, software, labs)",
    },
    "DEFAULT_SCOPES": ["openid"],
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,  # S256 only
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,  # never a token in the query string
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,  # `iss` on the redirect (the tenant's issuer)
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,  # tokens stored as checksums only
    "REFRESH_TOKEN_REUSE_PROTECTION": True,  # a replayed refresh token revokes its family
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 24 * 3600,
    "ROTATE_REFRESH_TOKEN": True,
    # Consent once per client and scopes (first-party clients never ask: skip_authorization).
    "REQUEST_APPROVAL_PROMPT": "auto",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if HTTPS else ["https", "http"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
}
# Fernet key for the tenants' ID-token keys at rest (access.services.keys); empty: from SECRET_KEY.
ACCESS_SECRETS_KEY = env_str("ACCESS_SECRETS_KEY", "")
# The key of learners' OIDC subjects (an HMAC of tenant and learner): it must never change once
# relying parties know the subjects. Empty: SECRET_KEY (so do not rotate SECRET_KEY without it).
ACCESS_SUBJECT_KEY = env_str("ACCESS_SUBJECT_KEY", "")
# A retired ID-token key stays in the tenant's JWKS this long (tokens it signed, RPs' caches).
ACCESS_RETIRED_KEY_SECONDS = env_int("ACCESS_RETIRED_KEY_SECONDS", 7 * 24 * 3600)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Microcred API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc come from drf-spectacular-sidecar's static files: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "EnrollmentStatusEnum": "enrollment.models.EnrollmentStatus",
        "OrderStatusEnum": "payments.models.OrderStatus",
        "OrderLineStatusEnum": "payments.models.LineStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
