"""The SIEM feed: only `siem` tokens, the agent's event types in its format, in stored
order after a cursor, with no event lost or repeated when events arrive between calls."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from extensions.feed import cursor_signer
from extensions.models import SiemAgent
from extensions.services import siem_agent_create, siem_agent_delete, siem_agent_regenerate
from security.models import Activity, Alert
from tests.factories import make_activity, make_alert, make_token

FEED = "/api/v1/siem/events/"


@pytest.fixture(autouse=True)
def no_lag(settings):
    """Events are readable as soon as stored (one test puts the lag back)."""
    settings.SIEM_FEED_LAG_SECONDS = 0


def agent_client(admin_user, **fields):
    fields = {
        "name": "Sentinel",
        "output_format": "json",
        "send_alerts": True,
        "send_activities": True,
    } | fields
    agent, value = siem_agent_create(user=admin_user, **fields)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {value}")
    client.agent = agent
    return client


def pull(client, cursor=None, limit=100):
    params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
    response = client.get(FEED, params)
    assert response.status_code == 200, response.content
    return response


def ids(response) -> list[str]:
    return [event["_id"] for event in response.json()["events"]]


def test_events_come_in_stored_order_from_the_agents_creation(admin_user, tenant):
    make_alert(tenant, title="before the agent", created=timezone.now() - timedelta(days=1))
    client = agent_client(admin_user)
    alert = make_alert(tenant, title="Impossible travel")
    activity = make_activity(tenant, description="Downloaded a file")

    body = pull(client).json()

    assert [(e["type"], e["_id"]) for e in body["events"]] == [
        ("alert", alert.public_id),
        ("activity", activity.public_id),
    ]
    assert body["hasMore"] is False
    assert body["events"][0]["title"] == "Impossible travel"
    assert body["events"][1]["description"] == "Downloaded a file"


def test_no_event_is_lost_or_repeated_when_events_arrive_between_calls(admin_user, tenant):
    client = agent_client(admin_user)
    SiemAgent.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    same_time = timezone.now().replace(microsecond=0) - timedelta(seconds=5)
    first = [make_alert(tenant, created=same_time) for _ in range(3)]
    first += [make_activity(tenant, created=same_time) for _ in range(3)]

    page1 = pull(client, limit=4)
    # New events at the very time the cursor stopped at, and later ones, arrive now.
    late = [make_activity(tenant, created=same_time), make_alert(tenant, created=same_time)]
    later = [make_activity(tenant, created=same_time + timedelta(seconds=1))]
    page2 = pull(client, page1.json()["cursor"], limit=4)
    page3 = pull(client, page2.json()["cursor"], limit=4)
    page4 = pull(client, page3.json()["cursor"], limit=4)

    delivered = ids(page1) + ids(page2) + ids(page3) + ids(page4)
    expected = {record.public_id for record in first + late + later}
    assert len(delivered) == len(set(delivered)) == len(expected)
    assert set(delivered) == expected
    assert [page1.json()["hasMore"], page2.json()["hasMore"], page3.json()["hasMore"]] == [
        True,
        True,
        False,
    ]
    assert page4.json()["events"] == []
    # The same cursor again gives the same events: a retry after a lost answer loses nothing.
    assert ids(pull(client, page1.json()["cursor"], limit=4)) == ids(page2)


def test_events_are_read_only_once_they_are_settled(admin_user, tenant, settings):
    settings.SIEM_FEED_LAG_SECONDS = 5
    client = agent_client(admin_user)
    SiemAgent.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    settled = make_alert(tenant, created=timezone.now() - timedelta(seconds=10))
    fresh = make_alert(tenant)

    first = pull(client)
    Alert.objects.filter(pk=fresh.pk).update(created=timezone.now() - timedelta(seconds=6))
    second = pull(client, first.json()["cursor"])

    assert ids(first) == [settled.public_id]
    assert ids(second) == [fresh.public_id]


def test_only_the_agents_event_types(admin_user, tenant):
    client = agent_client(admin_user, send_alerts=False)
    make_alert(tenant)
    activity = make_activity(tenant)

    assert ids(pull(client)) == [activity.public_id]


def test_another_tenants_events_never_come(admin_user, tenant, other_tenant):
    client = agent_client(admin_user)
    make_alert(other_tenant)
    make_activity(other_tenant)
    mine = make_alert(tenant)

    assert ids(pull(client)) == [mine.public_id]


def test_cef_lines_escape_what_cef_requires(admin_user, tenant):
    client = agent_client(admin_user, output_format="cef")
    alert = make_alert(
        tenant,
        title="Mass download | by user",
        description="path=C:\\data\nline two",
        severity=2,
        id_value=15,
    )
    make_activity(
        tenant,
        action_type="FileDownloaded",
        description="Got a=b",
        user_name="alice@contoso.com",
        ip_address="203.0.113.7",
        service=11161,
        app_name="Office 365",
    )

    response = pull(client)
    lines = response.content.decode().splitlines()

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Has-More"] == "false"
    assert response["X-Cursor"]
    assert lines[0].startswith("CEF:0|MCAS|SIEM_Agent|0.1.0|ALERT_15|Mass download \\| by user|9|")
    assert f"externalId={alert.public_id} " in lines[0]
    assert "msg=path\\=C:\\\\data\\nline two " in lines[0]
    assert lines[1].startswith("CEF:0|MCAS|SIEM_Agent|0.1.0|FileDownloaded|Got a=b|0|")
    assert "msg=Got a\\=b" in lines[1]
    assert "suser=alice@contoso.com" in lines[1]
    assert "dvc=203.0.113.7" in lines[1]
    assert len(lines) == 2


def test_the_agent_records_when_it_was_seen_and_what_it_got(admin_user, tenant, settings):
    client = agent_client(admin_user)
    agent = client.agent
    assert agent.status == "never"
    make_alert(tenant)
    make_activity(tenant)

    pull(client)
    agent.refresh_from_db()
    assert (agent.events_delivered, agent.status) == (2, "connected")

    SiemAgent.objects.update(
        last_seen_at=timezone.now() - timedelta(seconds=settings.SIEM_CONNECTED_WINDOW + 1)
    )
    agent.refresh_from_db()
    assert agent.status == "disconnected"


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"cursor": "not-a-cursor"}, "cursor is not one this feed gave"),
        ({"cursor": "eyJhbGVydHMiOiBbLTEsIDBdfQ"}, "cursor is not one this feed gave"),
        ({"limit": 0}, "limit must be from 1 to 1000."),
        ({"limit": 1001}, "limit must be from 1 to 1000."),
        ({"limit": "x"}, "limit must be from 1 to 1000."),
    ],
)
def test_bad_feed_requests_are_a_400(admin_user, params, detail):
    client = agent_client(admin_user)

    response = client.get(FEED, params)

    assert response.status_code == 400
    assert response.json()["detail"] == detail


def test_a_siem_token_can_do_nothing_else(admin_user, tenant):
    client = agent_client(admin_user)

    for method, path in [
        ("get", "/api/v1/alerts/"),
        ("get", "/api/v1/activities/"),
        ("get", "/api/v1/me/"),
        ("get", "/api/v1/tokens/"),
        ("get", "/api/discovery/streams/"),
        ("get", "/api/v1/discovery/upload_url/?filename=a.log&source=SQUID"),
        ("post", "/api/v1/subnet/create_rule/"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 403, path
        assert response.json() == {"detail": "A token of kind 'siem' cannot call this endpoint."}


def test_other_credentials_cannot_read_the_feed(admin_user, client, api_client):
    agent_client(admin_user)
    _, api_value = make_token(admin_user)
    _, collector_value = make_token(admin_user, kind="log_collector")
    client.force_login(admin_user)

    for response in [
        api_client.get(FEED, HTTP_AUTHORIZATION=f"Token {api_value}"),
        api_client.get(FEED, HTTP_AUTHORIZATION=f"Token {collector_value}"),
        client.get(FEED, HTTP_ACCEPT="application/json"),
    ]:
        assert response.status_code == 403
        assert response.json() == {"detail": "Only a SIEM agent's token can read the SIEM feed."}


def test_regenerating_stops_the_old_token_and_deleting_stops_the_new(admin_user):
    client = agent_client(admin_user)
    new_value = siem_agent_regenerate(agent=client.agent, by=admin_user)
    fresh = APIClient(HTTP_AUTHORIZATION=f"Token {new_value}")
    assert client.get(FEED).status_code == 401
    assert fresh.get(FEED).status_code == 200

    siem_agent_delete(agent=SiemAgent.objects.get(), by=admin_user)
    assert fresh.get(FEED).status_code == 401


def test_an_agent_of_a_demoted_admin_stops(admin_user, tenant):
    client = agent_client(admin_user)
    admin_user.role = Role.DISCOVERY_ADMIN  # may not read investigation data
    admin_user.save()

    response = client.get(FEED)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "The agent's token was issued by someone who may no longer read data."
    }


def test_a_deprovisioned_admins_agent_is_refused(admin_user):
    client = agent_client(admin_user)
    admin_user.deprovisioned_at = timezone.now()
    admin_user.save()

    assert client.get(FEED).status_code == 403


def test_activities_stored_out_of_time_order_are_delivered_in_stored_order(admin_user, tenant):
    client = agent_client(admin_user)
    SiemAgent.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    now = timezone.now()
    newer_event_stored_first = make_activity(
        tenant, timestamp=now, created=now - timedelta(seconds=2)
    )
    older_event_stored_later = make_activity(
        tenant, timestamp=now - timedelta(hours=3), created=now - timedelta(seconds=1)
    )

    assert ids(pull(client)) == [
        newer_event_stored_first.public_id,
        older_event_stored_later.public_id,
    ]
    assert Activity.objects.count() == 2


@pytest.mark.parametrize(
    "position", [[10**19, 1], [1, 10**20], [-1, 0], [1.5, 2], [True, 1], "x", [1]], ids=str
)
def test_cursors_out_of_range_are_a_400(admin_user, position):
    import base64
    import json

    client = agent_client(admin_user)
    # Signed as the feed signs (only a bug of ours could make one): the positions are checked
    # behind the signature too.
    payload = base64.urlsafe_b64encode(json.dumps({"alerts": position}).encode()).decode()
    cursor = cursor_signer(client.agent).sign(payload)

    response = client.get(FEED, {"cursor": cursor})

    assert response.status_code == 400
    assert response.json()["detail"] == "cursor is not one this feed gave"


def unsigned(positions: dict) -> str:
    """A cursor made by hand, as the feed's were before they were signed."""
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(positions).encode()).decode().rstrip("=")


def test_a_cursor_made_by_hand_is_a_400(admin_user, tenant):
    make_alert(tenant, title="before the agent", created=timezone.now() - timedelta(days=1))
    client = agent_client(admin_user)
    forged = unsigned({"alerts": [0, 0], "activities": [0, 0], "token_events": [0, 0]})

    response = client.get(FEED, {"cursor": forged})

    assert response.status_code == 400
    assert response.json() == {"detail": "cursor is not one this feed gave"}


def test_a_cursor_given_to_another_agent_is_a_400(admin_user, tenant):
    first = agent_client(admin_user, name="First")
    second = agent_client(admin_user, name="Second")
    make_alert(tenant, title="Impossible travel")
    given_to_first = pull(first).json()["cursor"]

    response = second.get(FEED, {"cursor": given_to_first})

    assert response.status_code == 400
    assert response.json() == {"detail": "cursor is not one this feed gave"}
    assert pull(first, given_to_first).status_code == 200


def test_no_cursor_reaches_before_the_agent_existed(admin_user, tenant):
    """Even a signed cursor at the epoch (which the feed never gives) starts at the agent's
    creation."""
    make_alert(tenant, title="before the agent", created=timezone.now() - timedelta(days=1))
    client = agent_client(admin_user)
    after = make_alert(tenant, title="after the agent")
    at_epoch = cursor_signer(client.agent).sign(unsigned({"alerts": [0, 0]}))

    response = client.get(FEED, {"cursor": at_epoch})

    assert [event["_id"] for event in response.json()["events"]] == [after.public_id]


def test_token_events_reach_agents_that_send_activities(admin_user, tenant, reader):
    from tokens.services import token_revoke

    client = agent_client(admin_user)
    alerts_only = agent_client(admin_user, name="Alerts only", send_activities=False)
    token, value = make_token(reader, name="Nightly export")
    token_revoke(token=token, by=reader)

    body = pull(client).json()
    quiet = pull(alerts_only).json()

    token_events = [e for e in body["events"] if e["_id"].startswith("token-event-")]
    assert [(e["type"], e["eventTypeValue"], e["token"]["name"]) for e in token_events] == [
        ("activity", "TOKEN_GENERATED", "SIEM agent: Alerts only"),
        ("activity", "TOKEN_GENERATED", "Nightly export"),
        ("activity", "TOKEN_REVOKED", "Nightly export"),
    ]
    revoked = token_events[-1]
    assert (revoked["reason"], revoked["user"], revoked["description"]) == (
        "by_owner",
        {"userName": reader.username},
        "Revoked: by its owner.",
    )
    assert revoked["token"]["suffix"] == token.suffix
    assert all(value not in str(event) for event in body["events"])
    assert not [e for e in quiet["events"] if e["_id"].startswith("token-event-")]


def test_token_events_in_cef(admin_user, tenant, reader):
    from tokens.services import token_revoke

    client = agent_client(admin_user, output_format="cef")
    token, _ = make_token(reader, name="Nightly export")
    token_revoke(token=token, by=reader)

    lines = pull(client).content.decode().splitlines()

    revoked = [line for line in lines if "|TOKEN_REVOKED|" in line]
    assert len(revoked) == 1
    assert revoked[0].startswith("CEF:0|MCAS|SIEM_Agent|")
    assert "|TOKEN_REVOKED|Revoked: by its owner.|7|" in revoked[0]
    for pair in (
        f"suser={reader.username}",
        "cs1Label=tokenName",
        "cs1=Nightly export",
        f"cs3={token.suffix}",
        "cs4=by_owner",
        "cnt=1",
    ):
        assert pair in revoked[0], pair
