"""Activities: fetch, feedback, and scan mode, which resumes exactly where it stopped."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from security.models import Activity
from security.records import with_record
from tests.factories import make_activity


def test_fetch_and_feedback(admin_api, tenant):
    activity = make_activity(tenant, description="Downloaded Budget.xlsx")

    fetched = admin_api.get(f"/api/v1/activities/{activity.public_id}/")
    feedback = admin_api.post(
        f"/api/v1/activities/{activity.public_id}/feedback",
        {
            "feedbackValue": "0",
            "feedbackText": "Irrelevant",
            "allowContact": False,
            "contactEmail": "x@contoso.com",
        },
        format="json",
    )

    assert fetched.json()["description"] == "Downloaded Budget.xlsx"
    assert feedback.status_code == 200
    assert feedback.json()["total"] == 1
    assert feedback.json()["hasNext"] is False
    stored = Activity.objects.get(pk=activity.pk).feedback
    assert (stored["feedbackValue"], stored["feedbackText"], stored["by"]) == (
        "0",
        "Irrelevant",
        admin_api.user.username,
    )
    # The feedback is kept, not shown: no real activity record has such a key.
    assert "feedback" not in feedback.json()["data"][0]
    assert feedback.json()["data"][0]["_id"] == activity.public_id


def test_a_reader_cannot_give_feedback(token_client, tenant):
    activity = make_activity(tenant)
    reader = token_client(Role.SECURITY_READER)

    response = reader.post(
        f"/api/v1/activities/{activity.public_id}/feedback", {"feedbackValue": "0"}, format="json"
    )

    assert response.status_code == 403
    assert Activity.objects.get(pk=activity.pk).feedback == {}


def scan(client, body):
    """Every step of a scan, following nextQueryFilters until hasNext is false."""
    steps = []
    while True:
        response = client.post("/api/v1/activities/", {**body, "isScan": True}, format="json")
        assert response.status_code == 200, response.json()
        data = response.json()
        steps.append(data)
        if not data["hasNext"]:
            assert "nextQueryFilters" not in data
            return steps
        body = {**body, "filters": data["nextQueryFilters"]}


@pytest.fixture
def many(tenant):
    """1,234 activities, many sharing one timestamp (so a scan must not rely on time alone)."""
    now = timezone.now().replace(microsecond=0)
    rows = [
        with_record(
            Activity(
                tenant=tenant,
                timestamp=now - timedelta(seconds=i // 300),
                created=now,
                service=11161 if i % 2 else 20893,
                app_name="app",
                description=f"#{i}",
            )
        )
        for i in range(1234)
    ]
    Activity.objects.bulk_create(rows)
    return now


def test_a_scan_returns_every_row_once_in_date_order(admin_api, many):
    steps = scan(admin_api, {"limit": 500})

    ids = [row["_id"] for step in steps for row in step["data"]]
    assert [len(step["data"]) for step in steps] == [500, 500, 234]
    assert len(ids) == len(set(ids)) == 1234
    times = [row["timestamp"] for step in steps for row in step["data"]]
    assert times == sorted(times, reverse=True)


def test_a_scan_keeps_the_callers_filters(admin_api, many):
    steps = scan(admin_api, {"limit": 500, "filters": {"service": {"eq": [11161]}}})

    rows = [row for step in steps for row in step["data"]]
    assert len(rows) == 617
    assert {row["appId"] for row in rows} == {11161}
    assert steps[0]["nextQueryFilters"]["service"] == {"eq": [11161]}


def test_a_scan_ascending(admin_api, many):
    steps = scan(admin_api, {"limit": 500, "sortDirection": "asc"})

    times = [row["timestamp"] for step in steps for row in step["data"]]
    assert len(times) == 1234
    assert times == sorted(times)


def test_rows_arriving_during_a_scan_do_not_disturb_it(admin_api, many, tenant):
    first = admin_api.post(
        "/api/v1/activities/", {"isScan": True, "limit": 500}, format="json"
    ).json()
    # New activities (newer than the scan's position, and some at its very timestamp).
    last = Activity.objects.get(public_id=first["data"][-1]["_id"])
    make_activity(tenant, timestamp=timezone.now() + timedelta(hours=1))
    make_activity(tenant, timestamp=last.timestamp)
    rest = scan(admin_api, {"limit": 500, "filters": first["nextQueryFilters"]})

    ids = [row["_id"] for row in first["data"]] + [
        row["_id"] for step in rest for row in step["data"]
    ]
    assert len(ids) == len(set(ids))
    # Everything that existed when the scan began is there; the row at the cursor's time that
    # arrived later sorts after the cursor only if its id is lower, and it is not.
    assert len(ids) == 1234


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"isScan": True, "limit": 100}, "limit must be from 500 to 5000 in scan mode"),
        ({"isScan": True, "limit": 5001}, "limit must be from 500 to 5000 in scan mode"),
        ({"isScan": True, "skip": 10}, "Scan mode resumes with nextQueryFilters, not skip."),
        (
            {"isScan": True, "sortField": "created"},
            "Scan mode goes in date order: sortField must be date.",
        ),
        ({"isScan": "maybe"}, "isScan must be true or false"),
        (
            {"filters": {"scanCursor": {"after": "1_1"}}},
            "scanCursor is only for scan mode (isScan).",
        ),
        (
            {"isScan": True, "filters": {"scanCursor": {"after": "x"}}},
            "filters.scanCursor.after is not a cursor this API made",
        ),
        (
            {"isScan": True, "filters": {"scanCursor": "1_1"}},
            'filters.scanCursor must be {"after": "<cursor>"}',
        ),
    ],
)
def test_bad_scans_are_a_400(admin_api, tenant, body, detail):
    make_activity(tenant)

    response = admin_api.post("/api/v1/activities/", body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


def test_a_scan_defaults_to_500(admin_api, many):
    body = admin_api.post("/api/v1/activities/", {"isScan": True}, format="json").json()

    assert len(body["data"]) == 500
    assert body["hasNext"] is True
