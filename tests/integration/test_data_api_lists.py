"""List semantics shared by every resource of the data API: both path prefixes, trailing
slash or not, the body on GET or POST or in the query, paging edges, sorting, the envelope,
and a clear 400 for anything malformed."""

import json

import pytest

from tests.factories import make_activity, make_alert, make_entity, make_file, make_subnet

RESOURCES = ["alerts", "activities", "entities", "files", "subnet"]
ENVELOPE = {"data", "hasNext", "max", "total", "moreThanTotal"}


@pytest.fixture
def one_of_each(tenant):
    make_alert(tenant)
    make_activity(tenant)
    make_entity(tenant)
    make_file(tenant)
    make_subnet(tenant)


@pytest.mark.parametrize("prefix", ["/api/v1", "/cas/api/v1"])
@pytest.mark.parametrize("slash", ["/", ""])
@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_list_answers_on_both_prefixes_with_and_without_the_slash(
    admin_api, one_of_each, prefix, slash, resource, method
):
    response = getattr(admin_api, method)(f"{prefix}/{resource}{slash}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ENVELOPE
    assert (len(body["data"]), body["total"], body["hasNext"], body["moreThanTotal"]) == (
        1,
        1,
        False,
        False,
    )


def severities(response) -> list[int]:
    return [alert["severityValue"] for alert in response.json()["data"]]


@pytest.fixture
def alerts(tenant):
    """Five alerts: severities 0..3 and one more high, newest last."""
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    return [
        make_alert(tenant, severity=severity, timestamp=now - timedelta(minutes=10 - i))
        for i, severity in enumerate([0, 1, 2, 3, 2])
    ]


def test_a_json_body_on_get_filters_like_post(admin_api, alerts):
    body = json.dumps({"filters": {"severity": {"eq": [2]}}})

    on_get = admin_api.generic("GET", "/api/v1/alerts/", body, content_type="application/json")
    on_post = admin_api.post("/api/v1/alerts/", body, content_type="application/json")

    assert severities(on_get) == severities(on_post) == [2, 2]


def test_filters_as_a_json_string_in_the_query(admin_api, alerts):
    response = admin_api.get(
        "/api/v1/alerts/", {"filters": json.dumps({"severity": {"eq": 1}}), "limit": "3"}
    )

    assert severities(response) == [1]


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_form_encoded_limit(admin_api, alerts, content_type):
    if content_type.startswith("multipart"):
        response = admin_api.post("/api/v1/alerts/", {"limit": "2"}, format="multipart")
    else:
        response = admin_api.post("/api/v1/alerts/", "limit=2", content_type=content_type)

    assert len(response.json()["data"]) == 2
    assert response.json()["hasNext"] is True


@pytest.mark.parametrize(("limit", "returned"), [(1, 1), ("100", 5), (100, 5), ("3", 3)], ids=str)
def test_limits_that_are_accepted(admin_api, alerts, limit, returned):
    response = admin_api.post("/api/v1/alerts/", {"limit": limit}, format="json")

    assert response.status_code == 200
    assert len(response.json()["data"]) == returned


@pytest.mark.parametrize("limit", [0, -1, 101, "many", 1.5, True, "1e3"], ids=repr)
def test_limits_that_are_refused_say_why(admin_api, alerts, limit):
    response = admin_api.post("/api/v1/alerts/", {"limit": limit}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("limit")


def test_the_default_limit_is_100(admin_api, tenant):
    for _ in range(101):
        make_subnet(tenant)

    body = admin_api.get("/api/v1/subnet/").json()

    assert (len(body["data"]), body["hasNext"], body["total"]) == (100, True, 101)


def test_skip_pages_through_without_overlap_or_gap(admin_api, alerts):
    seen = []
    skip = 0
    while True:
        body = admin_api.post("/api/v1/alerts/", {"skip": skip, "limit": 2}, format="json").json()
        seen += [alert["_id"] for alert in body["data"]]
        skip += len(body["data"])
        if not body["hasNext"]:
            break

    assert seen == [alert.public_id for alert in reversed(alerts)]  # newest first


def test_skip_past_the_end_is_an_empty_page_with_the_total(admin_api, alerts):
    body = admin_api.post("/api/v1/alerts/", {"skip": 50}, format="json").json()

    assert body == {"data": [], "hasNext": False, "max": 5, "total": 5, "moreThanTotal": False}


def test_a_negative_skip_is_refused(admin_api, alerts):
    response = admin_api.post("/api/v1/alerts/", {"skip": -1}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "skip must be 0 or more"


def test_total_is_bounded_and_says_so(admin_api, alerts, settings):
    settings.DATA_API_COUNT_BOUND = 3

    body = admin_api.post("/api/v1/alerts/", {"limit": 2}, format="json").json()

    assert (body["total"], body["max"], body["moreThanTotal"], len(body["data"])) == (3, 3, True, 2)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ({"sortField": "severity", "sortDirection": "asc"}, [0, 1, 2, 2, 3]),
        ({"sortField": "severity", "sortDirection": "desc"}, [3, 2, 2, 1, 0]),
        ({"sortField": "date", "sortDirection": "asc"}, [0, 1, 2, 3, 2]),
        ({"sortField": "date"}, [0, 1, 2, 3, 2]),
        ({}, [2, 3, 2, 1, 0]),
    ],
    ids=["severity-asc", "severity-desc", "date-asc", "date-default-asc", "default-newest-first"],
)
def test_sorting(admin_api, alerts, sort, expected):
    assert severities(admin_api.post("/api/v1/alerts/", sort, format="json")) == expected


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"filters": {"nope": {"eq": [1]}}},
            "Unknown filter field 'nope' for alerts; known fields: ",
        ),
        (
            {"filters": {"severity": {"like": [1]}}},
            "Operator 'like' is not an operator this API knows on field 'severity'; use eq, neq",
        ),
        (
            {"filters": {"severity": {"gt": 1}}},
            "Operator 'gt' is not allowed on field 'severity'; use eq, neq",
        ),
        (
            {"filters": {"severity": {"eq": ["high"]}}},
            'filters.severity.eq: expected a number, got "high"',
        ),
        ({"filters": {"severity": {"eq": []}}}, "filters.severity.eq: needs at least one value"),
        ({"filters": {"severity": 2}}, "filters.severity must be an object of operators"),
        ({"filters": {"severity": {}}}, "filters.severity must be an object of operators"),
        ({"filters": [1]}, "filters must be a JSON object"),
        ({"filters": "{not json"}, "filters is not valid JSON"),
        (
            {"filters": {"date": {"gte": "yesterday"}}},
            'filters.date.gte: expected a number, got "yesterday"',
        ),
        ({"filters": {"date": {"gte": -5}}}, "filters.date.gte: -5 is not a time in milliseconds"),
        (
            {"filters": {"date": {"range": [{"start": 5}]}}},
            'filters.date.range: expected a list of {"start": ..., "end": ...}',
        ),
        (
            {"filters": {"date": {"range": [{"start": 9, "end": 5}]}}},
            "filters.date.range: start is after end",
        ),
        (
            {"filters": {"date": {"gte_ndays": 100000}}},
            "filters.date.gte_ndays: expected a number of days from 0 to 36500",
        ),
        (
            {"filters": {"read": {"eq": "yes"}}},
            'filters.read.eq: expected true or false, got "yes"',
        ),
        (
            {"filters": {"entity.entity": {"eq": ["abc"]}}},
            'filters.entity.entity.eq: expected {"id": "...", "inst": 0}',
        ),
        ({"sortField": "title"}, "sortField 'title' is not one of date, severity"),
        ({"sortDirection": "up"}, "sortDirection must be asc or desc"),
        ({"isScan": True}, "isScan is only for activities"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
)
def test_malformed_lists_are_a_400_naming_the_problem(admin_api, alerts, body, detail):
    response = admin_api.post("/api/v1/alerts/", body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ("[1, 2]", "The body must be a JSON object"),
        ("{not json", "JSON parse error"),
        ('"text"', "The body must be a JSON object"),
    ],
)
def test_bodies_that_are_not_json_objects_are_a_400(admin_api, alerts, raw, detail):
    response = admin_api.post("/api/v1/alerts/", raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/alerts/", {"filters": {"severity": {"eq": [10**30]}}}),
        ("/api/v1/alerts/", {"filters": {"severity": {"eq": ["99999999999999999999"]}}}),
        ("/api/v1/alerts/", {"skip": 10**19}),
        ("/api/v1/activities/", {"filters": {"service": {"neq": [-(10**20)]}}}),
        (
            "/api/v1/activities/",
            {"isScan": True, "filters": {"scanCursor": {"after": "999999999999999999_1"}}},
        ),
        ("/api/v1/alerts/", {"filters": {"date": {"gte": 10**16}}}),
        ("/api/v1/alerts/", {"filters": {"date": {"gte": 1.5}}}),
    ],
)
def test_numbers_out_of_any_range_are_a_400_not_a_500(admin_api, alerts, path, body):
    response = admin_api.post(path, body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"]
