"""Settings for `make bench`: the product's production settings, plus the libraries that the
benchmark compares against (installed only for it) and the views that serve as the floor."""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-" + "k" * 60)
os.environ.setdefault("PORTAL_DOMAIN", "portal.localhost")
os.environ.setdefault("CONN_MAX_AGE", "600")

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework.authtoken", "knox", "rest_framework_api_key"]
ROOT_URLCONF = "bench.urls"
# Plain HTTP on loopback: no redirect to HTTPS, which every variant would otherwise answer.
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = [".portal.localhost", "portal.localhost", "testserver", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # seeding 10,000 users
# The benchmarks send thousands of requests a minute for one tenant: they measure the token
# check and the queries, not the per-tenant throttle (which would answer 429).
API_THROTTLE_PER_MINUTE = 0
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "ERROR"}}
# No collectstatic before a benchmark: static URLs without the manifest.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
