"""A record taken in and shown again is the record (security/shapes.py, records.py): the
columns go back where they came from, and the document is never changed by showing it."""

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from security.records import (
    ACTIVITY,
    ENTITY,
    FILE,
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
    tenant = SimpleNamespace(entra_tenant_id=record["aadTenantId"], public_id="x")
    expected = record | {"location": record["location"] | {"categoryValue": "NONE"}}

    activity = activity_from_record(record)
    activity.tenant_id = record["tenantId"]
    document = copy.deepcopy(activity.document)
    shown = ACTIVITY.show(activity, tenant)

    assert shown == expected
    assert activity.document == document
    assert "device" in document
    assert "clientIP" not in document["device"]


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
