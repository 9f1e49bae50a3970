"""Prometheus metrics, served as text at `GET /metrics` to the addresses in
METRICS_ALLOWED_IPS (loopback by default), answered before the host check like the health
checks (core/health.py).

Counted where they happen: requests by route and status with their latency
(core/requestlog.py), API token checks by outcome (tokens/authentication.py), requests the
throttle refused (core/throttling.py), and the fallbacks in force (core/postgresql,
core/cache: how many processes answer without PostgreSQL or without Redis now). Read from
the database when scraped: the gauges the apps register with `database_gauge` (the task
queue's depth and oldest waiting task, the notices waiting to be delivered).

Under gunicorn every worker is a process of its own: with PROMETHEUS_MULTIPROC_DIR set
(config/gunicorn.py sets one) prometheus-client keeps each process's values in that
directory and `/metrics` sums them over the workers, whichever worker answers."""

import ipaddress
import logging
import os
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import DatabaseError
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "portal_requests",
    "Requests answered, by method, route and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "portal_request_duration_seconds",
    "Time to answer a request, by route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TOKEN_CHECKS = Counter(
    "portal_token_checks",
    "API token checks by outcome: accepted, invalid (malformed or unknown), or the lifecycle's "
    "refusal reason.",
    ["outcome"],
)
THROTTLED = Counter("portal_throttled_requests", "Requests refused by the per-tenant throttle.")
FALLBACKS = Gauge(
    "portal_fallback_in_force",
    "Processes answering on a documented fallback now, by dependency (database: 503 without "
    "trying; cache: the process's own memory).",
    ["dependency"],
    multiprocess_mode="livesum",
)
for _dependency in ("database", "cache"):
    FALLBACKS.labels(_dependency).set(0)

NO_ROUTE = "(no route)"


def fallback(dependency: str, in_force: bool) -> None:
    FALLBACKS.labels(dependency).set(1 if in_force else 0)


# --- gauges read from the database when scraped ------------------------------------------------

_database_gauges: list[tuple[str, str, Callable[[], float]]] = []


def database_gauge(name: str, documentation: str):
    """Registers `read()` (a number from the database) as the gauge `name`, read at each
    scrape by the process that answers it."""

    def register(read: Callable[[], float]) -> Callable[[], float]:
        _database_gauges.append((name, documentation, read))
        return read

    return register


class DatabaseGauges:
    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, documentation, read in _database_gauges:
            try:
                value = float(read())
            except DatabaseError as error:  # the database out of reach: left out, said once
                logger.warning("metric %s not read: %s", name, type(error).__name__)
                continue
            yield GaugeMetricFamily(name, documentation, value=value)


def exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    read = CollectorRegistry()
    read.register(DatabaseGauges())
    return generate_latest(counted) + generate_latest(read)


def allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        ip in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS
    )
