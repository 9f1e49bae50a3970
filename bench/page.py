"""The API tokens page, measured on one database: `python -m bench.page URL OUT.json`.

Two tenants side by side in one database, one with 100 API tokens and one with 100,000, each
seen by its full admin; the server time of the first page of the table (and of its filtered and
sorted variants) is measured in process, interleaved, through Django's test client."""

import json
import random
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench import counting_queries, setup_django

SIZES = {"small": 100, "large": 100_000}
OWNERS = 200
ROUNDS = 7
REQUESTS_PER_ROUND = 15
PAGE = "/settings/security-extensions/api-tokens/"
VIEWS = {
    "first page": "",
    "status=active": "?status=active",
    "status=generated": "?status=generated",
    "sorted by name": "?ordering=name",
    "sorted by last used": "?ordering=-last_used",
    "sorted by status": "?ordering=status",
    "page 2": "?page=2",
}


def seed() -> dict:
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Tenant, User
    from accounts.roles import Role
    from tokens.models import ApiToken

    rng = random.Random(7)
    now = timezone.now()
    admins = {}
    with transaction.atomic():
        for label, count in SIZES.items():
            tenant = Tenant.objects.create(name=label, slug=label, region="us2")
            admins[label] = User.objects.create(
                username=f"admin@{label}.com", tenant=tenant, role=Role.GLOBAL_ADMIN, password="!"
            )
            owners = User.objects.bulk_create(
                User(
                    username=f"user{n}@{label}.com",
                    tenant=tenant,
                    password="!",
                    first_name=f"User{n}",
                    role=Role.SECURITY_OPERATOR,
                )
                for n in range(OWNERS)
            )
            tokens = []
            for n in range(count):
                roll = rng.random()
                last_used = (
                    None
                    if roll < 0.3
                    else now - timedelta(hours=rng.uniform(0, 24 * 7))
                    if roll < 0.6
                    else now - timedelta(days=rng.uniform(8, 400))
                )
                tokens.append(
                    ApiToken(
                        tenant=tenant,
                        user=owners[n % OWNERS],
                        name=f"token {rng.randrange(10**8):08d}",
                        digest=secrets.token_hex(32),
                        suffix=secrets.token_hex(2),
                        created_at=now - timedelta(minutes=count - n),
                        last_used_at=last_used,
                    )
                )
            ApiToken.objects.bulk_create(tokens, batch_size=2000)
    return admins


def measure(admins: dict) -> dict:
    from django.test import Client

    clients = {}
    for label, admin in admins.items():
        client = Client(HTTP_HOST="portal.localhost")
        client.force_login(admin)
        clients[label] = client
    results = {}
    for view, query in VIEWS.items():
        queries = {}
        for label, client in clients.items():
            with counting_queries() as seen:
                response = client.get(PAGE + query)
            if response.status_code != 200:
                raise SystemExit(f"{label} {view}: HTTP {response.status_code}")
            queries[label] = len(seen)
        medians = {label: [] for label in clients}
        for _ in range(ROUNDS):
            for label, client in clients.items():
                samples = []
                for _ in range(REQUESTS_PER_ROUND):
                    start = time.perf_counter_ns()
                    client.get(PAGE + query)
                    samples.append(time.perf_counter_ns() - start)
                medians[label].append(statistics.median(samples) / 1e6)
        results[view] = {
            label: {
                "median_ms": statistics.median(m),
                "min_ms": min(m),
                "max_ms": max(m),
                "queries": queries[label],
            }
            for label, m in medians.items()
        }
    return results


def main() -> None:
    database_url, out = sys.argv[1], Path(sys.argv[2])
    setup_django(database_url)
    admins = seed()
    from django.db import connection

    # What autovacuum keeps up on PostgreSQL (statistics, and the visibility map that lets a
    # count read the index alone), and `PRAGMA optimize` on SQLite: after a bulk load, at once.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    out.write_text(json.dumps(measure(admins), indent=2))


if __name__ == "__main__":
    main()
