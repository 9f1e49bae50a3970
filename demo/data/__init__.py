"""A realistic, varied data set for a demo tenant (seed_demo) and for the benchmark, in the
shapes real tenants return (RECORDS.md): people with their accounts in Microsoft 365 apps
and two applications' accounts; a month of activities (OneDrive and SharePoint file events,
Exchange Online mail events, Entra ID sign-ins, with locations and parsed user agents), the
last day of Exchange Online dense enough that a scan takes several pages; alerts of every
severity and status; OneDrive and SharePoint files; IP ranges with built-in and custom tags;
Cloud Discovery data sources and discovered apps. Deterministic for a given seed.

Event types, user agents and locations are the kinds real records carry; where RECORDS.md
lists no event type for a kind (SharePoint, Exchange Online, a successful Entra sign-in),
the type follows the pattern of the ones it lists, and EVENT_TYPES says so."""

import random
from datetime import timedelta

from django.utils import timezone

from demo.data.alerts import alert_record
from demo.data.catalogue import DISCOVERED_APPS, EVENT_TYPES, MAIL_OPERATIONS, RANGES
from demo.data.controls import control_records, file_controls
from demo.data.events import activity_row, office_event
from demo.data.files import file_record
from demo.data.people import Person, people
from security.models import DataSource, DiscoveredApp, Entity
from security.records import activity_from_record, alert_from_record, file_from_record
from security.services import SubnetFields, records_add, subnet_create

__all__ = ["EVENT_TYPES", "Person", "activity_row", "seed"]


def seed(
    tenant,
    usernames: list[str],
    *,
    seed: int = 2026,
    activities: int = 1500,
    exchange_last_day: int = 1500,
) -> None:
    """Everything of a demo tenant's data. `activities` spread over 30 days, and
    `exchange_last_day` Exchange Online events in the last 24 hours (three scan pages of
    500)."""
    rng = random.Random(seed)
    now = timezone.now()
    persons = people(tenant, usernames, rng)
    entities = {entity.entity_id: entity for entity in tenant_entities(tenant)}
    rows = [
        activity_row(
            tenant, rng, now - timedelta(seconds=rng.randrange(86_400, 30 * 86_400)), persons, i
        )
        for i in range(activities)
    ]
    for i in range(exchange_last_day):
        person = persons[i % len(persons)]
        operation, admin = rng.choice(MAIL_OPERATIONS[:3])
        record = office_event(
            tenant,
            person,
            rng,
            now - timedelta(seconds=rng.randrange(60, 86_400)),
            kind="exchange",
            operation=operation,
            admin=admin,
        )
        rows.append(activity_from_record(record, tenant=tenant))
    alert_records = [
        alert_record(
            tenant,
            persons[i % len(persons)],
            rng,
            now - timedelta(hours=rng.randrange(1, 60 * 24)),
            i,
        )
        for i in range(48)
    ]
    # The tenant's own controls (blocked sessions, office sign-ins, impersonation, the
    # alerts closed), with a random stream of their own: the rest stays as it was.
    rows += [
        activity_from_record(record, tenant=tenant)
        for record in control_records(tenant, persons, alert_records, now, seed + 1)
    ]
    for row in rows:
        row.entity = entities.get(row.entity_key.rsplit(":", 1)[0])  # the resolved actor
    records_add(tenant=tenant, records=rows)
    records_add(tenant=tenant, records=[alert_from_record(r) for r in alert_records])

    files = []
    for i in range(60):
        person = persons[i % len(persons)]
        colleague = persons[(i + 1) % len(persons)]
        record = file_controls(file_record(tenant, person, rng, i, now), person, colleague, i)
        file = file_from_record(record)
        owner = entities.get(person.object_id)
        file.owner, file.owner_key = owner, f"{person.object_id}:0"
        files.append(file)
    records_add(tenant=tenant, records=files)

    for name, category, cidrs, org, tags in RANGES:
        subnet_create(
            tenant=tenant,
            fields=SubnetFields(
                name=name,
                category=category,
                subnets=cidrs,
                organization=org,
                override_organization=bool(org),
                tags=tags,
            ),
        )
    sources = [
        DataSource(
            name="Headquarters firewall",
            log_format="CISCO_ASA",
            receiver_type="syslog",
            protocol="udp",
        ),
        DataSource(name="Web proxy", log_format="ZSCALER", receiver_type="ftp"),
    ]
    records_add(tenant=tenant, records=sources)
    records_add(
        tenant=tenant,
        records=[
            DiscoveredApp(
                data_source=source,
                app_id=app_id,
                name=name,
                category=category,
                domains=domains,
                score=score,
                sanction=sanction,
                users=rng.randrange(2, 400),
                traffic_bytes=rng.randrange(10**6, 10**11),
                last_seen=now - timedelta(hours=rng.randrange(1, 24 * 80)),
            )
            for source in sources
            for app_id, name, category, domains, score, sanction in DISCOVERED_APPS
            if source.name == "Headquarters firewall" or rng.random() < 0.6
        ],
    )


def tenant_entities(tenant):
    return Entity.objects.for_tenant(tenant).filter(parent__isnull=True)
