"""The Alerts page, measured on one database: `python -m bench.alerts URL OUT.json`.

Two tenants side by side in one database, one with 1,000 alerts and one with 100,000 (over
a year; a tenth raised by this portal's token governance, the rest by policies; of every
severity; a third closed), each seen by its full admin. (With 100 alerts a filter shows 5 to
15 rows where the large tenant shows a full page of 50, so the ratio measured less rendering
on one side; with 1,000 every view shows a full page on both.) the server time of the page's first
page and of each filter is measured in process, interleaved, through Django's test client
(bench.page.views_bench)."""

import random
from datetime import timedelta

from bench.page import tenant_admin, views_bench

SIZES = {"small": 1_000, "large": 100_000}
PAGE = "/alerts/"
VIEWS = {
    "first page": "",
    "severity=high": "?severity=2",
    "severity=informational": "?severity=3",
    "status=open": "?status=0",
    "status=closed as benign": "?status=4",
    "kind=token governance": "?kind=portal",
    "kind=policies": "?kind=policy",
    "high and open": "?severity=2&status=0",
    "page 2": "?page=2",
}
TITLES = [
    "Impossible travel activity",
    "Mass download by a single user",
    "Ransomware activity",
    "Suspicious inbox forwarding",
    "Activity from anonymous IP addresses",
]


def seed() -> dict:
    from django.db import transaction
    from django.utils import timezone

    from security.models import Alert

    rng = random.Random(11)
    now = timezone.now()
    admins = {}
    with transaction.atomic():
        for label, count in SIZES.items():
            admins[label] = tenant_admin(label)
            tenant = admins[label].tenant
            rows = []
            for n in range(count):
                portal = rng.random() < 0.1
                rows.append(
                    Alert(
                        tenant=tenant,
                        id_value=20_000_001 if portal else 15_859_716 + n % 20,
                        title="API token exposed publicly" if portal else rng.choice(TITLES),
                        timestamp=now - timedelta(seconds=rng.uniform(0, 365 * 86400)),
                        severity=rng.choice([0, 1, 1, 2, 3]),
                        resolution_status=0 if rng.random() < 0.66 else rng.choice([3, 4, 5]),
                        source="portal" if portal else "policy",
                    )
                )
            Alert.objects.bulk_create(rows, batch_size=2000)
    return admins


def main() -> None:
    views_bench(seed, PAGE, VIEWS)


if __name__ == "__main__":
    main()
