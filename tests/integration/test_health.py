"""Health and readiness (core/health.py) and failing fast while PostgreSQL hangs
(core/postgresql/base.py), as a load balancer and an operator see them: through Django's
test client for each check, over real HTTP against gunicorn with several workers for the
hanging database."""

import json
import threading
import time
from contextlib import ExitStack

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import health
from tests.factories import make_token
from tests.integration.test_partial_failures import resilient_cache
from tests.servers import BlackHole, free_port, gunicorn, http_get
from tokens import keys

READY = {"database": "ok", "migrations": "ok", "cache": "local"}


def test_healthz_answers_without_the_database_whatever_the_host(client, db, settings):
    """A load balancer asks by address, over plain HTTP: no host check, no HTTPS redirect."""
    settings.SECURE_SSL_REDIRECT = True

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert len(queries) == 0


def test_readyz_says_what_it_checked(client, db):
    response = client.get("/readyz", HTTP_HOST="10.0.0.7")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": READY}


def test_readyz_head_has_the_status_and_no_body(client, db):
    response = client.head("/readyz", HTTP_HOST="10.0.0.7")

    assert response.status_code == 200
    assert response.content == b""


def test_with_redis_out_of_reach_the_process_is_ready_on_its_documented_fallback(
    client, db, settings
):
    settings.CACHES = resilient_cache(f"redis://127.0.0.1:{free_port()}/0")

    response = client.get("/readyz", HTTP_HOST="10.0.0.7")

    assert response.status_code == 200
    assert response.json()["checks"] == {**READY, "cache": "fallback"}


def test_with_redis_answering_the_cache_is_ok(client, db, settings):
    settings.CACHES = resilient_cache("redis://127.0.0.1:6379/15")

    response = client.get("/readyz", HTTP_HOST="10.0.0.7")

    assert response.json()["checks"]["cache"] == "ok", "is Redis running on 127.0.0.1:6379?"


@pytest.mark.django_db(transaction=True)
def test_a_migration_not_applied_makes_the_process_not_ready(client):
    health._migrated.clear()
    call_command("migrate", "security", "0009", verbosity=0)
    try:
        response = client.get("/readyz", HTTP_HOST="10.0.0.7")
    finally:
        call_command("migrate", "security", verbosity=0)
        health._migrated.clear()

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "Not ready: migrations.",
        "checks": {**READY, "migrations": "pending"},
    }
    assert client.get("/readyz", HTTP_HOST="10.0.0.7").status_code == 200


def test_only_get_and_head_are_health_checks(client, db):
    response = client.post("/healthz", HTTP_HOST="contoso.us2.portal.test")

    assert response.status_code == 404


# --- over real HTTP, PostgreSQL hanging -------------------------------------------------------


def get(url: str, **headers) -> tuple[int, dict, dict]:
    status, answered, body = http_get(url, timeout=30, **headers)
    return status, answered, json.loads(body)


CONNECT_TIMEOUT, RETRY = 2, 5


@pytest.fixture
def hanging_database():
    """A listener that accepts PostgreSQL's connections and never answers."""
    hole = BlackHole()
    yield hole
    hole.close()


def server_env(database_url: str) -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": "test-" * 12,
        "PORTAL_DOMAIN": "portal.test",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "DB_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
        "DB_RETRY_SECONDS": str(RETRY),
    }


def test_with_postgresql_hanging_the_process_is_alive_and_not_ready(hanging_database):
    env = server_env(f"postgres://postgres@127.0.0.1:{hanging_database.port}/portal")
    with gunicorn(env, workers=2) as base:
        alive = get(base + "/healthz")
        first = get(base + "/readyz")

    assert alive[0] == 200
    assert first[0] == 503
    assert first[1]["Retry-After"] == "5"
    assert first[2] == {
        "detail": "Not ready: database.",
        "checks": {"database": "unavailable", "migrations": "unknown", "cache": "local"},
    }


def test_with_postgresql_hanging_each_worker_tries_once_a_period_and_answers_the_rest_at_once(
    hanging_database,
):
    """10 clients for 20 s against 3 workers whose PostgreSQL accepts and never answers.
    Without the back-off every request would wait DB_CONNECT_TIMEOUT (2 s) for a connection
    of its own: about 100 requests, 100 connections. With it a worker that failed answers
    503 at once for DB_RETRY_SECONDS (5 s), then one request tries again: at most one
    connection per worker per 7 s, and every other request is answered without waiting."""
    env = server_env(f"postgres://postgres@127.0.0.1:{hanging_database.port}/portal")
    workers, clients, seconds = 3, 10, 20
    answers: list[tuple[int, str, float]] = []
    lock = threading.Lock()

    def client(base: str, stop: float) -> None:
        while time.monotonic() < stop:
            began = time.monotonic()
            status, headers, _ = get(
                base + "/api/v1/me/",
                HOST="contoso.us2.portal.test",
                Authorization=f"Token {keys.generate('api')}",
            )
            with lock:
                answers.append((status, headers.get("Retry-After", ""), time.monotonic() - began))

    with gunicorn(env, workers=workers) as base:
        stop = time.monotonic() + seconds
        threads = [threading.Thread(target=client, args=(base, stop)) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        scraped = http_get(base + "/metrics", timeout=30)[2].decode()

    tried = hanging_database.accepted
    waits = sorted(a[2] for a in answers)
    print(
        f"{len(answers)} answers, {tried} connections tried, waits: median "
        f"{waits[len(waits) // 2]:.3f} s, 99th {waits[len(waits) * 99 // 100]:.3f} s, "
        f"slowest {waits[-1]:.2f} s, over 2.5 s: {sum(w > 2.5 for w in waits)}"
    )
    assert {(status, retry) for status, retry, _ in answers} == {(503, "5")}
    # At most one try per worker per (timeout + back-off), plus the one each starts with.
    assert tried <= workers * (seconds // (CONNECT_TIMEOUT + RETRY) + 1)
    assert len(answers) >= 10 * tried
    # Every worker tried and failed: each is on the fallback (the metric sums the workers).
    assert 'portal_fallback_in_force{dependency="database"} 3.0' in scraped
    assert "portal_tasks_waiting" not in scraped  # the database could not be read


@pytest.mark.postgres
def test_a_healthy_server_beside_a_hanging_one_answers_as_usual(
    hanging_database, transactional_db, reader
):
    settings = connection.settings_dict
    healthy_url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    _, value = make_token(reader)
    hanging_url = f"postgres://postgres@127.0.0.1:{hanging_database.port}/portal"
    with ExitStack() as stack:
        hanging = stack.enter_context(gunicorn(server_env(hanging_url), workers=2))
        healthy = stack.enter_context(gunicorn(server_env(healthy_url), workers=2))
        statuses = []
        for _ in range(6):
            for base in (hanging, healthy):
                status, _, _ = get(
                    base + "/api/v1/me/",
                    HOST="contoso.us2.portal.test",
                    Authorization=f"Token {value}",
                )
                statuses.append(status)
        ready = get(healthy + "/readyz")

    assert statuses == [503, 200] * 6
    assert ready[0] == 200
    assert ready[2] == {"status": "ready", "checks": READY}
