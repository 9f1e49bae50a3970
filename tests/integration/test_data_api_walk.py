"""Two things a real integration does with what the API lists, walked over the demo tenant's
whole data set (seed_demo's records), through the API as a client would:

- it fetches and acts on a record by the id the list gave it, in every form ids take
  (`<tenant>_<app>_<guid>`, a sign-in's 64-hex hash, MDA's own `<tenant>_<time>_<32 hex>`,
  ObjectIds, a file's `<site>|<item>`);
- it filters by a value it read in a record: every filter field of every list reads a
  column that records fill, so a value taken from a record finds that record.
"""

import re

import pytest

from accounts.models import Tenant
from accounts.roles import Role
from demo import data as security_data
from security import listing
from security.shapes import from_iso, to_ms
from tests.factories import make_token, make_user

HOST = "walk.us2.portal.test"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from django.core.management import call_command
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        tenant = Tenant.objects.create(name="Walk", slug="walk", region="us2")
        people = ["admin@walk.com", "pat@walk.com", "lee@walk.com", "guest@fabrikam.com"]
        security_data.seed(tenant, people, activities=400, exchange_last_day=100)
        _, value = make_token(make_user(tenant, Role.GLOBAL_ADMIN))
        client = APIClient(
            HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION=f"Token {value}", HTTP_HOST=HOST
        )
        yield client
        call_command("flush", interactive=False)


def every(client, resource: str, filters: dict | None = None) -> list[dict]:
    """Every record of a list, as a client pages through it."""
    records, skip = [], 0
    while True:
        body = {"filters": filters or {}, "limit": 100, "skip": skip}
        page = client.post(f"/api/v1/{resource}/", body, format="json").json()
        records += page["data"]
        if not page["hasNext"]:
            return records
        skip += 100


def listed(client, resource: str, filters: dict) -> list[dict]:
    response = client.post(f"/api/v1/{resource}/", {"filters": filters}, format="json")
    assert response.status_code == 200, (filters, response.json())
    return response.json()["data"]


# --- ids ---------------------------------------------------------------------------------------

ID_FORMS = {
    "an Office 365 event's <tenant>_<app>_<guid>": r"\d+_\d+_[0-9a-f-]{36}",
    "an Entra sign-in's 64-hex hash": r"[0-9a-f]{64}",
    "this product's own <tenant>_<time>_<32 hex>": r"\d+_\d{13}_[0-9a-f]{32}",
}


@pytest.mark.django_db
def test_every_activity_is_fetched_and_given_feedback_by_its_listed_id(demo):
    activities = every(demo, "activities")
    forms = {
        form
        for activity in activities
        for form, pattern in ID_FORMS.items()
        if re.fullmatch(pattern, activity["_id"])
    }

    assert forms == set(ID_FORMS)  # the walk meets every form
    for activity in activities:
        fetched = demo.get(f"/api/v1/activities/{activity['_id']}/")
        assert fetched.status_code == 200, activity["_id"]
        assert fetched.json() == activity
    for activity in activities[::25]:
        feedback = demo.post(
            f"/api/v1/activities/{activity['_id']}/feedback/",
            {"feedbackValue": 1, "feedbackText": "", "allowContact": False, "contactEmail": ""},
            format="json",
        )
        assert feedback.status_code == 200, activity["_id"]
        assert feedback.json()["data"] == [activity]


@pytest.mark.django_db
def test_every_alert_entity_file_and_ip_range_is_fetched_by_its_listed_ids(demo):
    for alert in every(demo, "alerts"):
        assert demo.get(f"/api/v1/alerts/{alert['_id']}/").json() == alert
        assert demo.post(f"/api/v1/alerts/{alert['_id']}/read/").status_code == 200
    for entity in every(demo, "entities"):
        for pk in (entity["_id"], entity["id"]):
            assert demo.get(f"/api/v1/entities/{pk}/").json() == entity, pk
        tree = demo.get(f"/api/v1/entities/{entity['_id']}/retrieve_tree/")
        assert tree.status_code == 200
    files = every(demo, "files")
    assert all("|" in file["id"] for file in files)
    for file in files:
        for pk in (file["_id"], file["id"]):
            assert demo.get(f"/api/v1/files/{pk}/").json() == file, pk
    for subnet in every(demo, "subnet"):
        assert demo.get(f"/api/v1/subnet/{subnet['_id']}/").json() == subnet


@pytest.mark.django_db
def test_an_id_no_record_has_is_a_404(demo):
    for path in (
        "activities/1_2_00000000-0000-0000-0000-000000000000",
        f"activities/{'0' * 64}",
        "activities/not an id",
        "files/00000000-0000-0000-0000-000000000000|00000000-0000-0000-0000-000000000000",
        f"files/{'x' * 201}",
    ):
        response = demo.get(f"/api/v1/{path}/")
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found."}


# --- filters -----------------------------------------------------------------------------------


def at(record: dict, path: str):
    """The value at a dotted path of a record, or None."""
    node = record
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def first(values):
    return values[0] if isinstance(values, list) and values else None


def true(value):
    """A flag a record sets: only `true` shows that the column is read from it."""
    return True if value is True else None


def moment(value):
    """A record's time (ms, or ISO text) as a range of that one millisecond."""
    if isinstance(value, str):
        value = to_ms(from_iso(value))
    return None if value is None else [{"start": value, "end": value}]


def entity_of(entity: dict | None):
    if not entity or "saas" not in entity:
        return None
    return {"id": entity["id"], "saas": int(entity["saas"]), "inst": int(entity.get("inst", 0))}


def entities_of(record: dict, *types: str) -> list[dict]:
    return [e for e in record.get("entities", []) if e.get("type") in types]


# field -> (operator, the value a record gives it, or None where this record has none).
# Where no value of a record shows a field (an activity's app instance), the value is the
# one every record of the data set has, and the comment says so.
ACTIVITY_VALUES = {
    "service": ("eq", lambda r: [r["appId"]]),
    "instance": ("eq", lambda r: [0]),  # no activity record names its instance: all are 0
    "user.orgUnit": ("eq", lambda r: at(r, "user.orgUnit")),
    "actionType": ("eq", lambda r: at(r, "mainInfo.rawOperationName")),
    "activity.actionType": ("eq", lambda r: at(r, "mainInfo.rawOperationName")),
    "activity.eventActionType": ("eq", lambda r: r["eventTypeValue"]),
    "activity.eventType": ("eq", lambda r: r["eventTypeName"]),
    "activity.id": ("eq", lambda r: r["_id"]),
    "activity.impersonated": ("eq", lambda r: true(r.get("impersonated"))),
    "activity.type": ("eq", lambda r: true(at(r, "eventRouting.adminEvent"))),
    "activity.takenAction": ("eq", lambda r: r.get("takenAction")),
    "device.type": ("eq", lambda r: at(r, "userAgent.deviceType")),
    "device.tags": ("eq", lambda r: first(at(r, "device.tags"))),
    "userAgent.userAgent": ("contains", lambda r: at(r, "device.userAgent")),
    "userAgent.tags": ("eq", lambda r: first(at(r, "userAgent.tags"))),
    "location.country": ("eq", lambda r: at(r, "location.countryCode")),
    "location.organizations": ("eq", lambda r: at(r, "location.organizationSearchable")),
    "ip.address": ("eq", lambda r: at(r, "device.clientIP")),
    "ip.category": ("eq", lambda r: at(r, "location.category") or None),
    "ip.tags": ("eq", lambda r: first(at(r, "location.ipTags"))),
    "fileSelector": ("eq", lambda r: _file_of(r)),
    "fileId": ("eq", lambda r: _file_of(r)),
    "office365url": ("eq", lambda r: _address_of(r)),
    "text": ("text", lambda r: r.get("description")),
    "date": ("range", lambda r: moment(r["timestamp"])),
    "created": ("range", lambda r: moment(r["created"])),
    "policy": ("eq", lambda r: first(r.get("policies"))),
    "source": ("eq", lambda r: [r["source"]] if r["source"] != 2 else None),
    "activity.alertId": ("eq", lambda r: at(r, "adallom.alertMongoId")),
    "activityObject": (
        "eq",
        lambda r: first([o["id"] for o in at(r, "mainInfo.eventObjects") or [] if o.get("id")]),
    ),
    "entity": ("eq", lambda r: entity_of(_actor_of(r))),
    "user.username": ("eq", lambda r: at(r, "user.userName")),
    "user.tags": ("eq", lambda r: first(at(r, "user.userTags"))),
    "user.domain": ("eq", lambda r: (at(r, "user.userName") or "@").split("@")[1] or None),
}


def _file_of(record: dict):
    raw = record.get("rawDataJson") or {}
    return f"{raw['Site']}|{raw['ListItemUniqueId']}" if "ListItemUniqueId" in raw else None


def _address_of(record: dict):
    target = at(record, "rawDataJson.ObjectId")
    return target if isinstance(target, str) and target.startswith("https://") else None


def _actor_of(record: dict):
    actor = record.get("resolvedActor")
    if not actor:
        return None
    return {"id": actor["id"], "saas": actor["saasId"], "inst": actor["instanceId"]}


ALERT_VALUES = {
    "entity.entity": ("eq", lambda r: entity_of(first(entities_of(r, "account")))),
    "entity.ip": ("eq", lambda r: at(first(entities_of(r, "ip")), "id")),
    "entity.service": ("eq", lambda r: at(first(entities_of(r, "service")), "id")),
    "entity.instance": ("eq", lambda r: _instance_of(r)),
    "entity.policy": ("eq", lambda r: at(first(entities_of(r, "policyRule")), "id")),
    "entity.file": ("eq", lambda r: at(first(entities_of(r, "file")), "id")),
    "alertOpen": ("eq", lambda r: "resolveTime" not in r or None),
    "severity": ("eq", lambda r: [r["severityValue"]]),
    "resolutionStatus": ("eq", lambda r: [r["resolutionStatusValue"]]),
    "read": ("eq", lambda r: True if r["statusValue"] == 1 else None),
    "date": ("range", lambda r: moment(r["timestamp"])),
    "resolutionDate": ("range", lambda r: moment(r.get("resolveTime"))),
    "risk": ("eq", lambda r: [r["threatScore"]] if r.get("threatScore") else None),
    "alertType": ("eq", lambda r: [r["idValue"]]),
    "id": ("eq", lambda r: r["_id"]),
    "ID": ("eq", lambda r: r["_id"]),
    "source": ("eq", lambda r: "policy" if at(r, "policy.id") else None),
    "entity.user": ("eq", lambda r: at(first(entities_of(r, "user")), "id")),
    "instance": ("eq", lambda r: _instance_of(r)),
}


def _instance_of(record: dict):
    service = first(entities_of(record, "service"))
    return None if service is None else f"{service['id']}:{service.get('inst', 0)}"


ENTITY_VALUES = {
    "type": ("eq", lambda r: [r["type"]]),
    "displayName": ("eq", lambda r: r["displayName"]),
    "isAdmin": ("eq", lambda r: true(r["isAdmin"])),
    "entity": ("eq", lambda r: {"id": r["id"], "saas": r["appData"]["saas"], "inst": 0}),
    "userGroups": ("eq", lambda r: at(first(r.get("userGroups")), "id")),
    "app": ("eq", lambda r: [r["appData"]["saas"]]),
    "instance": ("eq", lambda r: [r["appData"]["instance"]]),
    "isExternal": ("eq", lambda r: true(r["isExternal"])),
    "domain": ("eq", lambda r: r.get("domain")),
    "organization": ("eq", lambda r: r.get("organization")),
    "status": ("eq", lambda r: [r["status"]]),
}

FILE_VALUES = {
    "service": ("eq", lambda r: [r["appId"]]),
    "instance": ("eq", lambda r: [r["instId"]]),
    "fileType": ("eq", lambda r: [r["ftype"]]),
    "allowDeleted": ("eq", lambda r: True if r["fstat"] == 2 else None),
    "policy": ("cabinetmatchedrulesequals", lambda r: first(r.get("policies"))),
    "filename": ("eq", lambda r: r["name"]),
    "modifiedDate": ("range", lambda r: moment(r["modifiedDate"])),
    "createdDate": ("range", lambda r: moment(r["createdDate"])),
    "collaborators.entity": ("eq", lambda r: _collaborator_of(r)),
    "collaborators.domains": ("eq", lambda r: first(r.get("domains"))),
    "collaborators.groups": ("eq", lambda r: first(r.get("groups"))),
    "collaborators.withDomain": ("eq", lambda r: first(r.get("domains"))),
    "collaborators.users": ("eq", lambda r: at(_collaborator_of(r), "id")),
    "owner.username": ("eq", lambda r: r.get("ownerAddress")),
    "owner.entity": ("eq", lambda r: None),  # below: the owner's entity, not in the record
    "owner.orgUnit": ("eq", lambda r: r.get("ownerOrgUnit")),
    "sharing": ("eq", lambda r: [r["facl"]]),
    "fileId": ("eq", lambda r: r["id"]),
    "fileLabels": ("eq", lambda r: first(r.get("fTags"))),
    "fileScanLabels": ("eq", lambda r: first(r.get("fileScanLabels"))),
    "extension": ("eq", lambda r: r.get("fileExtension") or None),
    "mimeType": ("eq", lambda r: r.get("mimeType") or None),
    "trashed": ("eq", lambda r: True if r["fstat"] == 1 else None),
    "parentFolder": ("eq", lambda r: r.get("parentId")),
    "folder": ("eq", lambda r: true(r["isFolder"])),
    "quarantined": ("eq", lambda r: true(r.get("quarantined"))),
    "snapshotLastModifiedDate": ("range", lambda r: moment(r.get("snapshotLastModifiedDate"))),
}


def _collaborator_of(record: dict):
    person = first([c for c in record.get("collaborators", []) if c.get("type") == 1])
    return None if person is None else {"id": person["id"], "saas": 11161, "inst": 0}


SUBNET_VALUES = {
    "category": ("eq", lambda r: [r["category"]]),
    "tags": ("eq", lambda r: at(first(r.get("tags")), "id")),
    # No IP range record says whether it is built in: every range here is one the tenant
    # made (create_rule), which `builtIn: false` finds.
    "builtIn": ("eq", lambda r: False),
}

LISTS = [
    ("activities", listing.ACTIVITY_FIELDS, ACTIVITY_VALUES, "activity.id", "_id"),
    ("alerts", listing.ALERT_FIELDS, ALERT_VALUES, "id", "_id"),
    ("entities", listing.ENTITY_FIELDS, ENTITY_VALUES, "displayName", "displayName"),
    ("files", listing.FILE_FIELDS, FILE_VALUES, "fileId", "id"),
    ("subnet", listing.SUBNET_FIELDS, SUBNET_VALUES, None, None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("resource", "fields", "values", "by_id", "id_key"), LISTS, ids=[r[0] for r in LISTS]
)
def test_every_filter_field_finds_a_record_by_a_value_read_in_it(
    demo, resource, fields, values, by_id, id_key
):
    assert set(values) == set(fields)  # every field of the list, and no other
    # Deleted files are listed only when allowDeleted says so.
    records = every(demo, resource, {"allowDeleted": {"eq": True}} if resource == "files" else None)
    unmatched = []
    for field, (operator, value_of) in values.items():
        if resource == "files" and field == "owner.entity":
            continue  # below
        record = next((r for r in records if value_of(r) is not None), None)
        if record is None:
            unmatched.append(f"{field}: no demo record has a value for it")
            continue
        filters = {field: {operator: value_of(record)}}
        if by_id is not None and field != by_id:
            filters[by_id] = {"eq": record[id_key]}  # this record, whatever else matches
        found = listed(demo, resource, filters)
        if record not in found:
            unmatched.append(f"{field} {operator} {value_of(record)!r}: not found")
    assert unmatched == []


@pytest.mark.django_db
def test_a_deleted_file_is_listed_only_when_allowed(demo):
    deleted = [f for f in every(demo, "files", {"allowDeleted": {"eq": True}}) if f["fstat"] == 2]

    assert len(deleted) == 1
    assert deleted[0] not in every(demo, "files")
    assert deleted[0] not in every(demo, "files", {"allowDeleted": {"eq": False}})


@pytest.mark.django_db
def test_a_files_owner_entity_finds_the_owners_files(demo):
    owner = next(e for e in every(demo, "entities") if e["type"] == 2)
    files = listed(
        demo,
        "files",
        {"owner.entity": {"eq": {"id": owner["id"], "saas": 11161, "inst": 0}}},
    )

    assert files
    assert {file["ownerAddress"] for file in files} == {owner["email"]}
