"""Property-based fuzzing of every list and every body of the data API (hypothesis): whatever
JSON, form or query a client sends (numbers in other scripts, NUL, lone surrogates, huge
numbers, wrong types, deep nesting, unknown fields and operators) the answer is never a 5xx,
and every 4xx carries a `detail`. The Django test client raises any exception a view lets
escape, so a 500 fails the example that caused it, and hypothesis shrinks it to the smallest.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from security import listing
from security.filters import OPERATORS
from tests.factories import make_activity, make_alert, make_entity, make_file, make_subnet

pytestmark = pytest.mark.django_db

NASTY = [
    "",
    " ",
    "²",
    "①",
    "١٢",
    "--1",
    "+1",
    "-0",
    "1e3",
    "9" * 25,
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "asc",
    "desc",
    "true",
    "null",
    "1_1",
    "²_1",
    "0_0",
    "%00",
    "{}",
    "[]",
    "\u202e",
    "é" * 300,
]
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, 1, 99, 100, 101, 499, 500, 5000, 5001, 2**63, -(2**63) - 1]),
)
TEXTS = st.one_of(
    st.sampled_from(NASTY), st.text(st.characters(codec=None, categories=None), max_size=12)
)
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, TEXTS)
VALUES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(TEXTS, children, max_size=3)
    ),
    max_leaves=12,
)

LISTS = {
    "alerts": listing.ALERT_FIELDS,
    "activities": listing.ACTIVITY_FIELDS,
    "entities": listing.ENTITY_FIELDS,
    "files": listing.FILE_FIELDS,
    "subnet": listing.SUBNET_FIELDS,
    "discovery/uploads": {},
}
SORTS = sorted(
    {
        *listing.ALERT_SORTS,
        *listing.ACTIVITY_SORTS,
        *listing.ENTITY_SORTS,
        *listing.FILE_SORTS,
        *listing.SUBNET_SORTS,
    }
)


def filters_for(fields) -> st.SearchStrategy:
    names = st.sampled_from([*sorted(fields), "scanCursor", "nope"]) if fields else TEXTS
    operator = st.sampled_from([*sorted(OPERATORS), "deq", "x"])
    operations = st.one_of(st.dictionaries(operator, VALUES, min_size=1, max_size=3), VALUES)
    return st.one_of(st.dictionaries(names, operations, max_size=3), VALUES)


def list_body(fields) -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {},
        optional={
            "filters": filters_for(fields),
            "skip": st.one_of(NUMBERS, TEXTS, VALUES),
            "limit": st.one_of(NUMBERS, TEXTS, VALUES),
            "sortField": st.one_of(st.sampled_from(SORTS), VALUES),
            "sortDirection": st.one_of(st.sampled_from(["asc", "desc"]), VALUES),
            "isScan": st.one_of(st.booleans(), VALUES),
        },
    )


def as_query(body: dict) -> str:
    """The same request as a query string (or form body): objects as JSON text, the rest as
    text, encoded as a client would send its bytes (a lone surrogate as its UTF-8 bytes)."""
    from urllib.parse import urlencode

    return urlencode(
        {
            key.encode("utf-8", "surrogatepass"): (
                value if isinstance(value, str) else json.dumps(value)
            ).encode("utf-8", "surrogatepass")
            for key, value in body.items()
        }
    )


FORM = "application/x-www-form-urlencoded"


def check(response) -> None:
    # Read to its end: a fault after the first byte of a streamed answer counts too.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code < 500, body[:500]
    if response.status_code >= 400:
        assert isinstance(json.loads(body).get("detail"), str), body[:500]


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # no example database written beside the checkout
)


@pytest.fixture
def data(tenant):
    """One record of each resource, so that filters have rows to run against."""
    entity = make_entity(tenant)
    return {
        "alert": make_alert(tenant, entity_ids_text=f"|{entity.entity_id}:0|"),
        "activity": make_activity(tenant, entity=entity),
        "file": make_file(tenant),
        "subnet": make_subnet(tenant),
        "entity": entity,
    }


@pytest.mark.parametrize("resource", sorted(LISTS))
@FUZZ
@given(body=st.data())
def test_no_list_request_is_answered_with_a_5xx(admin_api, data, resource, body):
    request = body.draw(list_body(LISTS[resource]))
    path = f"/api/v1/{resource}/"
    encoded = json.dumps(request).encode()

    check(admin_api.generic("POST", path, encoded, content_type="application/json"))
    check(admin_api.generic("GET", path, encoded, content_type="application/json"))
    check(admin_api.get(f"{path}?{as_query(request)}"))
    check(admin_api.generic("POST", path, as_query(request), content_type=FORM))


BODIES = {
    "alerts/close_benign/": list_body(listing.ALERT_FIELDS),
    "alerts/close_true_positive/": st.fixed_dictionaries(
        {"filters": filters_for(listing.ALERT_FIELDS)},
        optional={"comment": VALUES, "reasonId": VALUES, "sendFeedback": VALUES},
    ),
    "subnet/create_rule/": st.fixed_dictionaries(
        {},
        optional={
            "name": st.one_of(TEXTS, VALUES),
            "category": st.one_of(NUMBERS, TEXTS, VALUES),
            "subnets": st.one_of(st.lists(TEXTS, max_size=3), VALUES),
            "organization": VALUES,
            "tags": VALUES,
            "overrideOrganization": VALUES,
        },
    ),
    "discovery/done_upload/": st.fixed_dictionaries(
        {},
        optional={"uploadUrl": VALUES, "inputStreamName": VALUES, "uploadAsSnapshot": VALUES},
    ),
}


@pytest.mark.parametrize("path", sorted(BODIES))
@FUZZ
@given(body=st.data())
def test_no_body_is_answered_with_a_5xx(admin_api, data, path, body):
    request = body.draw(st.one_of(BODIES[path], VALUES))
    encoded = json.dumps(request).encode()

    check(admin_api.generic("POST", f"/api/v1/{path}", encoded, content_type="application/json"))
    if isinstance(request, dict):
        check(admin_api.generic("POST", f"/api/v1/{path}", as_query(request), content_type=FORM))


@FUZZ
@given(body=st.data())
def test_no_body_for_a_record_is_answered_with_a_5xx(admin_api, data, body):
    request = body.draw(VALUES)
    encoded = json.dumps(request).encode()
    paths = [
        f"subnet/{data['subnet'].public_id}/update_rule/",
        f"activities/{data['activity'].public_id}/feedback/",
        f"alerts/{data['alert'].public_id}/read/",
    ]
    for path in paths:
        response = admin_api.generic(
            "POST", f"/api/v1/{path}", encoded, content_type="application/json"
        )
        check(response)


@FUZZ
@given(key=st.one_of(TEXTS, VALUES))
def test_no_record_id_in_the_path_is_answered_with_a_5xx(admin_api, data, key):
    import base64
    from urllib.parse import quote

    raw = json.dumps(key).encode()
    text = str(key).encode("utf-8", "surrogatepass")
    ids = [quote(text, safe=""), base64.b64encode(raw).decode(), quote(json.dumps(key))]
    for record_id in ids:
        for resource in ("alerts", "activities", "entities", "files", "subnet"):
            check(admin_api.get(f"/api/v1/{resource}/{record_id}/"))
        check(admin_api.get(f"/api/v1/entities/{record_id}/retrieve_tree/"))


@FUZZ
@given(body=st.data())
def test_no_discovery_categories_or_block_script_request_is_answered_with_a_5xx(
    admin_api, data, body
):
    from security.models import DataSource

    stream = DataSource.objects.get_or_create(tenant=data["subnet"].tenant, name="Firewall")[0]
    request = body.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "streamId": st.one_of(st.just(stream.public_id), TEXTS, VALUES),
                "timeFrame": st.one_of(NUMBERS, TEXTS, VALUES),
                "filters": st.one_of(
                    st.fixed_dictionaries(
                        {
                            "category": st.one_of(
                                VALUES,
                                st.dictionaries(
                                    st.sampled_from(["eq", "neq", "gt"]), VALUES, max_size=2
                                ),
                            )
                        }
                    ),
                    VALUES,
                ),
                "sortField": VALUES,
                "sortDirection": VALUES,
                "skip": st.one_of(NUMBERS, VALUES),
                "limit": st.one_of(NUMBERS, VALUES),
            },
        )
    )
    path = "/api/v1/discovery/discovered_apps/categories/"
    check(admin_api.generic("POST", path, json.dumps(request), content_type="application/json"))
    check(admin_api.get(f"{path}?{as_query(request)}"))
    query = body.draw(st.fixed_dictionaries({}, optional={"format": TEXTS, "type": TEXTS}))
    check(admin_api.get(f"/api/discovery_block_scripts/?{as_query(query)}"))
