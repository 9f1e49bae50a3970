"""The data API on months of activities: `python -m bench.data_api URL OUT.json`.

Two tenants side by side in one database, one with 10,000 activities and one with 1,000,000
(over 180 days, 50 users, 4 apps; the demo data set's records, location, user agent, actor
and raw event included); the same list requests (a filtered, sorted page of 100, and
steps of a scan) are sent for each tenant, interleaved, in process through Django's test
client with an API token, and their server time is compared. The rows are written with the
database's bulk path (executemany on SQLite, COPY on PostgreSQL): the ORM would take minutes
to build a million model instances."""

import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import counting_queries, rotated, setup_django

SIZES = {"small": 10_000, "large": 1_000_000}
USERS = 50
DAYS = 180
ROUNDS = 7
REQUESTS_PER_ROUND = 10
NOW = datetime.now(UTC).replace(microsecond=0)

# name -> list body. The same bodies go to both tenants.
QUERIES = {
    "page: app filter, newest first": {
        "filters": {"service": {"eq": [20893]}, "date": {"gte_ndays": 365}},
        "sortField": "date",
        "sortDirection": "desc",
        "limit": 100,
    },
    "page: stored since a time, by stored time": {
        "filters": {"created": {"gte": "{mid}"}},
        "sortField": "created",
        "sortDirection": "asc",
        "limit": 100,
    },
    "page: one user, newest first": {
        "filters": {"user.username": {"eq": ["user7@contoso.com"]}},
        "sortField": "date",
        "limit": 100,
        "sortDirection": "desc",
    },
    "page: one user, by stored time": {
        "filters": {"user.username": {"eq": ["user7@contoso.com"]}},
        "sortField": "created",
        "sortDirection": "desc",
        "limit": 100,
    },
    "page: action type, by stored time": {
        "filters": {"actionType": {"eq": ["FileDownloaded"]}},
        "sortField": "created",
        "sortDirection": "asc",
        "limit": 100,
    },
    "page: date range, oldest first": {
        "filters": {"date": {"range": [{"start": "{mid}", "end": "{end}"}]}},
        "sortField": "date",
        "sortDirection": "asc",
        "limit": 100,
    },
    "scan: first step (500)": {"filters": {"date": {"gte_ndays": 365}}, "isScan": True},
    "scan: a step from the middle (500)": {
        "filters": {"date": {"gte_ndays": 365}, "scanCursor": {"after": "{cursor}"}},
        "isScan": True,
    },
    "scan: a step from the middle, one app (500)": {
        "filters": {"service": {"eq": [20893]}, "scanCursor": {"after": "{cursor}"}},
        "isScan": True,
    },
    "scan: a step of 5000 from the middle": {
        "filters": {"scanCursor": {"after": "{cursor}"}},
        "isScan": True,
        "limit": 5000,
    },
}

COLUMNS = [
    "tenant_id",
    "public_id",
    "timestamp",
    "created",
    "service",
    "app_name",
    "instance",
    "description",
    "action_type",
    "event_action_type",
    "event_type_name",
    "is_admin",
    "impersonated",
    "taken_action",
    "device_type",
    "device_tags_text",
    "user_agent",
    "user_agent_tags_text",
    "ip_address",
    "ip_category",
    "ip_tags_text",
    "country",
    "organization",
    "user_name",
    "user_domain",
    "user_org_unit",
    "user_tags_text",
    "entity_key",
    "policies_text",
    "source",
    "alert_ids_text",
    "object_ids_text",
    "file_id",
    "office365_url",
    "feedback",
    "document",
]
JSON_COLUMNS = {"feedback", "document"}


def rows(tenant_id: int, count: int, rng: random.Random):
    """Activity rows as tuples in COLUMNS order, timestamps spread over DAYS: the demo data
    set's records (OneDrive, SharePoint, Exchange Online, Entra sign-ins, with their
    locations, user agents, actors and raw events), as seed_demo stores them."""
    from types import SimpleNamespace

    from demo.data import Person, activity_row

    tenant = SimpleNamespace(pk=tenant_id, public_id=f"bench-{tenant_id}", entra_tenant_id=None)
    persons = [Person(f"user{n}@contoso.com", rng, tenant) for n in range(USERS)]
    span = DAYS * 86400
    for i in range(count):
        when = NOW - timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(10**6))
        activity = activity_row(tenant, rng, when, persons, i)
        activity.tenant_id = tenant_id
        yield tuple(
            json.dumps(getattr(activity, column))
            if column in JSON_COLUMNS
            else getattr(activity, column)
            for column in COLUMNS
        )


def insert(tenant_id: int, count: int) -> None:
    from django.db import connection

    rng = random.Random(tenant_id)
    table = connection.ops.quote_name("security_activity")
    if connection.vendor == "postgresql":
        columns = ", ".join(COLUMNS)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows(tenant_id, count, rng):
                    copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})"  # noqa: S608
    batch = []
    with connection.cursor() as cursor:
        for row in rows(tenant_id, count, rng):
            when, created = row[2], row[3]
            batch.append(
                (
                    *row[:2],
                    when.replace(tzinfo=None).isoformat(" "),
                    created.replace(tzinfo=None).isoformat(" "),
                    *row[4:],
                )
            )
            if len(batch) == 20_000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def seed() -> dict:
    from django.db import connection, transaction

    from accounts.models import Tenant, User
    from accounts.roles import Role
    from tokens.services import token_generate

    tokens = {}
    for label, count in SIZES.items():
        started = time.perf_counter()
        with transaction.atomic():
            tenant = Tenant.objects.create(name=label, slug=label, region="us2")
            user = User.objects.create(
                username=f"admin@{label}.com", tenant=tenant, role=Role.GLOBAL_ADMIN, password="!"
            )
            _, tokens[label] = token_generate(user=user, name="bench")
            insert(tenant.pk, count)
        print(f"  {count:,} activities in {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return tokens


def cursor_at(label: str, fraction: float, **filters) -> str:
    """A scan cursor this far into the tenant's (filtered) activities, as a scan reaches it."""
    from accounts.models import Tenant
    from security.cursors import scan_cursor
    from security.models import Activity

    activities = Activity.objects.filter(tenant=Tenant.objects.get(slug=label), **filters)
    position = int(activities.count() * fraction)
    return scan_cursor(activities.order_by("-timestamp", "-id")[position])


def body_for(name: str, label: str) -> str:
    text = json.dumps(QUERIES[name])
    mid = int((NOW - timedelta(days=DAYS // 2)).timestamp() * 1000)
    replacements = {
        '"{mid}"': str(mid),
        '"{end}"': str(mid + 5 * 86400 * 1000),  # five days: ~280 rows in the small tenant
        # Far enough in that a step is a full one in both tenants (the small tenant has only
        # 10,000 activities, 1,250 of them in one app).
        "{cursor}": cursor_at(label, 0.2, service=20893)
        if "one app" in name
        else cursor_at(label, 0.4),
    }
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text


def measure(tokens: dict) -> dict:
    from django.test import Client

    clients = {
        label: Client(
            HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST=f"{label}.us2.portal.localhost"
        )
        for label, token in tokens.items()
    }
    bodies = {(name, label): body_for(name, label) for name in QUERIES for label in SIZES}
    samples = {key: [] for key in bodies}
    details = {}
    for key, body in bodies.items():  # warm up, and check that every query answers
        name, label = key
        with counting_queries() as queries:
            response = clients[label].post(
                "/api/v1/activities/", body, content_type="application/json"
            )
        assert response.status_code == 200, (key, response.content[:300])
        data = response.json()
        details[key] = {"queries": len(queries), "rows": len(data["data"])}
    keys = list(bodies)
    for round_number in range(ROUNDS):
        for key in rotated(keys, round_number):
            name, label = key
            for _ in range(REQUESTS_PER_ROUND):
                started = time.perf_counter()
                clients[label].post(
                    "/api/v1/activities/", bodies[key], content_type="application/json"
                )
                samples[key].append((time.perf_counter() - started) * 1000)
    result = {}
    for name in QUERIES:
        result[name] = {}
        for label in SIZES:
            times = samples[(name, label)]
            result[name][label] = {
                "median_ms": statistics.median(times),
                "min_ms": min(times),
                "max_ms": max(times),
                **details[(name, label)],
            }
    return result


def main() -> None:
    url, out = sys.argv[1], sys.argv[2]
    setup_django(url)
    from django.conf import settings

    settings.API_THROTTLE_PER_MINUTE = 0  # measuring the queries, not the throttle
    tokens = seed()
    Path(out).write_text(json.dumps(measure(tokens)))


if __name__ == "__main__":
    main()
