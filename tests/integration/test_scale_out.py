"""Two app servers, one PostgreSQL, one Redis: nothing that decides whether a token is valid
lives in a server process, so a revocation or a deprovisioning made through one holds on the
other from the next request; and the per-tenant throttle counts the requests of both."""

import json
import os
import time
import urllib.error
import urllib.request
from contextlib import ExitStack

import pytest
from django.db import connection

from conftest import skip_or_fail
from tests.factories import make_token
from tests.servers import gunicorn


def call(base: str, method: str, path: str, value: str) -> int:
    request = urllib.request.Request(  # noqa: S310 (our own servers on loopback)
        base + path,
        method=method,
        headers={"Authorization": f"Token {value}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        json.loads(error.read() or b"{}")
        return error.code


THROTTLE = 8  # requests a minute per tenant, for these servers
REDIS_URL = "redis://127.0.0.1:6379/15"  # a database of its own, emptied for each test


@pytest.fixture
def shared_cache():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.flushdb()
    except Exception as error:
        skip_or_fail(f"Redis is not reachable at {REDIS_URL}: {error}")
    yield client
    client.flushdb()


@pytest.fixture
def two_servers(transactional_db, shared_cache):
    """Two gunicorn processes on the test database, each with persistent connections, sharing
    one Redis cache."""
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CONN_MAX_AGE": "600",
        "DEBUG": "1",
        "REDIS_URL": REDIS_URL,
        "API_THROTTLE_PER_MINUTE": str(THROTTLE),
    }
    with ExitStack() as stack:
        yield [stack.enter_context(gunicorn(env)) for _ in range(2)]


@pytest.mark.postgres
def test_revocation_through_one_server_holds_on_the_other(two_servers, reader):
    first, second = two_servers
    token, value = make_token(reader)

    before = [call(first, "GET", "/api/v1/me/", value), call(second, "GET", "/api/v1/me/", value)]
    revoked = call(first, "DELETE", f"/api/v1/tokens/{token.pk}/", value)
    after = [call(second, "GET", "/api/v1/me/", value), call(first, "GET", "/api/v1/me/", value)]

    assert before == [200, 200]
    assert revoked == 204
    assert after == [401, 401]


@pytest.mark.postgres
def test_deprovisioning_through_one_server_holds_on_the_other(two_servers, admin_user, reader):
    first, second = two_servers
    _, admin_value = make_token(admin_user)
    _, reader_value = make_token(reader)

    before = call(second, "GET", "/api/v1/me/", reader_value)
    gone = call(first, "POST", f"/api/v1/users/{reader.pk}/deprovision/", admin_value)
    after = call(second, "GET", "/api/v1/me/", reader_value)

    assert (before, gone, after) == (200, 200, 403)


@pytest.mark.postgres
def test_the_throttle_counts_both_servers_requests_together(two_servers, reader):
    first, second = two_servers
    _, value = make_token(reader)
    if 60 - time.time() % 60 < 5:  # keep all the calls in one minute
        time.sleep(60 - time.time() % 60 + 0.1)

    statuses = [
        call((first, second)[i % 2], "GET", "/api/v1/me/", value) for i in range(THROTTLE + 1)
    ]

    assert statuses == [200] * THROTTLE + [429]


def report(base: str, ip: str) -> int:
    request = urllib.request.Request(  # noqa: S310 (our own servers on loopback)
        base + "/api/v1/credentials/revoke/",
        method="POST",
        data=json.dumps({"credentials": ["not-a-token"]}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": ip},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.postgres
def test_the_public_report_limit_per_address_counts_both_servers(transactional_db, shared_cache):
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "1",
        "REDIS_URL": REDIS_URL,
        "CREDENTIAL_REPORTS_PER_HOUR": "6",
        "TRUSTED_PROXY_COUNT": "1",
    }
    if 3600 - time.time() % 3600 < 10:  # keep all the calls in one hour
        time.sleep(3600 - time.time() % 3600 + 0.1)
    with ExitStack() as stack:
        first, second = (stack.enter_context(gunicorn(env)) for _ in range(2))

        mine = [report((first, second)[i % 2], "203.0.113.77") for i in range(7)]
        another = report(second, "198.51.100.4")

    assert mine == [202] * 6 + [429]
    assert another == 202
