import json
import os
import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.roles import Role
from core.health import ANSWERED_FIRST
from tests.factories import make_tenant, make_user

IN_CI = bool(os.environ.get("CI"))


def _error_body_quoting_its_request(client, response, **extra):
    """Every API error body carries the request's id, the one in its X-Request-ID header
    (core/requestlog.py): checked here for every response a test client parses, and taken
    out, so that each test's expected body shows what is particular to it."""
    if response.streaming and not hasattr(response, "_json"):
        # A streamed answer (the data API's bulk path) is read once, as a client reads it.
        response._json = json.loads(b"".join(response.streaming_content), **extra)
    body = _parse_json(client, response, **extra)  # parsed once, then kept on the response
    if getattr(response, "request_id_checked", False):
        return body
    response.request_id_checked = True
    # Health checks and metrics are answered before requests get an id (core/health.py).
    is_api_error = (
        response.wsgi_request.path not in ANSWERED_FIRST
        and response.status_code >= 400
        and response.get("Content-Type") == "application/json"
    )
    if is_api_error and isinstance(body, dict) and "detail" in body:
        quoted = body.pop("request_id", None)
        assert quoted == response["X-Request-ID"], body  # noqa: S101 (a check of every test)
    return body


# Django's test client parses JSON in _parse_json (not in django-stubs, hence the ignores).
_parse_json = Client._parse_json  # type: ignore[attr-defined]
Client._parse_json = _error_body_quoting_its_request  # type: ignore[attr-defined]  # APIClient's too
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` belong to the PostgreSQL run (`DATABASE_URL=postgres://...`);
    the SQLite run leaves them out, and says so, rather than skipping them."""
    if ON_POSTGRES:
        return
    left_out = [item for item in items if item.get_closest_marker("postgres")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]
        config._postgres_left_out = len(left_out)


def pytest_terminal_summary(terminalreporter, config):
    if left_out := getattr(config, "_postgres_left_out", 0):
        terminalreporter.write_line(
            f"{left_out} PostgreSQL test(s) left out: DATABASE_URL does not point at PostgreSQL"
        )


def skip_or_fail(reason: str) -> None:
    """Skips locally with the reason; in CI a skip would hide a missing part, so it fails."""
    if IN_CI:
        pytest.fail(f"{reason} (CI runs every test: a skip here is a failure)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _portal_domain(settings):
    # Tests talk to the generic portal at `testserver` and to tenants at
    # {slug}.{region}.portal.test, whatever PORTAL_DOMAIN the shell has.
    settings.PORTAL_DOMAIN = "portal.test"
    settings.PORTAL_SCHEME = "https"
    settings.ALLOWED_HOSTS = [".portal.test", "portal.test", "testserver", "localhost", "127.0.0.1"]
    # Hashing test passwords the slow, safe way would only slow the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The per-tenant API throttle is off unless a test is about it (tests/integration/
    # test_throttling.py turns it on): a suite makes far more than 30 calls a minute.
    settings.API_THROTTLE_PER_MINUTE = 0
    # Each use of a token reaches the cache with its request (tests/unit/test_usage_tally.py
    # is about adding them up first).
    settings.TOKEN_USAGE_FLUSH_SECONDS = 0
    # Failed-login counters and cached key sets belong to the test that made them.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def tenant(db):
    """Contoso-like tenant at contoso.us2.portal.test."""
    return make_tenant(name="Contoso", slug="contoso", region="us2")


@pytest.fixture
def other_tenant(db):
    """A second tenant, to prove that nothing crosses over."""
    return make_tenant(name="Fabrikam", slug="fabrikam", region="eu2")


@pytest.fixture
def admin_user(tenant):
    """A full admin: sees and revokes every API token of the tenant."""
    return make_user(tenant, Role.GLOBAL_ADMIN, username="admin@contoso.com")


@pytest.fixture
def reader(tenant):
    """A security reader: reads, never alters, sees only their own tokens."""
    return make_user(tenant, Role.SECURITY_READER, username="reader@contoso.com")


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback, and the portal sending to it; yields its Inbox."""
    from tests.servers import smtp_mailers, smtp_server

    with smtp_server() as (inbox, port):
        settings.MAILERS = smtp_mailers(port)
        settings.DEFAULT_FROM_EMAIL = "portal@contoso.test"
        yield inbox


@pytest.fixture
def api_client():
    """DRF's client, asking for JSON so that errors come back as JSON bodies."""
    return APIClient(HTTP_ACCEPT="application/json")


@pytest.fixture(scope="session")
def fake_entra_server():
    """One local fake Entra ID for the whole run: real HTTP, keys made at start-up."""
    from demo.fake_entra import FakeEntra

    server = FakeEntra().start()
    yield server
    server.stop()


PORTAL_CLIENT_ID = "11111111-2222-4333-8444-555555555555"
PORTAL_CLIENT_SECRET = "portal-client-secret"  # noqa: S105 (the fake Entra's)


@pytest.fixture
def entra_settings(fake_entra_server, settings):
    """The portal wired to the fake Entra, whose accounts and clients are reset for each test
    (the signing key is kept)."""
    from django.core.cache import cache

    from accounts.entra import JWKS_CACHE_KEY

    fake = fake_entra_server
    fake.accounts.clear()
    fake.clients.clear()
    fake.requests.clear()
    fake.keys_delay = 0.0
    fake.add_client(PORTAL_CLIENT_ID, PORTAL_CLIENT_SECRET, name="Portal")
    settings.ENTRA_CLIENT_ID = settings.SOCIAL_AUTH_ENTRA_KEY = PORTAL_CLIENT_ID
    settings.ENTRA_CLIENT_SECRET = settings.SOCIAL_AUTH_ENTRA_SECRET = PORTAL_CLIENT_SECRET
    settings.ENTRA_API_APP_ID = PORTAL_CLIENT_ID
    settings.ENTRA_API_APP_ID_URI = ""
    settings.ENTRA_AUTHORITY = fake.url
    settings.ENTRA_V1_ISSUER = fake.v1_issuer_template
    settings.ENTRA_JWKS_URL = f"{fake.url}/common/discovery/v2.0/keys"
    # The sign-in form posts to us and is redirected on to Entra: CSP's form-action names it.
    settings.SECURE_CSP = {**settings.SECURE_CSP, "form-action": ["'self'", fake.url]}
    cache.delete(JWKS_CACHE_KEY.format(url=settings.ENTRA_JWKS_URL))
    return fake


@pytest.fixture
def entra(entra_settings, tenant):
    """The fake Entra, with Contoso connected to a directory of its own (entra.tid)."""
    tenant.entra_tenant_id = uuid.uuid4()
    tenant.save()
    entra_settings.tid = str(tenant.entra_tenant_id)
    return entra_settings
