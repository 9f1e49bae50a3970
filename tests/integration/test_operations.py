"""What an operator follows: request ids, one log line per request, and Prometheus metrics
(core/requestlog.py, core/metrics.py, config/logging.py); over real HTTP against gunicorn
with several workers, the metrics summed across them."""

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import time
from contextlib import ExitStack
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from config.logging import JsonFormatter
from conftest import skip_or_fail
from core import metrics
from tests.factories import make_token
from tests.integration.test_partial_failures import resilient_cache
from tests.servers import free_port, gunicorn, http_get
from tokens import keys
from tokens.outbox import deliver_soon, notice_queue

CONTOSO = {"HTTP_HOST": "contoso.us2.portal.test"}
HEX32 = re.compile(r"[0-9a-f]{32}")


def request_lines(caplog) -> list[dict]:
    return [r.request_fields for r in caplog.records if r.name == "portal.request"]


# --- request ids ------------------------------------------------------------------------------


def test_every_answer_has_a_request_id_and_an_error_quotes_it(api_client, db):
    answer = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token nonsense", **CONTOSO)

    assert answer.status_code == 401
    assert HEX32.fullmatch(answer["X-Request-ID"])
    assert json.loads(answer.content) == {
        "detail": "Invalid token",
        "request_id": answer["X-Request-ID"],
    }
    page = api_client.get("/accounts/login/", **CONTOSO)
    assert HEX32.fullmatch(page["X-Request-ID"])
    assert page["X-Request-ID"] != answer["X-Request-ID"]


def test_a_clients_own_request_id_is_not_taken_without_a_trusted_proxy(api_client, db):
    answer = api_client.get("/api/v1/me/", HTTP_X_REQUEST_ID="forged-id-1", **CONTOSO)

    assert HEX32.fullmatch(answer["X-Request-ID"])


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("lb-7f3a9c01-4e2b", True),
        ("Root=1-67891233-abcdef012345678912345678", True),
        ("two words", False),
        ("x" * 129, False),
        ("ünïcode", False),
    ],
)
def test_a_trusted_proxys_request_id_is_taken_when_it_is_a_plain_token(
    api_client, db, settings, sent, kept
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    answer = api_client.get("/api/v1/me/", HTTP_X_REQUEST_ID=sent, **CONTOSO)

    assert (answer["X-Request-ID"] == sent) is kept
    if not kept:
        assert HEX32.fullmatch(answer["X-Request-ID"])


# --- one line per request ---------------------------------------------------------------------


def test_a_request_line_says_who_called_what_and_never_the_value(api_client, reader, caplog):
    token, value = make_token(reader)
    caplog.set_level(logging.INFO, logger="portal.request")

    answer = api_client.get(
        f"/api/v1/tokens/{token.pk}/",
        HTTP_AUTHORIZATION=f"Token {value}",
        REMOTE_ADDR="198.51.100.4",
        **CONTOSO,
    )

    assert answer.status_code == 200
    [line] = request_lines(caplog)
    assert line == {
        "request_id": answer["X-Request-ID"],
        "method": "GET",
        "route": "/api/v1/tokens/<str:token_id>/",
        "status": 200,
        "duration_ms": line["duration_ms"],
        "tenant": "contoso.us2",
        "client_ip": "198.51.100.4",
        "token_id": token.pk,
        "token_kind": "api",
    }
    assert isinstance(line["duration_ms"], float)
    assert all(value not in r.getMessage() for r in caplog.records)


def test_the_client_address_is_the_one_the_trusted_proxy_reports(api_client, db, settings, caplog):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    caplog.set_level(logging.INFO, logger="portal.request")

    api_client.get(
        "/api/v1/me/",
        HTTP_X_FORWARDED_FOR="203.0.113.9, 192.0.2.77",
        REMOTE_ADDR="10.0.0.2",
        **CONTOSO,
    )

    assert request_lines(caplog)[0]["client_ip"] == "192.0.2.77"


def test_in_json_each_request_is_one_object_with_its_fields(api_client, db, caplog):
    caplog.set_level(logging.INFO, logger="portal.request")

    api_client.get("/api/v1/nothing-here/", **CONTOSO)

    [record] = [r for r in caplog.records if r.name == "portal.request"]
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "INFO"
    assert line["logger"] == "portal.request"
    assert line["message"].startswith("GET (no route) 404 ")
    assert (line["route"], line["status"], line["tenant"]) == (None, 404, "contoso.us2")
    assert "token_id" not in line


def test_health_checks_are_not_logged_as_requests(client, db, caplog):
    caplog.set_level(logging.INFO, logger="portal.request")

    client.get("/healthz")
    client.get("/readyz")

    assert request_lines(caplog) == []


# --- metrics ----------------------------------------------------------------------------------


def samples(text: str) -> dict[tuple, float]:
    """{(name, (label, value), ...): value} of a Prometheus text exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, *sorted(sample.labels.items()))] = sample.value
    return found


def scrape(client, **extra) -> dict[tuple, float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


def test_metrics_are_served_to_the_allowed_addresses_only(client, db, settings):
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.5")
    settings.METRICS_ALLOWED_IPS = ["203.0.113.0/24"]
    allowed = client.get("/metrics", REMOTE_ADDR="203.0.113.5")

    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Metrics are served to the addresses in METRICS_ALLOWED_IPS only."
    }
    assert allowed.status_code == 200


def test_metrics_count_requests_token_checks_and_what_waits(api_client, client, reader):
    token, value = make_token(reader)
    route = ("route", "/api/v1/me/")
    me_ok = ("portal_requests_total", ("method", "GET"), route, ("status", "200"))
    accepted = ("portal_token_checks_total", ("outcome", "accepted"))
    invalid = ("portal_token_checks_total", ("outcome", "invalid"))
    before = scrape(client)

    for _ in range(3):
        api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}", **CONTOSO)
    api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {keys.generate('api')}", **CONTOSO)
    notice_queue(
        tenant_id=reader.tenant_id,
        token=token,
        kind="exposed",
        to="reader@contoso.com",
        subject="S",
        body="B",
    )
    deliver_soon()  # as the commit would: one delivery waits in the queue
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(seconds=90))
    after = scrape(client)

    assert after[me_ok] - before.get(me_ok, 0) == 3
    assert after[accepted] - before.get(accepted, 0) == 3
    assert after[invalid] - before.get(invalid, 0) == 1
    assert after[("portal_notices_waiting",)] == 1
    assert after[("portal_tasks_waiting",)] == 1
    assert 90 <= after[("portal_task_oldest_waiting_seconds",)] < 3600


@pytest.fixture
def own_redis():
    """A Redis server of this test's own, which it can stop and start again."""
    if shutil.which("redis-server") is None:
        skip_or_fail("redis-server is not installed")
    port = free_port()
    command = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]

    def start():
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return process
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    server = {"port": port, "process": start(), "start": start}
    yield server
    server["process"].terminate()
    server["process"].wait()


def test_the_cache_fallback_is_in_the_metrics_while_in_force(client, db, settings, own_redis):
    cache_fallback = ("portal_fallback_in_force", ("dependency", "cache"))
    settings.CACHES = resilient_cache(f"redis://127.0.0.1:{own_redis['port']}/0")
    settings.CACHES["default"]["OPTIONS"]["retry_seconds"] = 0  # try Redis at every call
    cache = caches["default"]
    metrics.fallback("cache", False)  # as a fresh process: earlier tests' caches failed here
    cache.set("greeting", "hello")
    answering = scrape(client)[cache_fallback]

    own_redis["process"].terminate()
    own_redis["process"].wait()
    cache.set("greeting", "kept in the process")  # Redis gone: the process's memory
    fallen_back = scrape(client)[cache_fallback]

    own_redis["process"] = own_redis["start"]()
    back = cache.get("greeting")  # Redis again (empty: it kept nothing)
    recovered = scrape(client)[cache_fallback]

    assert (answering, fallen_back, recovered) == (0, 1, 0)
    assert back is None


# --- over real HTTP: gunicorn with several workers -------------------------------------------


def call(base: str, path: str, **headers) -> tuple[int, dict, bytes]:
    return http_get(base + path, **headers)


@pytest.mark.postgres
def test_under_gunicorn_the_metrics_add_up_every_workers_requests_and_each_is_one_json_line(
    transactional_db, reader, tmp_path
):
    """12 requests with a token, 4 with an unknown one, spread by gunicorn over 3 workers;
    whichever worker answers /metrics says 12 and 4. Behind the trusted proxy, its request
    id comes back and is in that request's log line."""
    _, value = make_token(reader)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "test-" * 12,
        "PORTAL_DOMAIN": "portal.test",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "LOG_FORMAT": "json",
        "TRUSTED_PROXY_COUNT": "1",
    }
    host = {"Host": "contoso.us2.portal.test"}
    log = tmp_path / "gunicorn.log"
    with ExitStack() as stack:
        base = stack.enter_context(gunicorn(env, workers=3, log=log))
        for _ in range(12):
            assert call(base, "/api/v1/me/", Authorization=f"Token {value}", **host)[0] == 200
        unknown = f"Token {keys.generate('api')}"
        for n in range(4):
            status, headers, body = call(
                base, "/api/v1/me/", Authorization=unknown, **{"X-Request-ID": f"lb-{n}"}, **host
            )
            assert (status, headers["X-Request-ID"]) == (401, f"lb-{n}")
            assert json.loads(body) == {"detail": "Invalid token", "request_id": f"lb-{n}"}
        scrapes = [samples(call(base, "/metrics")[2].decode()) for _ in range(6)]

    me = ("route", "/api/v1/me/")
    for found in scrapes:  # the same sums, whichever worker answered
        assert found[("portal_requests_total", ("method", "GET"), me, ("status", "200"))] == 12
        assert found[("portal_requests_total", ("method", "GET"), me, ("status", "401"))] == 4
        assert found[("portal_token_checks_total", ("outcome", "accepted"))] == 12
        assert found[("portal_token_checks_total", ("outcome", "invalid"))] == 4
        assert found[("portal_request_duration_seconds_count", me)] == 16
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "portal.request"]
    assert len(requests) == 16
    assert [r["request_id"] for r in requests if r["status"] == 401] == [
        f"lb-{n}" for n in range(4)
    ]
    assert {r["token_kind"] for r in requests if r["status"] == 200} == {"api"}
    assert value not in log.read_text()
