"""The authentication hot path, measured on one database: `python -m bench.auth URL OUT.json`.

Fills the database with 10,000 users and, for each, a token of every scheme; then measures
each scheme and the floor (no authentication, same middleware) side by side, interleaved:
in process through Django's test client, and over HTTP through gunicorn and wrk.
`python -m bench` runs this once per database and prints the comparison."""

import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import counting_queries, gunicorn, rotated, setup_django

USERS = 10_000
ROUNDS = 7
REQUESTS_PER_ROUND = 300
HTTP_ROUNDS = 3
HTTP_SECONDS = 3
HTTP_CONNECTIONS = 8
# What docs/operations.md recommends for production: 2 x cores + 1 sync workers, so that one
# worker's wait on the database overlaps another's work.
HTTP_WORKERS = 2 * (os.cpu_count() or 1) + 1
HOST = "contoso.us2.portal.localhost"
VARIANTS = [
    "floor",
    "ours",
    "ours-uncounted",
    "ours-allowlist",
    "ours-capability",
    "ours-capability-uncounted",
    "drf-authtoken",
    "knox",
    "api-key",
]
# The allow-list variant's token: 49 ranges that do not hold the client, then one that does
# (a match read to the end of the list, the worst case).
ALLOWLIST = [f"10.{n}.0.0/16" for n in range(49)] + ["127.0.0.0/8"]


def seed() -> dict[str, str]:
    """10,000 users with a token of each scheme; returns the Authorization header of a user in
    the middle of the table for each scheme."""
    from django.db import transaction
    from django.utils import timezone
    from knox.models import AuthToken, get_digest_token
    from rest_framework.authtoken.models import Token
    from rest_framework_api_key.models import APIKey

    from accounts.models import Tenant, User
    from accounts.roles import Role
    from tokens import keys
    from tokens.models import ApiToken

    probe = USERS // 2
    headers: dict[str, str] = {"floor": ""}
    with transaction.atomic():
        tenant = Tenant.objects.create(name="Contoso", slug="contoso", region="us2")
        User.objects.bulk_create(
            User(
                username=f"user{n}@contoso.com",
                tenant=tenant,
                role=Role.SECURITY_OPERATOR,
                password="!",
            )
            for n in range(USERS)
        )
        users = list(User.objects.order_by("pk"))
        ours, authtokens, knox_tokens, api_keys = [], [], [], []
        expiry = timezone.now() + timezone.timedelta(days=365)
        for n, user in enumerate(users):
            value = keys.generate("api")
            ours.append(
                ApiToken(
                    tenant=tenant,
                    user=user,
                    name=f"token {n}",
                    digest=keys.digest(value),
                    suffix=keys.suffix(value),
                )
            )
            drf_key = Token.generate_key()
            authtokens.append(Token(key=drf_key, user=user))
            knox_digest, knox_value = get_digest_token()
            knox_tokens.append(
                AuthToken(token_key=knox_value[:15], digest=knox_digest, user=user, expiry=expiry)
            )
            api_key = APIKey(name=f"key {n}")
            api_key_value = APIKey.objects.assign_key(api_key)
            api_keys.append(api_key)
            if n == probe:
                headers["ours"] = headers["ours-uncounted"] = f"Token {value}"
                headers["ours-capability"] = f"Token {value}"
                headers["ours-capability-uncounted"] = f"Token {value}"
                headers["drf-authtoken"] = f"Token {drf_key}"
                headers["knox"] = f"Token {knox_value}"
                headers["api-key"] = f"Api-Key {api_key_value}"
        fenced = keys.generate("api")
        ours.append(
            ApiToken(
                tenant=tenant,
                user=users[probe + 1],
                name="fenced",
                digest=keys.digest(fenced),
                suffix=keys.suffix(fenced),
                allowlist=" ".join(ALLOWLIST),
            )
        )
        headers["ours-allowlist"] = f"Token {fenced}"
        ApiToken.objects.bulk_create(ours, batch_size=1000)
        Token.objects.bulk_create(authtokens, batch_size=1000)
        AuthToken.objects.bulk_create(knox_tokens, batch_size=1000)
        APIKey.objects.bulk_create(api_keys, batch_size=1000)
    return headers


def measure_in_process(headers: dict[str, str]) -> dict[str, dict]:
    from django.test import Client

    client = Client(HTTP_HOST=HOST)

    def get(variant):
        extra = {"HTTP_AUTHORIZATION": headers[variant]} if headers[variant] else {}
        return client.get(f"/api/bench/{variant}/", **extra)

    for variant in VARIANTS:  # correctness first, and warm-up (the first use writes last_used)
        for _ in range(50):
            response = get(variant)
            if response.status_code != 200:
                raise SystemExit(f"{variant}: HTTP {response.status_code} {response.content!r}")

    counts = {}
    for variant in VARIANTS:
        with counting_queries() as seen:
            for _ in range(100):
                get(variant)
        writes = [s for s in seen if not s.lstrip().upper().startswith("SELECT")]
        counts[variant] = (len(seen) / 100, len(writes) / 100)

    round_medians: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for round_number in range(ROUNDS):
        for variant in rotated(VARIANTS, round_number):
            samples = []
            gc.collect()
            for _ in range(REQUESTS_PER_ROUND):
                start = time.perf_counter_ns()
                get(variant)
                samples.append(time.perf_counter_ns() - start)
            round_medians[variant].append(statistics.median(samples) / 1000)

    return {
        variant: {
            "median_us": statistics.median(medians),
            "min_us": min(medians),
            "max_us": max(medians),
            "queries": counts[variant][0],
            "writes": counts[variant][1],
        }
        for variant, medians in round_medians.items()
    }


def measure_http(headers: dict[str, str]) -> dict[str, dict] | str:
    wrk = shutil.which("wrk")
    if os.environ.get("BENCH_SKIP_HTTP"):
        return "skipped (BENCH_SKIP_HTTP)"
    if wrk is None:
        return (
            "skipped: wrk is not installed (Debian package wrk; `make bench` installs it as root)"
        )
    with gunicorn(HTTP_WORKERS) as port:
        base = f"http://127.0.0.1:{port}"

        def run(variant: str, seconds: int) -> float:
            command = [wrk, "-t1", f"-c{HTTP_CONNECTIONS}", f"-d{seconds}s", "-H", f"Host: {HOST}"]
            if headers[variant]:
                command += ["-H", f"Authorization: {headers[variant]}"]
            output = subprocess.run(
                [*command, f"{base}/api/bench/{variant}/"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            if "Non-2xx" in output:
                raise SystemExit(f"{variant}: wrk saw failed requests\n{output}")
            return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))

        for variant in VARIANTS:
            run(variant, 1)  # warm-up: both workers connected, caches filled
        rates: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for round_number in range(HTTP_ROUNDS):
            for variant in rotated(VARIANTS, round_number):
                rates[variant].append(run(variant, HTTP_SECONDS))
    return {
        variant: {"rps": statistics.median(r), "min_rps": min(r), "max_rps": max(r)}
        for variant, r in rates.items()
    }


def main() -> None:
    database_url, out = sys.argv[1], Path(sys.argv[2])
    setup_django(database_url)
    headers = seed()
    result = {"in_process": measure_in_process(headers)}
    from django.db import connections

    connections.close_all()
    result["http"] = measure_http(headers)
    result["cache"] = "Redis" if os.environ.get("REDIS_URL") else "Django's local memory"
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
