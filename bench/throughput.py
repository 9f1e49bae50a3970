"""The bulk path over HTTP: `python -m bench.throughput URL OUT.json`.

One tenant with 160,000 activities (the demo data set's records, written in bulk as
bench.data_api writes them), gunicorn with the workers docs/operations.md gives (2 x cores
+ 1) and the throttle off, and a client pulling 150,000 activities by scan steps of 5,000,
as an integration does: each step's nextQueryFilters sent for the next. Measured: the time,
the bytes on the wire and the bytes per second; plain, and with `Accept-Encoding: gzip`
(the answer decompressed and parsed either way, so the client's own work is counted). One
step's answer's size, both ways. The client's own share (decompressing and parsing each
answer with Python's json, which it must do to read the next step's cursor) is measured
apart, so that the server's and the wire's share is known too."""

import gzip
import http.client
import json
import os
import sys
import time
from pathlib import Path

from bench import gunicorn, setup_django

ACTIVITIES = 160_000
PULLED = 150_000
STEP = 5_000
HOST = "throughput.us2.portal.localhost"


def seed() -> str:
    from django.db import connection, transaction

    from accounts.models import Tenant, User
    from accounts.roles import Role
    from bench.data_api import insert
    from tokens.services import token_generate

    started = time.perf_counter()
    with transaction.atomic():
        tenant = Tenant.objects.create(name="throughput", slug="throughput", region="us2")
        user = User.objects.create(
            username="admin@throughput.com", tenant=tenant, role=Role.GLOBAL_ADMIN, password="!"
        )
        _, token = token_generate(user=user, name="bench")
        insert(tenant.pk, ACTIVITIES)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {ACTIVITIES:,} activities in {time.perf_counter() - started:.0f} s", flush=True)
    return token


def pull(port: int, token: str, compressed: bool) -> dict:
    """Steps of 5,000 until 150,000 activities are in; their time and bytes on the wire."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {
        "Host": HOST,
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
    }
    if compressed:
        headers["Accept-Encoding"] = "gzip"
    body: dict = {"isScan": True, "limit": STEP}
    received = wire = steps = 0
    parsed = 0.0  # the client's own work: decompressing and parsing each answer
    first_step_bytes = 0
    started = time.perf_counter()
    while received < PULLED:
        connection.request("POST", "/api/v1/activities/", json.dumps(body), headers)
        response = connection.getresponse()
        raw = response.read()
        assert response.status == 200, (response.status, raw[:300])
        wire += len(raw)
        first_step_bytes = first_step_bytes or len(raw)
        parsing = time.perf_counter()
        if response.getheader("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        data = json.loads(raw)
        parsed += time.perf_counter() - parsing
        received += len(data["data"])
        steps += 1
        if not data["hasNext"]:
            break
        body = {**body, "filters": data["nextQueryFilters"]}
    seconds = time.perf_counter() - started
    connection.close()
    return {
        "activities": received,
        "steps": steps,
        "seconds": seconds,
        "client_parse_seconds": parsed,
        "server_and_wire_seconds": seconds - parsed,
        "wire_bytes": wire,
        "step_bytes": first_step_bytes,
        "bytes_per_second": wire / seconds,
        "activities_per_second": received / seconds,
    }


def main() -> None:
    url, out = sys.argv[1], Path(sys.argv[2])
    setup_django(url)
    token = seed()
    from django.db import connections

    connections.close_all()
    workers = 2 * (os.cpu_count() or 1) + 1
    result: dict = {"workers": workers}
    with gunicorn(workers) as port:
        for compressed in (False, True):
            pull(port, token, compressed)  # warm-up: every worker's connection and caches
            result["gzip" if compressed else "plain"] = pull(port, token, compressed)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
