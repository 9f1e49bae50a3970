"""The activities a tenant's own controls leave, beside its apps' events: downloads that a
session policy blocked (Conditional Access App Control: source 1, `takenAction` "block",
the policy and the device's tags), sign-ins from the corporate offices (an address in the
"Contoso HQ" range, category Corporate), an Exchange administrator reading another mailbox
(`impersonated`), and this product's own records of the alerts it closed (the "alert
resolved/dismissed" admin events of RECORDS 2.6, naming the alert in
`adallom.alertMongoId`). With them, every filter of the activities list finds something
in the demo, as it would in a real tenant."""

import hashlib
import random
from datetime import datetime, timedelta

from demo.data.events import office_event, sign_in_event
from demo.data.people import Person
from security.enumerations import IpCategory, Resolution, app_name
from security.shapes import from_iso

CLOUD_APP_SECURITY = 20595
# The session policy that blocks downloads to unmanaged devices, and the device tag that
# Conditional Access App Control gives a device it cannot identify.
BLOCK_DOWNLOADS_POLICY = "5f1a9e3cd0a6b2c4e8f01234"
UNMANAGED_DEVICE_TAG = "5f1a9e3cd0a6b2c4e8f05678"
# Organizational units, by the first letter of a person's address.
ORG_UNITS = {"a": "IT", "c": "Legal", "d": "Security", "f": "Finance", "g": "IT", "o": "Sales"}


def org_unit(person: Person) -> str:
    return ORG_UNITS.get(person.upn[0], "Operations")


def blocked_download(tenant, person: Person, rng: random.Random, when: datetime) -> dict:
    record = office_event(tenant, person, rng, when, kind="sharepoint", operation="FileDownloaded")
    policy = "Block downloads to unmanaged devices"
    record.update(
        source=1,
        takenAction="block",
        policies=[BLOCK_DOWNLOADS_POLICY],
        description=f"FileDownloaded (blocked by session policy {policy})",
    )
    record["device"]["tags"] = [UNMANAGED_DEVICE_TAG]
    record["user"]["orgUnit"] = org_unit(person)
    return record


def office_sign_in(tenant, person: Person, rng: random.Random, when: datetime) -> dict:
    """A sign-in from the head office: an address of the Corporate range "Contoso HQ"."""
    record = sign_in_event(tenant, person, rng, when, failed=False)
    ip = f"203.0.113.{rng.randrange(10, 250)}"
    record["device"]["clientIP"] = ip
    record["internals"]["otherIPs"] = [ip]
    record["rawDataJson"]["IpAddress"] = ip
    record["location"].update(
        countryCode="US",
        city="Redmond",
        region="Washington",
        regionCode="WA",
        organizationSearchable="Contoso",
        category=int(IpCategory.CORPORATE),
    )
    record["location"].pop("ipTags", None)
    record["device"]["countryCode"] = "US"
    record["user"]["orgUnit"] = org_unit(person)
    return record


def impersonation(tenant, admin: Person, owner: Person, rng: random.Random, when: datetime):
    record = office_event(
        tenant,
        admin,
        rng,
        when,
        kind="exchange",
        operation="MailItemsAccessed",
        admin=True,
        obj=owner.upn,
    )
    record["impersonated"] = True
    record["description"] = f"MailItemsAccessed on the mailbox of {owner.upn}"
    return record


def alert_handled(tenant, admin: Person, alert: dict, when: datetime) -> dict:
    """This product's own record of an alert it closed: `<tenant>_<timestamp>_<32 hex>`."""
    # Closed as a true positive, it was resolved; as benign or a false positive, dismissed.
    dismissed = alert["resolutionStatusValue"] != Resolution.TRUE_POSITIVE
    kind = "DISMISSED" if dismissed else "RESOLVED"
    stamp = int(when.timestamp() * 1000)
    digest = hashlib.sha256(f"{tenant.pk}{alert['_id']}".encode()).hexdigest()[:32]
    return {
        "_id": f"{tenant.pk}_{stamp}_{digest}",
        "appId": CLOUD_APP_SECURITY,
        "appName": app_name(CLOUD_APP_SECURITY),
        "timestamp": stamp,
        "instantiation": stamp,
        "instantiationRaw": stamp,
        "created": stamp + 2000,
        "eventType": 917544 if dismissed else 917543,
        "eventTypeValue": f"EVENT_ADALLOM_ALERT_{kind}",
        "eventTypeName": f"EVENT_CATEGORY_{'DISMISS' if dismissed else 'RESOLVE'}_ALERT",
        "genericEventType": "ENUM_ACTIVITY_GENERIC_TYPE_UNKNOWN",
        "confidenceLevel": 30,
        "source": 2,
        "srcAppId": CLOUD_APP_SECURITY,
        "severity": "INFO",
        "eventRouting": {"adminEvent": True, "auditing": True},
        "user": {"userName": admin.upn, "userTags": admin.group_ids},
        "tags": ["000000110000000000000000"],
        "mainInfo": {
            "eventObjects": [],
            "rawOperationName": f"Alert{kind.title()}",
            "prettyOperationName": f"Alert{kind.title()}",
            "type": "unknown",
        },
        "adallom": {
            "alertTitle": alert["title"],
            "alertMongoId": alert["_id"],
            "alertSeverityValue": alert["severityValue"],
            "handledByUser": admin.upn,
        },
        "classifications": [],
        "description": f"Alert {kind.lower()}: {alert['title']}",
    }


def control_records(tenant, persons: list[Person], alerts: list[dict], now: datetime, seed: int):
    """Each kind a few times over the last month; an alert-handled event per closed alert."""
    rng = random.Random(seed)
    admin = next(p for p in persons if p.is_admin)

    def when() -> datetime:
        return now - timedelta(seconds=rng.randrange(3_600, 30 * 86_400))

    records = [blocked_download(tenant, persons[i % len(persons)], rng, when()) for i in range(12)]
    records += [office_sign_in(tenant, persons[i % len(persons)], rng, when()) for i in range(20)]
    owners = [p for p in persons if p is not admin]
    records += [
        impersonation(tenant, admin, owners[i % len(owners)], rng, when()) for i in range(3)
    ]
    for alert in alerts:
        if (closed := from_iso(alert.get("resolveTime"))) is not None:
            records.append(alert_handled(tenant, admin, alert, closed))
    return records


# The file policy that found credit card numbers, and the sensitivity label its scan gave.
CARD_NUMBERS_POLICY = "5f1a9e3cd0a6b2c4e8f09abc"
CONFIDENTIAL_LABEL = "5f1a9e3cd0a6b2c4e8f0def0"


def file_controls(record: dict, person: Person, colleague: Person, i: int) -> dict:
    """What the tenant's controls and people did to the i-th demo file: its owner's unit;
    now and then shared with one colleague by name, matched by the card-numbers policy and
    labelled by its scan; one quarantined, one deleted, one a folder."""
    record["ownerOrgUnit"] = org_unit(person)
    if i % 10 == 3:
        record["collaborators"] = [
            *record["collaborators"],
            {
                "accessLevel": 1,
                "id": colleague.object_id,
                "name": colleague.name,
                "role": 1,
                "type": 1,
            },
        ]
    if i % 12 == 5:
        record.update(
            policies=[CARD_NUMBERS_POLICY],
            fileScanLabels=[CONFIDENTIAL_LABEL],
            fTags=[CONFIDENTIAL_LABEL],
        )
    if i == 7:
        record["quarantined"] = True
    if i == 11:
        record["fileStatus"] = [2, "DELETED"]
    if i == 13:
        record.update(isFolder=True, ftype=6, fileExtension="", mimeType="")
        record["name"] = record["name"].rsplit(".", 1)[0]
    return record
