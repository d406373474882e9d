"""Settings for the test suite: the real settings, with the few things tests must not need."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-only-for-the-test-suite-0123456789")
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("CACHE_KEY_PREFIX", "microcred-test")

from microcred.settings import *  # noqa: F403
from microcred.settings import STORAGES

# No collectstatic before tests: plain storage, files found by the finders.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "access.hashers.ClientSecretHasher"]
# Both ways out (core.mail) land in django.core.mail.outbox.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
ALLOWED_HOSTS = [".test", ".localhost", "localhost", "127.0.0.1", "testserver"]
PLATFORM_HOST = "platform.test"
