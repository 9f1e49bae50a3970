"""The bulk path (issue 24): a list of activities or a scan step is written as it goes, from
the records stored as the text they are served as, and equals the records decoded one by
one; gzip for clients that accept it, over real HTTP, and plain for those that do not."""

import gzip
import json
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from core import compression
from security import records
from security.models import Activity
from tests.factories import make_alert, make_token, make_user

HOST = "contoso.us2.portal.test"


@pytest.fixture
def many(tenant):
    """1,234 activities of real records' shape (the demo's), many sharing one time."""
    import random

    from demo.data import Person, activity_row

    rng = random.Random(24)
    persons = [Person(f"user{n}@contoso.com", rng, tenant) for n in range(5)]
    now = timezone.now().replace(microsecond=0)
    rows = [
        activity_row(tenant, rng, now - timedelta(seconds=i // 300), persons, i)
        for i in range(1234)
    ]
    for row in rows:
        row.tenant = tenant
    Activity.objects.bulk_create(rows)


def decoded(tenant, order=("-timestamp", "-id")) -> list[dict]:
    """The tenant's activities, each decoded and given its tenant's keys one by one."""
    return [
        records.activity_data(activity, tenant)
        for activity in Activity.objects.filter(tenant=tenant).order_by(*order)
    ]


def test_a_scan_step_is_streamed_and_equals_the_records_decoded(admin_api, many, tenant):
    response = admin_api.post("/api/v1/activities/", {"isScan": True, "limit": 5000}, format="json")

    assert response.status_code == 200
    assert response.streaming
    pieces = list(response.streaming_content)
    # The opening, the 1,234 records a hundred at a time, the end: no piece holds them all.
    assert len(pieces) == 1 + 13 + 1
    assert max(len(piece) for piece in pieces) < sum(len(piece) for piece in pieces) / 10
    body = json.loads(b"".join(pieces))
    assert body == {"data": decoded(tenant), "hasNext": False}
    assert body["data"][0]["tenantId"] == tenant.pk
    assert body["data"][0]["aadTenantId"] == str(tenant.public_id)


def test_a_scan_in_steps_is_streamed_and_resumes_where_it_stopped(admin_api, many, tenant):
    first = admin_api.post("/api/v1/activities/", {"isScan": True, "limit": 1000}, format="json")
    body = json.loads(b"".join(first.streaming_content))
    second = admin_api.post(
        "/api/v1/activities/",
        {"isScan": True, "limit": 1000, "filters": body["nextQueryFilters"]},
        format="json",
    ).json()

    assert body["hasNext"] is True
    assert body["data"] + second["data"] == decoded(tenant)
    assert second["hasNext"] is False


def test_a_page_is_streamed_with_its_envelope(admin_api, many, tenant):
    response = admin_api.post(
        "/api/v1/activities/",
        {"limit": 100, "skip": 200, "sortField": "date", "sortDirection": "asc"},
        format="json",
    )

    assert response.streaming
    assert json.loads(b"".join(response.streaming_content)) == {
        "data": decoded(tenant, ("timestamp", "id"))[200:300],
        "hasNext": True,
        "max": 1000,
        "total": 1000,
        "moreThanTotal": True,
    }


def test_the_browsable_api_shows_the_same_records_as_a_page(admin_user, many, tenant):
    from rest_framework.test import APIClient

    client = APIClient(HTTP_ACCEPT="text/html", HTTP_HOST=HOST)
    client.force_login(admin_user)
    response = client.get("/api/v1/activities/", {"limit": 3})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert not response.streaming
    assert "Content-Encoding" not in response  # a page with a CSRF token is never compressed
    first = decoded(tenant)[0]
    assert f"{first['_id']}" in response.content.decode()


# --- compression, over real HTTP ---------------------------------------------------------------


def fetch(base: str, token: str, path: str, body: dict | None, **headers) -> tuple:
    request = urllib.request.Request(  # noqa: S310 (the test's own server, loopback)
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Host": HOST,
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            **headers,
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, response.headers, response.read()


@pytest.fixture
def served(live_server, tenant, many):
    _, token = make_token(make_user(tenant, Role.GLOBAL_ADMIN))
    return live_server.url, token


@pytest.mark.django_db(transaction=True)
def test_a_client_that_accepts_gzip_gets_it_and_one_that_does_not_gets_plain_json(served):
    base, token = served
    step = {"isScan": True, "limit": 5000}

    _, plain_headers, plain = fetch(base, token, "/api/v1/activities/", step)
    _, gzip_headers, compressed = fetch(
        base, token, "/api/v1/activities/", step, **{"Accept-Encoding": "gzip, deflate"}
    )

    assert plain_headers.get("Content-Encoding") is None
    assert len(json.loads(plain)["data"]) == 1234
    assert gzip_headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed) == plain
    assert len(compressed) < len(plain) / 4
    for headers in (plain_headers, gzip_headers):
        assert "Accept-Encoding" in headers["Vary"]
        assert headers["Content-Type"] == "application/json"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("accept", "compressed"),
    [
        ("gzip", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("*", True),
        ("GZIP", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("*;q=0", False),
        ("deflate, br", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_is_read_as_http_says(served, accept, compressed):
    base, token = served
    _, headers, body = fetch(
        base, token, "/api/v1/activities/", {"limit": 20}, **{"Accept-Encoding": accept}
    )

    assert (headers.get("Content-Encoding") == "gzip") is compressed
    data = gzip.decompress(body) if compressed else body
    assert len(json.loads(data)["data"]) == 20


@pytest.mark.django_db(transaction=True)
def test_the_other_lists_are_compressed_when_large_and_a_token_never(served, tenant):
    base, token = served
    for n in range(30):
        make_alert(tenant, title=f"Impossible travel activity #{n}")
    gzip_header = {"Accept-Encoding": "gzip"}

    _, alerts_headers, alerts = fetch(base, token, "/api/v1/alerts/", {"limit": 100}, **gzip_header)
    _, small_headers, small = fetch(
        base,
        token,
        "/api/v1/alerts/",
        {"limit": 1, "filters": {"severity": {"eq": [2]}}},
        **gzip_header,
    )
    assert alerts_headers["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(alerts))["data"]) == 30
    # Under a kilobyte, compressing costs more than it saves; Vary still says it could.
    assert small_headers.get("Content-Encoding") is None
    assert "Accept-Encoding" in small_headers["Vary"]
    assert json.loads(small)["data"] == []


def test_an_answer_with_a_token_value_is_never_compressed(admin_user, monkeypatch):
    """The value beside the name the client sent: compressed, its size would let an observer
    guess the value (BREACH). With no threshold, a list of alerts is compressed and the
    minted token's answer still is not."""
    from rest_framework.test import APIClient

    monkeypatch.setattr(compression, "MIN_BYTES", 0)
    client = APIClient(HTTP_HOST=HOST, HTTP_ACCEPT_ENCODING="gzip")
    client.force_login(admin_user)
    minted = client.post("/api/v1/tokens/", {"name": "nightly export"}, format="json")
    alerts = client.get("/api/v1/alerts/", HTTP_ACCEPT="application/json")

    assert minted.status_code == 201, minted.content
    assert "Content-Encoding" not in minted
    assert "Accept-Encoding" not in minted.get("Vary", "")
    assert minted.json()["token"].startswith("mdaapi")
    assert alerts["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(alerts.content))["data"] == []


def open_cursors() -> int | None:
    """The server-side cursors this connection holds (PostgreSQL); None on SQLite, which
    has none to leave open."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        return cursor.fetchone()[0]


def close_unread(response) -> None:
    """What the WSGI server does at a request's end, its body unread: response.close(). As
    Django's test client does, without closing the test's own database connection."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def test_a_scan_step_closed_unread_frees_its_cursor_at_once(admin_api, many):
    """A client gone before the answer starts: the WSGI server closes the response, which
    closes the step's cursor then, never the garbage collector in the middle of another
    query (psycopg would wait on its own lock for ever)."""
    step = {"isScan": True, "limit": 500}

    response = admin_api.post("/api/v1/activities/", step, format="json")
    before = open_cursors()
    close_unread(response)

    assert response.streaming
    assert (before, open_cursors()) in {(1, 0), (None, None)}
    again = admin_api.post("/api/v1/activities/", step, format="json")
    assert len(json.loads(b"".join(again.streaming_content))["data"]) == 500
    assert open_cursors() in {0, None}
