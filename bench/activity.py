"""The Token activity page, measured on one database: `python -m bench.activity URL OUT.json`.

Two tenants side by side in one database, one with 10,000 token events and one with
1,000,000 (over 180 days, 50 token owners; tokens, refusals, first uses and revocations),
each seen by its full admin; the server time of the page's first page and of its filtered
views is measured in process, interleaved, through Django's test client. The events are
written with the database's bulk path (executemany on SQLite, COPY on PostgreSQL)."""

import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import setup_django
from bench.page import measure_views

SIZES = {"small": 10_000, "large": 1_000_000}
TOKENS = {"small": 100, "large": 2_000}
OWNERS = 50
DAYS = 180
NOW = datetime.now(UTC).replace(microsecond=0)
PAGE = "/settings/security-extensions/token-activity/"
# A week in the middle of the span: about 400 events in the small tenant.
WEEK = (NOW - timedelta(days=DAYS // 2), NOW - timedelta(days=DAYS // 2 - 7))
VIEWS = {
    "first page": "",
    "kind=revoked": "?kind=revoked",
    "one token": "?token={token}",
    "one user": "?user=user7@{label}.com",
    "a week": f"?since={WEEK[0]:%Y-%m-%dT%H:%M:%SZ}&until={WEEK[1]:%Y-%m-%dT%H:%M:%SZ}",
    "page 2": "?page=2",
}
# (kind, reason, weight): mostly refused uses of revoked tokens, as a busy tenant's log is.
KINDS = [
    ("refused", "revoked", 70),
    ("first_used", "", 10),
    ("generated", "", 10),
    ("revoked", "by_owner", 7),
    ("revoked", "by_admin", 3),
]
COLUMNS = [
    "tenant_id",
    "token_id",
    "owner_id",
    "token_name",
    "token_kind",
    "token_suffix",
    "kind",
    "reason",
    "actor_id",
    "actor_kind",
    "actor_label",
    "source_ip",
    "user_agent",
    "detail",
    "count",
    "created",
]


def rows(tenant_id: int, count: int, tokens: list, admin, rng: random.Random):
    kinds = [(kind, reason) for kind, reason, weight in KINDS for _ in range(weight)]
    span = DAYS * 86400
    for _ in range(count):
        token = tokens[rng.randrange(len(tokens))]
        kind, reason = kinds[rng.randrange(len(kinds))]
        by_admin = reason == "by_admin"
        actor = admin if by_admin else token.user if kind in {"generated", "revoked"} else None
        yield (
            tenant_id,
            token.pk,
            token.user_id,
            token.name,
            "api",
            token.suffix,
            kind,
            reason,
            actor.pk if actor else None,
            "user" if actor else "system",
            actor.username if actor else "system",
            f"203.0.113.{rng.randrange(1, 255)}",
            "python-requests/2.32",
            "Refused: the token is revoked." if kind == "refused" else "",
            rng.randrange(1, 40) if kind == "refused" else 1,
            NOW - timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(10**6)),
        )


def insert(tenant_id: int, count: int, tokens: list, admin) -> None:
    from django.db import connection

    rng = random.Random(tenant_id)
    table = connection.ops.quote_name("tokens_tokenevent")
    events = rows(tenant_id, count, tokens, admin, rng)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in events:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})"  # noqa: S608
        batch = []
        for row in events:
            batch.append((*row[:-1], row[-1].replace(tzinfo=None).isoformat(" ")))
            if len(batch) == 20_000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def seed() -> tuple[dict, dict]:
    from django.db import connection, transaction

    from accounts.models import Tenant, User
    from accounts.roles import Role
    from tokens import keys
    from tokens.models import ApiToken

    admins, queries = {}, {}
    for label, count in SIZES.items():
        with transaction.atomic():
            tenant = Tenant.objects.create(name=label, slug=label, region="us2")
            admin = admins[label] = User.objects.create(
                username=f"admin@{label}.com", tenant=tenant, role=Role.GLOBAL_ADMIN, password="!"
            )
            owners = User.objects.bulk_create(
                User(
                    username=f"user{n}@{label}.com",
                    tenant=tenant,
                    password="!",
                    role=Role.SECURITY_OPERATOR,
                )
                for n in range(OWNERS)
            )
            tokens = []
            for n in range(TOKENS[label]):
                value = keys.generate("api")
                tokens.append(
                    ApiToken(
                        tenant=tenant,
                        user=owners[n % OWNERS],
                        name=f"token {n}",
                        digest=keys.digest(value),
                        suffix=keys.suffix(value),
                    )
                )
            tokens = ApiToken.objects.bulk_create(tokens, batch_size=2000)
            insert(tenant.pk, count, tokens, admin)
        queries[label] = {
            view: query.format(token=tokens[0].pk, label=label) for view, query in VIEWS.items()
        }
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return admins, queries


def main() -> None:
    database_url, out = sys.argv[1], Path(sys.argv[2])
    setup_django(database_url)
    admins, queries = seed()
    out.write_text(json.dumps(measure_views(admins, PAGE, queries), indent=2))


if __name__ == "__main__":
    main()
