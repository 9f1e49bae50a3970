"""A record taken in and shown again is the record (security/shapes.py, records.py): the
columns go back where they came from, and the document is never changed by showing it."""

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from security.records import (
    ENTITY,
    FILE,
    activity_data,
    activity_from_record,
    entity_from_record,
    file_from_record,
)

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "mda-api" / "records"


def real(name: str) -> list[dict]:
    return json.loads((RECORDS / name).read_text())


@pytest.mark.parametrize("index", [0, 1])
def test_an_activity_round_trips(index):
    record = real("activity-record.json")[index]
    # Keys the tenant gives, and the label drawn from the category (the 2020 record has the
    # string "null" where later ones have NONE: RECORDS 1).
    tenant = SimpleNamespace(
        pk=record["tenantId"], entra_tenant_id=record["aadTenantId"], public_id="x"
    )
    expected = record | {"location": record["location"] | {"categoryValue": "NONE"}}
    taken_in = copy.deepcopy(record)

    activity = activity_from_record(record)

    assert activity_data(activity, tenant) == expected
    assert record == taken_in  # taking a record in leaves it as it was
    # Stored as served, but for the tenant's keys, which are put in front when served.
    stored = json.loads(activity.record)
    assert stored == {k: v for k, v in expected.items() if k not in ("tenantId", "aadTenantId")}
    assert activity.ip_address == record["device"]["clientIP"]


def test_an_activity_fills_the_filter_columns_its_record_implies():
    onedrive = real("activity-record.json")[0]
    raw = onedrive["rawDataJson"]
    record = onedrive | {
        "takenAction": "block",
        "impersonated": True,
        "policies": ["5f01dce13de79160fbec4150"],
        "device": onedrive["device"] | {"tags": ["000000030000000000000000"]},
        "user": onedrive["user"] | {"orgUnit": "Finance"},
        "adallom": {"alertMongoId": "5dcc13ab0d1d2e0f3a4b5c6d"},
    }

    activity = activity_from_record(record)

    assert activity.taken_action == "block"
    assert activity.impersonated is True
    assert activity.policies_text == "|5f01dce13de79160fbec4150|"
    assert activity.device_tags_text == "|000000030000000000000000|"
    assert activity.user_org_unit == "Finance"
    assert activity.alert_ids_text == "|5dcc13ab0d1d2e0f3a4b5c6d|"
    # The file as the files list names it (`<site>|<item>`), its address, the objects.
    assert activity.file_id == f"{raw['Site']}|{raw['ListItemUniqueId']}"
    assert activity.office365_url == raw["ObjectId"]
    assert (
        activity.object_ids_text
        == "|"
        + "|".join(o["id"] for o in onedrive["mainInfo"]["eventObjects"] if o.get("id"))
        + "|"
    )
    # ... and every one of them is served back where it came from.
    served = json.loads(activity.record)
    assert served["takenAction"] == "block"
    assert served["policies"] == ["5f01dce13de79160fbec4150"]
    assert served["device"]["tags"] == ["000000030000000000000000"]
    assert served["user"]["orgUnit"] == "Finance"


def test_an_entity_round_trips():
    record = real("entity-record.json")[0]  # an application's account: no accounts inside

    entity = entity_from_record(record)
    entity.public_id = record["_id"]
    shown = ENTITY.show(entity)

    # The records' `username` is written by Python's json.dumps or, once, by its repr; times
    # are shown with their milliseconds (real records carry both forms).
    assert shown | {"username": record["username"]} == record | {
        "lastSeen": "2020-07-19T06:59:24.000Z"
    }
    assert json.loads(shown["username"]) == {"id": record["id"], "saas": 11161, "inst": 0}


@pytest.mark.parametrize("index", [0, 1])
def test_a_file_round_trips(index):
    record = real("file-record.json")[index]

    file = file_from_record(record)
    file.tenant_id = record["_tid"]
    shown = FILE.show(file)

    # One of the two real files has no fileTypeDisplay; ours always says what the item is.
    assert shown == record | {"fileTypeDisplay": "File"}
