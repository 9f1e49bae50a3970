"""When a part the portal depends on falters: Redis refused or hanging, PostgreSQL refused or
hanging, requests that gunicorn answers itself, unknown API paths under DEBUG. The answer is
a clear 503 (or the documented fallback), never a 500 or a hung worker; under /api/ every
error is JSON with a `detail`."""

import json
import socket

import pytest
from django.core.cache import caches

from accounts.roles import Role
from tests.factories import make_user
from tests.servers import BlackHole, free_port, gunicorn, http_get
from tokens import keys

CONTOSO = "contoso.us2.portal.test"


def resilient_cache(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2, "retry_seconds": 60},
        }
    }


@pytest.fixture
def hanging_redis():
    server = BlackHole()
    yield server
    server.close()


@pytest.fixture(params=["refused", "hanging"])
def broken_redis(request, settings, hanging_redis):
    """The shared cache, out of reach: nothing listens on its port, or a server accepts and
    never answers."""
    port = free_port() if request.param == "refused" else hanging_redis.port
    settings.CACHES = resilient_cache(f"redis://127.0.0.1:{port}/0")
    return hanging_redis


def test_with_redis_out_of_reach_the_throttle_counts_in_the_process(
    token_client, settings, broken_redis, throttle_clock
):
    settings.API_THROTTLE_PER_MINUTE = 3
    client = token_client(Role.SECURITY_READER)

    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert caches["default"].available is False
    # A hung Redis was tried once; the process then left it alone for the retry interval.
    assert broken_redis.accepted in {0, 1}


def test_with_redis_out_of_reach_entra_tokens_still_verify(api_client, entra, broken_redis):
    from tests.integration.test_entra_bearer import app_token, bearer, keys_fetches

    statuses = [
        api_client.get("/api/v1/me/", **bearer(app_token(entra))).status_code for _ in range(3)
    ]

    assert statuses == [200, 200, 200]
    assert keys_fetches(entra) == 1  # kept in the process's memory meanwhile


def test_with_redis_out_of_reach_local_sign_in_works_and_failures_are_still_limited(
    client, tenant, broken_redis
):
    make_user(
        tenant, Role.GLOBAL_ADMIN, username="breakglass@contoso.com", password="pw-Right-2026!"
    )

    signed_in = client.post(
        "/accounts/login/",
        {"login": "breakglass@contoso.com", "password": "pw-Right-2026!"},
        HTTP_HOST=CONTOSO,
    )
    client.logout()
    failures = [
        client.post(
            "/accounts/login/",
            {"login": "breakglass@contoso.com", "password": "wrong"},
            HTTP_HOST=CONTOSO,
        ).status_code
        for _ in range(5)
    ]
    locked = client.post(
        "/accounts/login/",
        {"login": "breakglass@contoso.com", "password": "pw-Right-2026!"},
        HTTP_HOST=CONTOSO,
    )

    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")
    assert failures == [200] * 5  # the form again, with its error
    # 5 failures in 5 minutes for one user name: even the right password waits now.
    assert locked.status_code == 200
    assert "Too many failed login attempts" in locked.content.decode()


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture(params=["refused", "hanging"])
def database_out_of_reach(request):
    """An app server whose PostgreSQL refuses connections, or accepts and never answers."""
    hole = BlackHole()
    port = free_port() if request.param == "refused" else hole.port
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "test-" * 12,
        "PORTAL_DOMAIN": "portal.test",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/portal",
        "DB_CONNECT_TIMEOUT": "1",
    }
    with gunicorn(env) as base:
        yield base
    hole.close()


def fetch(base: str, path: str, host: str, **headers) -> tuple[int, dict, bytes]:
    return http_get(base + path, Host=host, **headers)


def test_with_the_database_out_of_reach_the_api_is_a_json_503(database_out_of_reach):
    token = keys.generate("api")  # well-formed: only the database can say it is unknown

    status, headers, body = fetch(
        database_out_of_reach, "/api/v1/alerts/", CONTOSO, Authorization=f"Token {token}"
    )

    assert status == 503
    assert headers["Content-Type"] == "application/json"
    assert headers["Retry-After"] == "5"
    assert json.loads(body) == {
        "detail": "The service is temporarily unavailable; try again shortly.",
        "request_id": headers["X-Request-ID"],
    }


def test_with_the_database_out_of_reach_a_page_says_so(database_out_of_reach):
    status, headers, body = fetch(
        database_out_of_reach, "/settings/security-extensions/api-tokens/", CONTOSO
    )

    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert b"The portal is temporarily unavailable" in body


# --- errors gunicorn writes itself, and DEBUG's pages -------------------------------------------


@pytest.fixture(scope="module")
def app_server():
    env = {"DEBUG": "1", "PORTAL_DOMAIN": "portal.test"}
    with gunicorn(env) as base:
        yield int(base.rsplit(":", 1)[1])


def raw_request(port: int, data: bytes) -> tuple[str, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return lines[0], headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status_line"),
    [
        (
            b"GET /api/v1/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            "HTTP/1.1 414 URI Too Long",
        ),
        (
            b"GET /api/v1/me/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
            "HTTP/1.1 431 Request Header Fields Too Large",
        ),
        (
            b"GET /api/v1/me/ HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 120 + b"\r\n",
            "HTTP/1.1 431 Request Header Fields Too Large",
        ),
        (b"G\x01T /api/v1/me/ HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 Bad Request"),
    ],
    ids=["url-too-long", "header-too-long", "too-many-headers", "bad-method"],
)
def test_errors_gunicorn_writes_itself_are_json(app_server, request_bytes, status_line):
    status, headers, body = raw_request(app_server, request_bytes)

    assert status == status_line
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["detail"].startswith(status_line.split(" ", 2)[2])


def test_unknown_api_paths_are_json_even_under_debug(api_client, settings):
    settings.DEBUG = True

    response = api_client.get("/api/v1/no-such-thing/", HTTP_HOST=CONTOSO)
    page = api_client.get("/no-such-page/", HTTP_ACCEPT="text/html")

    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json() == {"detail": "Not Found"}
    assert page["Content-Type"].startswith("text/html")
