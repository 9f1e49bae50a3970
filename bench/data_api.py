"""The data API on months of activities: `python -m bench.data_api URL OUT.json`.

Two tenants side by side in one database, one with 10,000 activities and one with 1,000,000
(over 180 days, 50 users, 4 apps; the demo data set's records, location, user agent, actor
and raw event included); the same list requests (a filtered, sorted page of 100, and
steps of a scan) are sent for each tenant, interleaved, in process through Django's test
client with an API token, and their server time is compared. The rows are written with the
database's bulk path (executemany on SQLite, COPY on PostgreSQL): the ORM would take minutes
to build a million model instances."""

import gc
import http.client
import io
import json
import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import counting_queries, gunicorn, rotated, setup_django

SIZES = {"small": 10_000, "large": 1_000_000}
USERS = 50
DAYS = 180
ROUNDS = 7
REQUESTS_PER_ROUND = 10
HTTP_ROUNDS = 3
HTTP_REQUESTS = 5
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
    "record",
]
JSON_COLUMNS = {"feedback"}


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


def post(client, body: str, **headers):
    """One list request in process, its answer read to the end as a client reads it (a
    streamed answer is only written while it is read)."""
    response = client.post("/api/v1/activities/", body, content_type="application/json", **headers)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


def rows_query(client, body: str) -> tuple[str, list]:
    """The SQL and parameters of the query that reads a request's rows (the one that reads
    `security_activity` in order), as the view sends it."""
    from django.db import connection

    seen: list[tuple[str, list]] = []

    def capture(execute, sql, params, many, context):
        seen.append((sql, list(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        post(client, body)
    reads = [q for q in seen if '"security_activity"' in q[0] and "ORDER BY" in q[0]]
    assert reads, seen
    return reads[0]


def every_column(sql: str) -> str:
    """The same query with every column of the table in its SELECT (its ORDER BY, which
    names the view's columns by their place, naming them instead)."""
    select = re.match(r'SELECT (.*?) FROM "security_activity"', sql, flags=re.S)
    assert select, sql
    columns = [c.split(" AS ")[0] for c in select.group(1).split(", ")]
    return re.sub(
        r"ORDER BY (.*?)(?= LIMIT|$)",
        lambda m: (
            "ORDER BY " + re.sub(r"\b(\d+)\b", lambda n: columns[int(n.group(1)) - 1], m.group(1))
        ),
        'SELECT "security_activity".* FROM "security_activity"' + sql[select.end() :],  # noqa: S608 (the benchmark's own query)
        count=1,
        flags=re.S,
    )


def floor_bytes(sql: str, params: list) -> bytes:
    """The floor of a request: the same rows of the same query, fetched raw by a cursor
    with every column (no model, no JSON decoded: PostgreSQL's jsonb read as text), and
    their bytes written out (here joined, to be answered over HTTP: bench/urls.py)."""
    from django.db import connection

    sink = io.BytesIO()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg.types.string import TextLoader

            cursor.cursor.adapters.register_loader("jsonb", TextLoader)
        cursor.execute(every_column(sql), params)
        for row in cursor.fetchall():
            for value in row:
                sink.write(value.encode() if isinstance(value, str) else str(value).encode())
    return sink.getvalue()


def peak_memory(client, body: str) -> dict:
    """Python's peak allocation while one request is answered and its answer read piece by
    piece (as a server writes it to the socket), against the answer's size."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    response = client.post("/api/v1/activities/", body, content_type="application/json")
    size = 0
    for piece in response.streaming_content if response.streaming else [response.content]:
        size += len(piece)
    del response
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"peak_bytes": peak, "answer_bytes": size}


def measure(tokens: dict) -> dict:
    from django.test import Client

    clients = {
        label: Client(
            HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST=f"{label}.us2.portal.localhost"
        )
        for label, token in tokens.items()
    }
    bodies = {(name, label): body_for(name, label) for name in QUERIES for label in SIZES}
    samples = {key: {"ours": [], "floor": []} for key in bodies}
    details = {}
    floors = {}
    for key, body in bodies.items():  # warm up, and check that every query answers
        name, label = key
        with counting_queries() as queries:
            response, content = post(clients[label], body)
        assert response.status_code == 200, (key, content[:300])
        data = json.loads(content)
        _, gzipped = post(clients[label], body, HTTP_ACCEPT_ENCODING="gzip")
        details[key] = {
            "queries": len(queries),
            "rows": len(data["data"]),
            "bytes": len(content),
            "gzip_bytes": len(gzipped),
        }
        floors[key] = rows_query(clients[label], body)
        details[key]["floor_bytes"] = len(floor_bytes(*floors[key]))
    keys = list(bodies)
    for round_number in range(ROUNDS):
        for key in rotated(keys, round_number):
            name, label = key
            for _ in range(REQUESTS_PER_ROUND):
                started = time.perf_counter()
                post(clients[label], bodies[key])
                samples[key]["ours"].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                floor_bytes(*floors[key])
                samples[key]["floor"].append((time.perf_counter() - started) * 1000)
    result: dict = {}
    for name in QUERIES:
        result[name] = {}
        for label in SIZES:
            result[name][label] = {
                **{
                    f"{variant}_{stat}": fn(times)
                    for variant, times in samples[(name, label)].items()
                    for stat, fn in (
                        ("median_ms", statistics.median),
                        ("min_ms", min),
                        ("max_ms", max),
                    )
                },
                "median_ms": statistics.median(samples[(name, label)]["ours"]),
                "min_ms": min(samples[(name, label)]["ours"]),
                "max_ms": max(samples[(name, label)]["ours"]),
                **details[(name, label)],
            }
    step = body_for("scan: a step of 5000 from the middle", "large")
    result["memory"] = peak_memory(clients["large"], step)
    return result, {name: floors[(name, "large")] for name in QUERIES}


def save_queries(queries: dict, path: str) -> None:
    """The floor's queries for the HTTP floor view (bench/urls.py), times tagged."""

    def tagged(value):
        return {"datetime": value.isoformat()}

    Path(path).write_text(json.dumps(queries, default=tagged))


def load_queries(path: str) -> dict:
    def untagged(value: dict):
        return datetime.fromisoformat(value["datetime"]) if set(value) == {"datetime"} else value

    return json.loads(Path(path).read_text(), object_hook=untagged)


def measure_http(tokens: dict, result: dict, floors: dict) -> None:
    """Each request of the million-activity tenant over HTTP (gunicorn on loopback, one
    worker, as docs/operations.md runs it), plain and with Accept-Encoding: gzip, read to
    the end; and its floor answered by the same server (bench/urls.py)."""
    import tempfile

    from django.db import connections

    connections.close_all()
    queries = Path(tempfile.mkdtemp(prefix="portal-bench-")) / "floor-queries.json"
    save_queries(list(floors.values()), str(queries))
    os.environ["BENCH_FLOOR_QUERIES"] = str(queries)
    headers = {
        "Host": "large.us2.portal.localhost",
        "Authorization": f"Token {tokens['large']}",
        "Content-Type": "application/json",
    }
    bodies = {name: body_for(name, "large") for name in QUERIES}
    ways = ("floor", "plain", "gzip")
    with gunicorn(workers=1) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def send(name: str, how: str) -> float:
            started = time.perf_counter()
            if how == "floor":
                index = list(QUERIES).index(name)
                connection.request("GET", f"/api/bench/data-floor/{index}/", headers=headers)
            else:
                extra = {"Accept-Encoding": "gzip"} if how == "gzip" else {}
                connection.request(
                    "POST", "/api/v1/activities/", bodies[name], {**headers, **extra}
                )
            response = connection.getresponse()
            response.read()
            assert response.status == 200, response.status
            return (time.perf_counter() - started) * 1000

        for name in QUERIES:
            for how in ways:
                send(name, how)  # warm-up
        times: dict = {(name, how): [] for name in QUERIES for how in ways}
        for round_number in range(HTTP_ROUNDS):
            for name in rotated(list(QUERIES), round_number):
                for how in ways:
                    times[(name, how)] += [send(name, how) for _ in range(HTTP_REQUESTS)]
        connection.close()
    for name in QUERIES:
        large = result[name]["large"]
        large["http_floor_median_ms"] = statistics.median(times[(name, "floor")])
        large["http_median_ms"] = statistics.median(times[(name, "plain")])
        large["http_gzip_median_ms"] = statistics.median(times[(name, "gzip")])


def main() -> None:
    url, out = sys.argv[1], sys.argv[2]
    setup_django(url)
    from django.conf import settings

    settings.API_THROTTLE_PER_MINUTE = 0  # measuring the queries, not the throttle
    tokens = seed()
    result, floors = measure(tokens)
    if not os.environ.get("BENCH_SKIP_HTTP"):
        measure_http(tokens, result, floors)
    Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
