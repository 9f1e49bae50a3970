"""The credential inventory (tokens/inventory.py): every credential of the tenant, of every
kind, as JSON or CSV, streamed; never a value or a digest; for full admins only; each export
an event."""

import csv
import io
import json

import pytest
from django.core.cache import cache

from accounts.roles import Role
from extensions.services import data_source_create, log_collector_create, siem_agent_create
from tests.factories import make_token, make_user
from tokens.models import ApiToken, EventKind, TokenEvent
from tokens.rotation import scim_token_rotate, token_rotate
from tokens.services import token_generate

APP = "11111111-2222-4333-8444-555555555555"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def every_kind(admin_user, reader, other_tenant, entra, api_client):
    """A tenant with a credential of every kind, their values, and another tenant's token."""
    values = []
    plain, value = token_generate(
        user=reader, name="Nightly", allowed_ips=["203.0.113.0/24"], scopes=["Investigation.read"]
    )
    values.append(value)
    _, value = token_rotate(token=plain, by=reader, grace="1h")
    values.append(value)
    _, value = siem_agent_create(
        user=admin_user,
        name="Sentinel",
        output_format="cef",
        send_alerts=True,
        send_activities=True,
    )
    values.append(value)
    source = data_source_create(
        tenant=admin_user.tenant, name="Firewall", log_format="PALO_ALTO", receiver_type="ftp"
    )
    _, value = log_collector_create(user=admin_user, name="Branch office", data_sources=[source])
    values.append(value)
    _, value = scim_token_rotate(user=admin_user)
    values.append(value)
    # An Entra application calls the API (application context), over the fake Entra's keys.
    bearer = entra.access_token(
        tid=entra.tid, audience=APP, roles=["Investigation.read"], client_id="daemon-app-id"
    )
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {bearer}").status_code == 200
    make_token(make_user(other_tenant, Role.GLOBAL_ADMIN), name="Fabrikam's")
    return values


def download(api_client, user, fmt: str):
    api_client.force_login(user)
    response = api_client.get(f"/api/v1/credentials/inventory/?format={fmt}")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body.decode()


def test_the_json_inventory_lists_every_kind_and_no_value(api_client, admin_user, every_kind):
    response, body = download(api_client, admin_user, "json")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    credentials = json.loads(body)["credentials"]
    kinds = sorted(c["kind"] for c in credentials)
    assert kinds == [
        "api_token",
        "api_token",
        "entra_application",
        "log_collector",
        "scim_token",
        "siem_agent",
    ]
    for value in every_kind:
        assert value not in body
    for token in ApiToken.objects.all():
        assert token.digest not in body
    assert "Fabrikam" not in body
    old, new = [c for c in credentials if c["kind"] == "api_token"]
    assert (old["status"], new["status"]) == ("rotated", "generated")
    assert old["chain_id"] == new["chain_id"] == old["id"]
    assert new["allowed_ips"] == ["203.0.113.0/24"]
    assert new["access"] == ["Investigation.read"]
    assert new["owner"] == "reader@contoso.com"
    app = next(c for c in credentials if c["kind"] == "entra_application")
    assert (app["id"], app["owner"], app["access"], app["last_used_ip"]) == (
        "daemon-app-id",
        None,
        ["Investigation.read"],
        "127.0.0.1",
    )
    assert set(app) == set(old)


def test_the_csv_inventory_has_a_header_and_a_row_per_credential(
    api_client, admin_user, every_kind
):
    response, body = download(api_client, admin_user, "csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="credentials-')
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 6
    nightly = [r for r in rows if r["name"] == "Nightly"]
    assert [r["status"] for r in nightly] == ["rotated", "generated"]
    assert nightly[1]["allowed_ips"] == "203.0.113.0/24"
    assert nightly[1]["owner_deprovisioned"] == "false"
    for value in every_kind:
        assert value not in body


def test_each_export_is_an_event(api_client, admin_user, every_kind):
    download(api_client, admin_user, "csv")
    download(api_client, admin_user, "json")

    exports = TokenEvent.objects.filter(kind=EventKind.EXPORTED).order_by("id")
    assert [(e.actor_label, e.detail, e.token_id) for e in exports] == [
        ("admin@contoso.com", "Credential inventory exported as CSV.", None),
        ("admin@contoso.com", "Credential inventory exported as JSON.", None),
    ]


def test_only_full_admins_export_and_a_bad_format_is_a_400(api_client, admin_user, reader):
    refused, _ = download(api_client, reader, "json")
    bad, body = download(api_client, admin_user, "xml")

    assert refused.status_code == 403
    assert (bad.status_code, json.loads(body)["detail"]) == (
        400,
        "format: Choose json or csv, not 'xml'.",
    )
    assert not TokenEvent.objects.filter(kind=EventKind.EXPORTED).exists()


def test_an_empty_tenant_exports_an_empty_list(api_client, admin_user):
    _, body = download(api_client, admin_user, "json")
    _, table = download(api_client, admin_user, "csv")

    assert json.loads(body)["credentials"] == []
    assert table.splitlines() == [
        "kind,id,name,owner,owner_deprovisioned,status,created,expires,last_used,last_used_ip,"
        "access,allowed_ips,chain_id,rotated_at,revoked_at,revoked_reason"
    ]


def test_the_page_download_is_the_same_inventory(client, admin_user, reader, every_kind):
    client.force_login(admin_user)
    response = client.get("/settings/security-extensions/api-tokens/inventory.csv")
    client.force_login(reader)
    refused = client.get("/settings/security-extensions/api-tokens/inventory.csv")

    assert response.status_code == 200
    assert (
        len(list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))) == 6
    )
    assert refused.status_code == 403


def test_an_inventory_closed_unread_frees_its_cursor_at_once(api_client, admin_user, every_kind):
    from tests.integration.test_data_api_bulk import close_unread, open_cursors

    api_client.force_login(admin_user)
    response = api_client.get("/api/v1/credentials/inventory/?format=csv")
    before = open_cursors()
    close_unread(response)

    assert (before, open_cursors()) in {(1, 0), (None, None)}
    assert api_client.get("/api/v1/tokens/").status_code == 200
