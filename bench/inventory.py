"""The credential inventory at 100,000 tokens: `python -m bench.inventory URL OUT.json`.

One tenant with 100,000 API tokens (owners, scopes, allow-lists and a few rotation chains
among them), the inventory exported over gunicorn as JSON and as CSV by a full admin's
token: the time to the first byte, to the last, and the bytes; and, in process, the Python
allocations' peak while the answer is read piece by piece (tracemalloc), against its size:
the inventory streams, so that no list of 100,000 credentials is ever held."""

import http.client
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

from bench import gunicorn, setup_django

TOKENS = 100_000
OWNERS = 1_000
HOST = "inventory.us2.portal.localhost"


def seed() -> str:
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Tenant, User
    from accounts.roles import Role
    from tokens import keys
    from tokens.models import ApiToken
    from tokens.services import token_generate

    started = time.perf_counter()
    with transaction.atomic():
        tenant = Tenant.objects.create(name="inventory", slug="inventory", region="us2")
        admin = User.objects.create(
            username="admin@inventory.com", tenant=tenant, role=Role.GLOBAL_ADMIN, password="!"
        )
        User.objects.bulk_create(
            User(username=f"owner{n}@inventory.com", tenant=tenant, role=Role.SECURITY_OPERATOR)
            for n in range(OWNERS)
        )
        owners = list(User.objects.filter(tenant=tenant).exclude(pk=admin.pk))
        now = timezone.now()
        ApiToken.objects.bulk_create(
            (
                ApiToken(
                    tenant=tenant,
                    user=owners[n % OWNERS],
                    name=f"integration {n}",
                    digest=keys.digest(f"bench-{n}"),
                    suffix=f"{n % 10000:04d}",
                    created_at=now,
                    scopes=["Investigation.read"] if n % 3 == 0 else None,
                    granted_capabilities=["Discovery.read", "Investigation.read"],
                    allowlist="203.0.113.0/24 2001:db8::/32" if n % 4 == 0 else "",
                    chain_id=(n // 2) + 1 if n % 50 < 2 else None,
                )
                for n in range(TOKENS)
            ),
            batch_size=5_000,
        )
        _, token = token_generate(user=admin, name="bench")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {TOKENS:,} tokens in {time.perf_counter() - started:.0f} s", flush=True)
    return token


def over_http(port: int, token: str, fmt: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    connection.request(
        "GET",
        f"/api/v1/credentials/inventory/?format={fmt}",
        headers={"Host": HOST, "Authorization": f"Token {token}"},
    )
    response = connection.getresponse()
    first = response.read(1)
    first_byte = time.perf_counter() - started
    size = len(first) + len(response.read())
    assert response.status == 200, response.status
    return {
        "first_byte_s": first_byte,
        "seconds": time.perf_counter() - started,
        "bytes": size,
        "streamed": response.getheader("Transfer-Encoding") == "chunked"
        or response.getheader("Content-Length") is None,
    }


def in_process(token: str) -> dict:
    """The worker's side: the answer made and read piece by piece, allocations traced."""
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    # Warm-up: the first request imports the portal's modules, which would count otherwise.
    warm = client.get(
        "/api/v1/credentials/inventory/?format=csv", HTTP_AUTHORIZATION=f"Token {token}"
    )
    for _ in warm.streaming_content:
        pass
    tracemalloc.start()
    response = client.get(
        "/api/v1/credentials/inventory/?format=json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    size = 0
    for piece in response.streaming_content:
        size += len(piece)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"peak_bytes": peak, "answer_bytes": size}


def main() -> None:
    database_url, out = sys.argv[1], Path(sys.argv[2])
    os.environ["API_THROTTLE_PER_MINUTE"] = "100000"
    setup_django(database_url)
    token = seed()
    result: dict = {"tokens": TOKENS, "memory": in_process(token)}
    from django.db import connections

    connections.close_all()
    with gunicorn(2) as port:
        for _ in range(2):  # warm-up: each worker connected, its caches filled
            over_http(port, token, "json")
            over_http(port, token, "csv")
        result["json"] = over_http(port, token, "json")
        result["csv"] = over_http(port, token, "csv")
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
