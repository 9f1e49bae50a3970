"""Who may call what: each endpoint's capability, allowed and refused, for each role's API
token and for Entra tokens; other kinds of token; and tenant isolation by id, filter and
address."""

import pytest

from accounts.roles import Role
from security.models import Activity, Alert, DataSource, Subnet
from tests.factories import (
    make_activity,
    make_alert,
    make_entity,
    make_file,
    make_subnet,
    make_token,
    make_user,
)

R = Role


@pytest.fixture
def data(tenant):
    """One record of each kind in Contoso."""
    return {
        "alert": make_alert(tenant),
        "activity": make_activity(tenant),
        "entity": make_entity(tenant, entity_id="e1", saas=0),
        "file": make_file(tenant),
        "subnet": make_subnet(tenant),
        "source": DataSource.objects.create(tenant=tenant, name="Firewall"),
    }


ENTITY_PK = "eyJpZCI6ICJlMSIsICJzYWFzIjogMCwgImluc3QiOiAwfQ=="  # {"id": "e1", "saas": 0, "inst": 0}

# (method, path, body, roles allowed). Paths take the fixture's ids.
ENDPOINTS = [
    (
        "get",
        "/api/v1/alerts/",
        None,
        {
            R.GLOBAL_ADMIN,
            R.SECURITY_OPERATOR,
            R.COMPLIANCE_ADMIN,
            R.SECURITY_READER,
            R.GLOBAL_READER,
            R.DISCOVERY_ADMIN,
        },
    ),
    (
        "get",
        "/api/v1/alerts/{alert}/",
        None,
        {
            R.GLOBAL_ADMIN,
            R.SECURITY_OPERATOR,
            R.COMPLIANCE_ADMIN,
            R.SECURITY_READER,
            R.GLOBAL_READER,
            R.DISCOVERY_ADMIN,
        },
    ),
    (
        "post",
        "/api/v1/alerts/{alert}/read/",
        None,
        {R.GLOBAL_ADMIN, R.SECURITY_OPERATOR, R.COMPLIANCE_ADMIN, R.DISCOVERY_ADMIN},
    ),
    (
        "post",
        "/api/v1/alerts/close_benign/",
        {"filters": {"id": {"eq": ["{alert}"]}}},
        {R.GLOBAL_ADMIN, R.SECURITY_OPERATOR, R.COMPLIANCE_ADMIN, R.DISCOVERY_ADMIN},
    ),
    (
        "get",
        "/api/v1/activities/",
        None,
        {
            R.GLOBAL_ADMIN,
            R.SECURITY_OPERATOR,
            R.COMPLIANCE_ADMIN,
            R.SECURITY_READER,
            R.GLOBAL_READER,
        },
    ),
    (
        "get",
        "/api/v1/activities/{activity}/",
        None,
        {
            R.GLOBAL_ADMIN,
            R.SECURITY_OPERATOR,
            R.COMPLIANCE_ADMIN,
            R.SECURITY_READER,
            R.GLOBAL_READER,
        },
    ),
    (
        "post",
        "/api/v1/activities/{activity}/feedback",
        {"feedbackValue": "0"},
        {R.GLOBAL_ADMIN, R.SECURITY_OPERATOR, R.COMPLIANCE_ADMIN},
    ),
    (
        "get",
        "/api/v1/entities/",
        None,
        {
            R.GLOBAL_ADMIN,
            R.SECURITY_OPERATOR,
            R.COMPLIANCE_ADMIN,
            R.SECURITY_READER,
            R.GLOBAL_READER,
        },
    ),
    (
        "get",
        f"/api/v1/entities/{ENTITY_PK}/",
        None,
        {
            R.GLOBAL_ADMIN,
            R.SECURITY_OPERATOR,
            R.COMPLIANCE_ADMIN,
            R.SECURITY_READER,
            R.GLOBAL_READER,
        },
    ),
    (
        "get",
        f"/api/v1/entities/{ENTITY_PK}/retrieve_tree/",
        None,
        {
            R.GLOBAL_ADMIN,
            R.SECURITY_OPERATOR,
            R.COMPLIANCE_ADMIN,
            R.SECURITY_READER,
            R.GLOBAL_READER,
        },
    ),
    (
        "get",
        "/api/v1/files/",
        None,
        {
            R.GLOBAL_ADMIN,
            R.SECURITY_OPERATOR,
            R.COMPLIANCE_ADMIN,
            R.SECURITY_READER,
            R.GLOBAL_READER,
        },
    ),
    (
        "get",
        "/api/v1/files/{file}/",
        None,
        {
            R.GLOBAL_ADMIN,
            R.SECURITY_OPERATOR,
            R.COMPLIANCE_ADMIN,
            R.SECURITY_READER,
            R.GLOBAL_READER,
        },
    ),
    (
        "get",
        "/api/v1/subnet/",
        None,
        {
            R.GLOBAL_ADMIN,
            R.SECURITY_OPERATOR,
            R.COMPLIANCE_ADMIN,
            R.SECURITY_READER,
            R.GLOBAL_READER,
        },
    ),
    (
        "post",
        "/api/v1/subnet/create_rule/",
        {"name": "New", "category": 1, "subnets": ["10.9.0.0/16"]},
        {R.GLOBAL_ADMIN},
    ),
    (
        "post",
        "/api/v1/subnet/{subnet}/update_rule/",
        {"name": "Renamed", "category": 2, "subnets": ["10.8.0.0/16"]},
        {R.GLOBAL_ADMIN},
    ),
    ("delete", "/api/v1/subnet/{subnet}/", None, {R.GLOBAL_ADMIN}),
    ("get", "/api/discovery/streams/", None, set(Role)),
    ("get", "/api/v1/discovery/uploads/", None, set(Role)),
    ("get", "/api/v1/discovery/discovered_apps/categories/?streamId={source}", None, set(Role)),
    ("post", "/api/v1/discovery/discovered_apps/categories/", {"streamId": "{source}"}, set(Role)),
    (
        "get",
        "/api/discovery_block_scripts/?format=120&type=banned",
        None,
        {R.GLOBAL_ADMIN, R.DISCOVERY_ADMIN},
    ),
    (
        "get",
        "/api/v1/discovery/upload_url/?filename=a.log&source=SQUID",
        None,
        {R.GLOBAL_ADMIN, R.DISCOVERY_ADMIN},
    ),
]


def fill(text: str, data) -> str:
    for name, record in data.items():
        text = text.replace("{" + name + "}", getattr(record, "public_id", ""))
    return text


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS]
)
def test_each_endpoint_for_each_role(token_client, data, role, method, path, body, allowed):
    client = token_client(role)
    path = fill(path, data)
    if body is not None:
        import json

        body = json.loads(fill(json.dumps(body), data))

    response = (
        getattr(client, method)(path, body, format="json")
        if body
        else getattr(client, method)(path)
    )

    if role in allowed:
        assert response.status_code == 200, (response.status_code, response.json())
    else:
        assert response.status_code == 403
        assert response.json()["detail"].startswith("This requires the ")


def test_a_readers_refused_changes_alter_nothing(token_client, data):
    reader = token_client(Role.SECURITY_READER)
    alert, activity, subnet = data["alert"], data["activity"], data["subnet"]

    reader.post(f"/api/v1/alerts/{alert.public_id}/read/")
    reader.post(
        "/api/v1/alerts/close_true_positive/",
        {"filters": {"id": {"eq": [alert.public_id]}}},
        format="json",
    )
    reader.post(
        f"/api/v1/activities/{activity.public_id}/feedback", {"feedbackValue": "1"}, format="json"
    )
    reader.post(
        f"/api/v1/subnet/{subnet.public_id}/update_rule/",
        {"name": "x", "category": 1, "subnets": ["1.0.0.0/8"]},
        format="json",
    )
    reader.delete(f"/api/v1/subnet/{subnet.public_id}/")

    assert Alert.objects.values("status", "resolution_status").get() == {
        "status": 0,
        "resolution_status": 0,
    }
    assert Activity.objects.get().feedback == {}
    assert Subnet.objects.get().name == subnet.name


def test_a_demoted_issuer_demotes_the_token_at_once(token_client, data):
    client = token_client(Role.GLOBAL_ADMIN)
    assert (
        client.post(
            "/api/v1/subnet/create_rule/",
            {"name": "A", "category": 1, "subnets": ["10.1.0.0/16"]},
            format="json",
        ).status_code
        == 200
    )

    client.user.role = Role.SECURITY_READER
    client.user.save()

    assert (
        client.post(
            "/api/v1/subnet/create_rule/",
            {"name": "B", "category": 1, "subnets": ["10.2.0.0/16"]},
            format="json",
        ).status_code
        == 403
    )


@pytest.mark.parametrize("kind", ["siem", "log_collector", "scim"])
def test_other_kinds_of_token_are_refused(token_client, data, kind):
    client = token_client(Role.GLOBAL_ADMIN, kind=kind)

    response = client.get("/api/v1/alerts/")

    assert response.status_code == 403
    assert response.json() == {"detail": f"A token of kind '{kind}' cannot call this endpoint."}


def test_entra_application_tokens_use_their_roles(api_client, entra, data):
    from conftest import PORTAL_CLIENT_ID

    def call(roles, method, path, body=None):
        token = entra.access_token(
            tid=entra.tid, audience=PORTAL_CLIENT_ID, roles=roles, client_id="app"
        )
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is not None:
            return getattr(api_client, method)(path, body, format="json", **kwargs)
        return getattr(api_client, method)(path, **kwargs)

    assert call(["Investigation.read"], "get", "/api/v1/activities/").status_code == 200
    assert call(["Discovery.read"], "get", "/api/v1/activities/").status_code == 403
    assert call(["Discovery.read"], "get", "/api/v1/alerts/").status_code == 200
    assert call(["Settings.read"], "get", "/api/v1/subnet/").status_code == 200
    assert (
        call(["Settings.read"], "delete", f"/api/v1/subnet/{data['subnet'].public_id}/").status_code
        == 403
    )
    assert (
        call(
            ["Settings.manage"], "delete", f"/api/v1/subnet/{data['subnet'].public_id}/"
        ).status_code
        == 200
    )


def test_unauthenticated_calls_are_a_401(api_client, data):
    response = api_client.get("/api/v1/alerts/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


# --- tenant isolation --------------------------------------------------------------------------


@pytest.fixture
def theirs(other_tenant):
    """Fabrikam's records, which Contoso's tokens must never reach."""
    return {
        "alert": make_alert(other_tenant, title="Fabrikam alert"),
        "activity": make_activity(
            other_tenant, description="Fabrikam activity", user_name="eve@fabrikam.com"
        ),
        "entity": make_entity(other_tenant, entity_id="e1", saas=0, display_name="Fabrikam person"),
        "file": make_file(other_tenant, name="fabrikam.docx"),
        "subnet": make_subnet(other_tenant, name="Fabrikam range"),
    }


def test_lists_and_filters_never_reach_another_tenant(admin_api, data, theirs):
    for resource in ("alerts", "activities", "entities", "files", "subnet"):
        body = admin_api.get(f"/api/v1/{resource}/").json()
        assert body["total"] == 1, resource
    by_id = admin_api.post(
        "/api/v1/alerts/", {"filters": {"id": {"eq": [theirs["alert"].public_id]}}}, format="json"
    )
    by_user = admin_api.post(
        "/api/v1/activities/",
        {"filters": {"user.username": {"eq": ["eve@fabrikam.com"]}}},
        format="json",
    )
    assert by_id.json()["total"] == 0
    assert by_user.json()["total"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/alerts/{alert}/"),
        ("post", "/api/v1/alerts/{alert}/read/"),
        ("post", "/api/v1/alerts/{alert}/dismiss/"),
        ("get", "/api/v1/activities/{activity}/"),
        ("post", "/api/v1/activities/{activity}/feedback"),
        ("get", "/api/v1/files/{file}/"),
        ("get", "/api/v1/subnet/{subnet}/"),
        ("post", "/api/v1/subnet/{subnet}/update_rule/"),
        ("delete", "/api/v1/subnet/{subnet}/"),
    ],
)
def test_another_tenants_records_are_not_found_by_id(admin_api, data, theirs, method, path):
    response = getattr(admin_api, method)(
        fill(path, theirs),
        {"name": "x", "category": 1, "subnets": ["1.0.0.0/8"], "feedbackValue": "1"},
        format="json",
    )

    assert response.status_code == 404
    assert Alert.objects.get(pk=theirs["alert"].pk).status == 0
    assert Subnet.objects.get(pk=theirs["subnet"].pk).name == "Fabrikam range"


def test_the_same_entity_id_in_two_tenants_resolves_to_ones_own(admin_api, data, theirs):
    assert (
        admin_api.get(f"/api/v1/entities/{ENTITY_PK}/").json()["displayName"]
        == data["entity"].display_name
    )


def test_closing_by_filter_never_closes_another_tenants_alerts(admin_api, data, theirs):
    response = admin_api.post(
        "/api/v1/alerts/close_benign/",
        {"filters": {"id": {"eq": [data["alert"].public_id, theirs["alert"].public_id]}}},
        format="json",
    )

    assert response.json() == {"closed_benign": 1, "alertsNotFound": [theirs["alert"].public_id]}
    assert Alert.objects.get(pk=theirs["alert"].pk).resolution_status == 0


def test_a_token_on_another_tenants_address_is_a_401(tenant, other_tenant, data, api_client):
    _, value = make_token(make_user(tenant, Role.GLOBAL_ADMIN))

    response = api_client.get(
        "/api/v1/alerts/", HTTP_HOST="fabrikam.eu2.portal.test", HTTP_AUTHORIZATION=f"Token {value}"
    )

    assert response.status_code == 401
