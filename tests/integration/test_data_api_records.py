"""The records this API answers have the shapes real tenants return (tests/fixtures/mda-api:
RECORDS.md and records/, copies of ../shared/mda-api). The records compared are the demo
tenant's (seed_demo's data set), fetched through the API as a client would:

- every key of a real record is in ours, at the same path, with the same JSON type
  (recursively; in lists, each real item has a match among ours);
- ours has no key that no real record has (nor RECORDS.md's tables document);
- the enumerations' ids and names are the real ones.
"""

import json
import re
from pathlib import Path

import pytest

from accounts.models import Tenant
from demo import data as security_data
from security.enumerations import (
    APPS,
    BUILTIN_IP_TAGS,
    BUILTIN_USER_GROUPS,
    IP_CATEGORY_VALUES,
    USER_AGENT_TAGS,
    AccessLevel,
    FileStatus,
    FileType,
    pair,
)
from security.models import Alert
from security.records import KEYS_OF_OUR_CHOOSING
from tests.factories import make_token, make_user

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mda-api"
RECORDS_MD = (FIXTURES / "RECORDS.md").read_text()


def real(name: str) -> list[dict]:
    return json.loads((FIXTURES / "records" / name).read_text())


def json_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


# Fields RECORDS.md documents as "or null": ours may be null where a real record had a value.
NULLABLE = {
    "$.email",
    "$.role",
    "$.domain",
    "$.organization",
    "$.threatScore",
    "$.lastSeen",
    "$.scoreTrends",
    "$.sctime",
    "$.sid",
    "$.comment",
    "$.location",
    "$.accounts[].pa",
    "$.accounts[].em",
    "$.isExternal",
    "$.sharepointItem.urlFromMetadata",
}


def _key(key: str) -> str:
    """Keys that are values (a date in scoreTrends, an app id in an account's `sub`) are
    compared as one key."""
    if re.fullmatch(r"\d{8}", key):
        return "<date>"
    if re.fullmatch(r"\d{5}", key):
        return "<app id>"
    return key


def _normal(value):
    if isinstance(value, dict):
        return {_key(key): _normal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normal(item) for item in value]
    return value


def best_match(candidates: list[dict], theirs: dict) -> list[str]:
    """The shape problems of the one of ours most like the real record (none, for a pass):
    a real record is one example; one of ours must have all of its shape."""
    assert candidates, "no record of ours of this kind"
    return min((problems_of_shape(_normal(mine), _normal(theirs)) for mine in candidates), key=len)


def problems_of_shape(ours, theirs, path="$") -> list[str]:
    """Where `ours` lacks a key of `theirs` or has another JSON type there."""
    if theirs is None:
        return []  # an unset value: its type is unknown
    if ours is None and path in NULLABLE:
        return []
    if json_type(ours) != json_type(theirs):
        return [f"{path}: {json_type(ours)} where a real record has {json_type(theirs)}"]
    if isinstance(theirs, dict):
        return [
            problem
            for key, value in theirs.items()
            for problem in (
                [f"{path}.{key} is missing"]
                if key not in ours
                else problems_of_shape(ours[key], value, f"{path}.{key}")
            )
        ]
    if isinstance(theirs, list) and theirs:
        return problems_of_items(ours, theirs, path)
    return []


def problems_of_items(ours: list, theirs: list, path: str) -> list[str]:
    """A list of ours has, for each item of theirs, an item of the same shape."""
    if not ours:
        return [f"{path}: empty where a real record has items"]
    found = []
    for item in theirs:
        matches = [problems_of_shape(mine, item, f"{path}[]") for mine in ours]
        if all(matches):
            found.append(f"{path}[]: no item like {json.dumps(item)[:120]}: {matches[0][0]}")
    return found


def key_paths(value, path="$") -> set[str]:
    """Every key path of a record, list items written `[]`."""
    paths = set()
    if isinstance(value, dict):
        for key, item in value.items():
            paths.add(f"{path}.{_key(key)}")
            paths |= key_paths(item, f"{path}.{_key(key)}")
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, f"{path}[]")
    return paths


def extra_keys(ours: dict, records: list[dict], documented: set[str]) -> set[str]:
    allowed = set().union(*(key_paths(record) for record in records)) | documented
    return key_paths(ours) - allowed


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo tenant's data set, made once for the module, and an admin's API client."""
    from rest_framework.test import APIClient

    from accounts.roles import Role

    with django_db_blocker.unblock():
        tenant = Tenant.objects.create(
            name="Records",
            slug="records",
            region="us2",
            entra_tenant_id="ebac1a16-81bf-449b-8d43-5732c3c1d999",
        )
        usernames = ["admin@records.com", "pat@records.com", "guest@fabrikam.com"]
        security_data.seed(tenant, usernames, activities=300, exchange_last_day=50)
        _, value = make_token(make_user(tenant, Role.GLOBAL_ADMIN))
        client = APIClient(HTTP_AUTHORIZATION=f"Token {value}", HTTP_HOST="records.us2.portal.test")
        yield client
        from django.core.management import call_command

        call_command("flush", interactive=False)


def listed(client, resource: str, filters: dict | None = None, limit: int = 100) -> list[dict]:
    body = {"filters": filters or {}, "limit": limit}
    response = client.post(f"/api/v1/{resource}/", body, format="json")
    assert response.status_code == 200, response.content[:300]
    return response.json()["data"]


# --- activities --------------------------------------------------------------------------------


def chosen(resource: str) -> set[str]:
    """The keys this product chose where RECORDS.md names a filter but not the key it reads
    (security.records.KEYS_OF_OUR_CHOOSING, listed in docs/api.md): no other key is ours."""
    return {f"$.{key}" for key in KEYS_OF_OUR_CHOOSING[resource]}


ACTIVITY_DOCUMENTED = chosen("activities") | {
    "$.location.ipTags",
    "$.location.carrier",
    "$.eventRouting.adminEvent",
    "$.eventRouting.dispersed",
    "$.session",
    "$.session.sessionId",
    "$.tags",
    "$.adallom",
    # RECORDS 2.1: the keys of `adallom` on MDA's alert resolved / dismissed events.
    "$.adallom.alertTitle",
    "$.adallom.alertMongoId",
    "$.adallom.alertSeverityValue",
    "$.adallom.handledByUser",
}


@pytest.mark.django_db
@pytest.mark.parametrize("index", [0, 1], ids=["onedrive-file-event", "entra-failed-sign-in"])
def test_activities_have_the_real_shape(demo, index):
    theirs = real("activity-record.json")[index]
    ours = listed(
        demo, "activities", {"activity.eventActionType": {"eq": theirs["eventTypeValue"]}}
    )

    assert best_match(ours, theirs) == []
    assert all((a["uid"], a["saasId"]) == (a["_id"], a["appId"]) for a in ours)


@pytest.mark.django_db
def test_activities_add_no_key_a_real_one_lacks(demo):
    records = real("activity-record.json")
    for ours in listed(demo, "activities", limit=100):
        assert extra_keys(ours, records, ACTIVITY_DOCUMENTED) == set(), ours["eventTypeValue"]


# --- alerts ------------------------------------------------------------------------------------

# The integration regrouped `entities` into these per-type lists and added is_open.
REGROUPED = {"account", "country", "ip", "policyRule", "service", "user", "is_open"}
ALERT_DOCUMENTED = {"$.entities[].entityRole", "$.entities[].triggeredAlert"}


@pytest.mark.django_db
def test_a_closed_file_policy_alert_has_the_real_shape(demo):
    theirs = real("alert-record.json")[0]
    ours = [
        alert
        for alert in listed(demo, "alerts", {"alertOpen": {"eq": False}})
        if alert.get("policy", {}).get("policyType") == "FILE"
    ]

    # The 2020 record has the strings "null" where later ones have null (RECORDS 1).
    assert best_match(ours, theirs | {"comment": None, "handledByUser": "x"}) == []


@pytest.mark.django_db
def test_an_open_anomaly_alert_has_the_real_shape_and_omits_what_is_unset(demo):
    theirs = {
        k: v for k, v in real("alert-context-transformed.json")[0].items() if k not in REGROUPED
    }
    ours = listed(demo, "alerts", {"alertOpen": {"eq": True}})

    assert best_match(ours, theirs) == []
    for alert in ours:
        assert not {"resolveTime", "handledByUser", "comment"} & set(alert), alert["_id"]
    assert ours[0]["URL"] == f"https://records.us2.portal.test/alerts/{ours[0]['_id']}/"


@pytest.mark.django_db
def test_alerts_add_no_key_a_real_one_lacks(demo):
    transformed = real("alert-context-transformed.json")[0]
    transformed = {k: v for k, v in transformed.items() if k not in REGROUPED}
    records = [*real("alert-record.json"), transformed]
    for ours in listed(demo, "alerts"):
        assert extra_keys(ours, records, ALERT_DOCUMENTED) == set(), ours["_id"]


@pytest.mark.django_db
def test_an_alert_url_leads_to_its_page_on_the_portal(demo, client):
    alert = Alert.objects.filter(tenant__slug="records").first()
    user = make_user(alert.tenant, "security_reader")
    client.force_login(user)

    page = client.get(f"/alerts/{alert.public_id}/", HTTP_HOST="records.us2.portal.test")

    assert page.status_code == 200
    assert alert.title in page.content.decode()


# --- entities ----------------------------------------------------------------------------------

ENTITY_DOCUMENTED = {"$.accounts[].sub", "$.accounts[].ls", "$.userGroups[].appId"}


@pytest.mark.django_db
def test_an_applications_account_has_the_real_shape(demo):
    theirs = real("entity-record.json")[0]
    ours = listed(demo, "entities", {"type": {"eq": [1]}})

    assert best_match(ours, theirs) == []
    assert {(entity["type"], entity["idType"]) for entity in ours} == {(1, 17)}


@pytest.mark.django_db
def test_a_user_has_the_real_shape_with_their_accounts_inside(demo):
    theirs = real("entity-record.json")[1]
    ours = listed(demo, "entities", {"type": {"eq": "user"}, "isAdmin": {"eq": True}})

    assert best_match(ours, theirs) == []
    user = ours[0]
    assert user["ii"] == f"11161|0|{user['id']}"
    assert json.loads(user["username"]) == {"id": user["id"], "saas": 11161, "inst": 0}
    assert len(user["accounts"]) == 3
    assert {account["p"] for account in user["accounts"]} == {user["ii"]}


@pytest.mark.django_db
def test_entities_add_no_key_a_real_one_lacks(demo):
    records = real("entity-record.json")
    for ours in listed(demo, "entities"):
        assert extra_keys(ours, records, ENTITY_DOCUMENTED) == set(), ours["displayName"]


@pytest.mark.django_db
def test_a_lookup_by_display_name_finds_the_person_once(demo):
    """RECORDS 8: a client looks entities up by displayName and expects one match; a
    user's accounts are inside the user, not records of their own."""
    name = listed(demo, "entities", {"type": {"eq": "user"}})[0]["displayName"]

    found = demo.generic(
        "GET",
        "/api/v1/entities/",
        json.dumps({"filters": {"displayName": {"eq": [name.upper()]}}}),
        content_type="application/json",
    ).json()["data"]

    assert [entity["displayName"] for entity in found] == [name]
    assert found[0]["type"] == 2


# --- files -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("index", "sharing"), [(0, 0), (1, 1)], ids=["private", "internal"])
def test_files_have_the_real_shape(demo, index, sharing):
    theirs = real("file-record.json")[index]
    ours = listed(demo, "files", {"sharing": {"eq": [sharing]}})

    assert best_match(ours, theirs) == []
    assert ours[0]["fileType"] == [ours[0]["ftype"], FileType(ours[0]["ftype"]).name]
    assert ours[0]["fileAccessLevel"] == [sharing, AccessLevel(sharing).name]


@pytest.mark.django_db
def test_files_add_no_key_a_real_one_lacks(demo):
    records = real("file-record.json")
    for ours in listed(demo, "files"):
        assert extra_keys(ours, records, {"$.listId"} | chosen("files")) == set(), ours["name"]


# --- IP ranges ---------------------------------------------------------------------------------

TAG_DOCUMENTED = {
    "$.tags[].nameTemplate",
    "$.tags[].nameTemplate.template",
    "$.tags[].description",
    "$.tags[].descriptionTemplate",
    "$.tags[].descriptionTemplate.template",
    "$.tags[].visibility",
}


@pytest.mark.django_db
@pytest.mark.parametrize("index", [0, 1])
def test_ip_ranges_have_the_real_shape(demo, index):
    theirs = real("subnet-record.json")[index]
    if index == 1:  # its authors anonymised the numeric tenant id to a string (RECORDS 6.1)
        theirs = json.loads(json.dumps(theirs).replace('"888xxxxx"', "888"))
    ours = [r for r in listed(demo, "subnet") if any(tag["type"] == 0 for tag in r["tags"])]

    assert best_match(ours, theirs) == []
    assert isinstance(ours[0]["lastModified"], float)
    for record in listed(demo, "subnet"):
        assert extra_keys(record, real("subnet-record.json"), TAG_DOCUMENTED) == set()


# --- enumerations (RECORDS 1, 2.6, 5.5, 6.3, 6.4) ----------------------------------------------


def _table_rows(heading: str) -> list[list[str]]:
    section = RECORDS_MD.split(heading, 1)[1].split("\n#", 1)[0]
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ][1:]


def test_the_built_in_ip_tags_are_the_real_ones():
    documented = {}
    for row in _table_rows("### 6.3 Built-in IP tag ids"):
        for name, tag_id in zip(row[0::2], row[1::2], strict=True):
            if name:
                documented[re.search(r"`([0-9a-f]{24})`", tag_id)[1]] = name.replace("_", " ")

    assert documented == BUILTIN_IP_TAGS


def test_the_app_ids_are_the_real_ones():
    listed_apps = RECORDS_MD.split("Observed and listed by clients: ", 1)[1].split(" |", 1)[0]
    documented = {int(m[1]) for m in re.finditer(r"(\d{5}) ", listed_apps)}

    assert documented == set(APPS)


def test_event_types_seen_in_records_are_the_real_ones():
    documented = {
        row[1].strip("`"): (int(row[0]), row[2].strip("`"), row[3].strip("`"))
        for row in _table_rows("### 2.6 Event types seen")
    }
    seen = {
        value: (event_type, name, generic)
        for event_type, value, name, generic, real_ in security_data.EVENT_TYPES.values()
        if real_
    }

    assert seen == {value: documented[value] for value in seen}
    assert len(seen) == 2


def test_labels_and_tag_ids_are_the_real_ones():
    assert (IP_CATEGORY_VALUES[0], IP_CATEGORY_VALUES[5]) == ("NONE", "CLOUD_PROXY_NETWORK_IP")
    assert pair(FileType, 4) == [4, "TEXT"]
    assert pair(FileType, 5) == [5, "IMAGE"]
    assert pair(AccessLevel, 0) == [0, "PRIVATE"]
    assert pair(AccessLevel, 1) == [1, "INTERNAL"]
    assert pair(FileStatus, 0) == [0, "EXISTS"]
    assert USER_AGENT_TAGS["000000000000000000000000"] == "Native client"
    assert USER_AGENT_TAGS["000000020000000000000000"] == "Outdated operating system"
    assert BUILTIN_USER_GROUPS["000000200000000000000000"][0] == "External users"
    assert BUILTIN_USER_GROUPS["0000003b0000000000000000"] == (
        "Application (Cloud App Security)",
        "App-initiated",
    )
