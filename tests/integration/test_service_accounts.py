"""Service accounts (accounts/service_accounts.py): made by a full admin with a role and
custodians; never signing in, invisible to SCIM; owning tokens that act with its role (never
more than whoever generated them may do) and survive every custodian's deprovisioning, which
raises an alert and marks it "no custodian" until a full admin names one; custodians see and
manage its tokens as their own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from accounts.service_accounts import service_account_create
from accounts.services import user_deprovision
from security.models import Alert
from tests.factories import make_token, make_user
from tokens.models import ApiToken, EventKind, TokenEvent

CONTOSO = "contoso.us2.portal.test"
ACCOUNTS = "/api/v1/service-accounts/"
TOKENS = "/api/v1/tokens/"


@pytest.fixture
def custodian(tenant):
    """A security operator who looks after the service account."""
    return make_user(tenant, Role.SECURITY_OPERATOR, username="olga@contoso.com")


@pytest.fixture
def account(tenant, custodian):
    """A service account with the security operator's role, Olga its custodian."""
    return service_account_create(
        tenant=tenant,
        name="sentinel-connector",
        role=Role.SECURITY_OPERATOR,
        custodians=[custodian.pk],
    )


def me(value: str):
    return APIClient(HTTP_ACCEPT="application/json", HTTP_HOST=CONTOSO).get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}"
    )


def generate_for(api_client, user, account, **body):
    api_client.force_authenticate(user)
    return api_client.post(
        TOKENS, {"name": "Sentinel", "service_account": account.pk, **body}, format="json"
    )


# --- made by a full admin ------------------------------------------------------------------------


def test_a_full_admin_creates_one_and_the_users_api_marks_it(api_client, admin_user, custodian):
    api_client.force_authenticate(admin_user)

    made = api_client.post(
        ACCOUNTS,
        {"name": "soar-playbooks", "role": "security_reader", "custodians": [custodian.pk]},
        format="json",
    )
    listed = {row["username"]: row for row in api_client.get("/api/v1/users/").json()["results"]}

    assert made.status_code == 201
    account = User.objects.get(username="soar-playbooks")
    assert (account.is_service_account, account.has_usable_password(), account.entra_object_id) == (
        True,
        False,
        None,
    )
    assert listed["soar-playbooks"] | {"id": 0} == {
        "id": 0,
        "username": "soar-playbooks",
        "name": "soar-playbooks",
        "email": "",
        "role": "security_reader",
        "role_label": "Security reader",
        "entra_object_id": None,
        "deprovisioned": False,
        "deprovisioned_at": None,
        "service_account": True,
        "custodians": [custodian.pk],
        "no_custodian": False,
    }
    assert (
        listed["olga@contoso.com"]["service_account"],
        listed["olga@contoso.com"]["custodians"],
    ) == (
        False,
        [],
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"name": "a@b", "role": "security_reader", "custodians": ["CUSTODIAN"]},
            "name: Use 1 to 64",
        ),
        ({"name": "ok", "role": "king", "custodians": ["CUSTODIAN"]}, "role: Choose one of"),
        ({"name": "ok", "role": "security_reader", "custodians": []}, "custodians: "),
        (
            {"name": "ok", "role": "security_reader", "custodians": [999999]},
            "custodians: Not an active person of this tenant: 999999.",
        ),
        (
            {"name": "ok", "role": "security_reader", "custodians": ["CUSTODIAN"], "password": "x"},
            "password: Unknown field",
        ),
    ],
)
def test_malformed_bodies_are_refused_and_nothing_is_made(
    api_client, admin_user, custodian, body, detail
):
    body = {
        **body,
        "custodians": [custodian.pk if c == "CUSTODIAN" else c for c in body["custodians"]],
    }
    api_client.force_authenticate(admin_user)

    response = api_client.post(ACCOUNTS, body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert not User.objects.filter(is_service_account=True).exists()


def test_a_deprovisioned_person_or_another_tenants_cannot_be_a_custodian(
    api_client, admin_user, custodian, other_tenant
):
    stranger = make_user(other_tenant, Role.GLOBAL_ADMIN)
    user_deprovision(user=custodian)
    api_client.force_authenticate(admin_user)

    for pk in (custodian.pk, stranger.pk):
        response = api_client.post(
            ACCOUNTS, {"name": "x", "role": "security_reader", "custodians": [pk]}, format="json"
        )
        assert (response.status_code, response.json()["detail"]) == (
            400,
            f"custodians: Not an active person of this tenant: {pk}. A custodian is a person "
            "who may sign in.",
        )


def test_a_name_the_tenant_has_is_a_conflict(api_client, admin_user, account, custodian):
    api_client.force_authenticate(admin_user)

    response = api_client.post(
        ACCOUNTS,
        {"name": "Sentinel-Connector", "role": "security_reader", "custodians": [custodian.pk]},
        format="json",
    )

    assert (response.status_code, response.json()["detail"]) == (
        409,
        "A user named Sentinel-Connector exists",
    )


def test_only_a_signed_in_full_admin_creates_one(api_client, reader, custodian, admin_user):
    api_client.force_authenticate(reader)
    by_reader = api_client.post(
        ACCOUNTS,
        {"name": "x", "role": "security_reader", "custodians": [custodian.pk]},
        format="json",
    )
    _, value = make_token(admin_user)
    with_token = APIClient(HTTP_ACCEPT="application/json", HTTP_HOST=CONTOSO).post(
        ACCOUNTS,
        {"name": "x", "role": "security_reader", "custodians": [custodian.pk]},
        format="json",
        HTTP_AUTHORIZATION=f"Token {value}",
    )

    assert by_reader.status_code == 403
    assert (with_token.status_code, with_token.json()["detail"]) == (
        403,
        "A service account is created by a signed-in user, not with a token.",
    )
    assert not User.objects.filter(is_service_account=True).exists()


# --- it never signs in, and SCIM never sees it ----------------------------------------------------


def test_it_cannot_sign_in_with_a_password(client, account):
    assert client.login(username="sentinel-connector", password="") is False
    response = client.post(
        "/accounts/login/",
        {"login": "sentinel-connector", "password": "anything"},
        HTTP_HOST=CONTOSO,
    )
    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session


def test_scim_neither_lists_nor_finds_it_and_cannot_take_its_name(account, admin_user):
    from tokens.rotation import scim_token_rotate

    _, value = scim_token_rotate(user=admin_user)
    scim = APIClient(HTTP_HOST=CONTOSO, HTTP_AUTHORIZATION=f"Bearer {value}")

    listed = scim.get("/scim/v2/Users")
    found = scim.get(f"/scim/v2/Users/{account.pk}")
    taken = scim.post(
        "/scim/v2/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "sentinel-connector",
        },
        format="json",
    )

    assert [r["userName"] for r in listed.json()["Resources"]] == []
    assert found.status_code == 404
    assert taken.status_code == 409
    account.refresh_from_db()
    assert (account.is_service_account, account.is_active) == (True, True)


# --- its tokens ---------------------------------------------------------------------------------


def test_a_custodian_generates_its_token_which_acts_with_its_role(api_client, account, custodian):
    response = generate_for(api_client, custodian, account)

    assert response.status_code == 201
    body = response.json()
    assert (body["generated_by"], body["made_by"]["username"]) == (
        {
            "id": account.pk,
            "username": "sentinel-connector",
            "name": "sentinel-connector",
            "service_account": True,
        },
        "olga@contoso.com",
    )
    called = me(body["token"])
    assert called.status_code == 200
    assert called.json()["user"]["username"] == "sentinel-connector"
    assert sorted(called.json()["capabilities"]) == [
        "Discovery.read",
        "Investigation.manage",
        "Investigation.read",
        "Settings.read",
    ]
    event = TokenEvent.objects.get(token_id=body["id"], kind=EventKind.GENERATED)
    assert (event.actor_label, event.detail) == (
        "olga@contoso.com",
        "Generated for sentinel-connector.",
    )


def test_a_custodian_gives_its_token_no_more_than_they_may_do(api_client, tenant, custodian):
    reader = make_user(tenant, Role.SECURITY_READER)
    admin_account = service_account_create(
        tenant=tenant, name="admin-bot", role=Role.GLOBAL_ADMIN, custodians=[reader.pk]
    )

    refused = generate_for(api_client, reader, admin_account, scopes=["Settings.manage"])
    made = generate_for(api_client, reader, admin_account)

    assert (refused.status_code, refused.json()["detail"]) == (
        400,
        "scopes: You may not use Settings.manage yourself, so you cannot give it to a service "
        "account's token.",
    )
    assert made.status_code == 201
    assert sorted(made.json()["capabilities"]) == [
        "Discovery.read",
        "Investigation.read",
        "Settings.read",
    ]
    assert me(made.json()["token"]).json()["capabilities"] == made.json()["capabilities"]


def test_only_its_custodians_and_full_admins_generate_for_it(
    api_client, account, reader, admin_user
):
    refused = generate_for(api_client, reader, account)
    by_admin = generate_for(api_client, admin_user, account)

    assert (refused.status_code, refused.json()["detail"]) == (
        404,
        "Service account not found among those you may generate tokens for: you must be its "
        "custodian, or a full admin.",
    )
    assert by_admin.status_code == 201
    assert ApiToken.objects.filter(user=account).count() == 1


def test_custodians_see_and_manage_its_tokens_as_their_own(api_client, account, custodian, tenant):
    other_custodian = make_user(tenant, Role.SECURITY_OPERATOR, username="pat@contoso.com")
    account.custodians.add(other_custodian)
    made = generate_for(api_client, custodian, account).json()
    make_token(make_user(tenant, Role.SECURITY_READER), name="Someone else's")

    api_client.force_authenticate(other_custodian)
    listed = api_client.get(TOKENS).json()["results"]
    rotated = api_client.post(f"{TOKENS}{made['id']}/rotate/", {"grace": "none"}, format="json")
    revoked = api_client.delete(f"{TOKENS}{rotated.json()['id']}/")

    assert [row["name"] for row in listed] == ["Sentinel"]
    assert rotated.status_code == 201
    assert revoked.status_code == 204
    event = TokenEvent.objects.filter(kind=EventKind.REVOKED).latest("id")
    assert (event.reason, event.actor_label) == ("by_custodian", "pat@contoso.com")


# --- it outlives every custodian ------------------------------------------------------------------


def test_its_token_survives_deprovisioning_every_custodian(
    api_client, tenant, account, custodian, admin_user, django_capture_on_commit_callbacks
):
    second = make_user(tenant, Role.SECURITY_READER, username="pat@contoso.com")
    account.custodians.add(second)
    value = generate_for(api_client, custodian, account).json()["token"]

    with django_capture_on_commit_callbacks(execute=True):
        user_deprovision(user=custodian)
        alerts_after_first = Alert.objects.count()
        user_deprovision(user=second)

    assert me(value).status_code == 200
    assert alerts_after_first == 0
    alert = Alert.objects.get()
    assert alert.title == "Service account sentinel-connector has no custodian"
    assert "pat@contoso.com" in alert.description
    api_client.force_authenticate(admin_user)
    row = next(
        r for r in api_client.get("/api/v1/users/").json()["results"] if r["id"] == account.pk
    )
    assert (row["custodians"], row["no_custodian"]) == (sorted([custodian.pk, second.pk]), True)

    named = api_client.patch(
        f"{ACCOUNTS}{account.pk}/", {"custodians": [admin_user.pk]}, format="json"
    )

    assert (named.status_code, named.json()["custodians"], named.json()["no_custodian"]) == (
        200,
        [admin_user.pk],
        False,
    )
    assert me(value).status_code == 200


def test_a_role_change_of_the_account_changes_what_its_tokens_do(
    api_client, account, custodian, admin_user
):
    value = generate_for(api_client, custodian, account).json()["token"]
    api_client.force_authenticate(admin_user)

    changed = api_client.patch(
        f"{ACCOUNTS}{account.pk}/", {"role": "security_reader"}, format="json"
    )

    assert changed.json()["role"] == "security_reader"
    assert "Investigation.manage" not in me(value).json()["capabilities"]
    drift = TokenEvent.objects.get(kind=EventKind.DRIFTED)
    assert drift.detail.startswith(
        "Role of sentinel-connector: Security operator → Security reader."
    )


def test_a_person_is_not_changed_as_a_service_account(api_client, admin_user, custodian):
    api_client.force_authenticate(admin_user)

    response = api_client.patch(
        f"{ACCOUNTS}{custodian.pk}/", {"role": "global_admin"}, format="json"
    )

    assert response.status_code == 404
    custodian.refresh_from_db()
    assert custodian.role == Role.SECURITY_OPERATOR


def test_the_token_check_of_its_token_is_one_query(api_client, account, custodian):
    value = generate_for(api_client, custodian, account).json()["token"]
    me(value)  # its first use writes last_used_at

    with CaptureQueriesContext(connection) as queries:
        response = me(value)

    assert response.status_code == 200
    assert len(queries) == 1


def test_a_custodian_regenerates_only_what_they_may_do_themselves(api_client, tenant, admin_user):
    reader = make_user(tenant, Role.SECURITY_READER, username="rea@contoso.com")
    account = service_account_create(
        tenant=tenant, name="closer", role=Role.SECURITY_OPERATOR, custodians=[reader.pk]
    )
    by_admin = generate_for(api_client, admin_user, account).json()  # it can close alerts

    api_client.force_authenticate(reader)
    refused = api_client.post(f"{TOKENS}{by_admin['id']}/rotate/", {}, format="json")
    revoked = api_client.delete(f"{TOKENS}{by_admin['id']}/")

    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "This token can use Investigation.manage, which you may not yourself: a full admin "
        "regenerates it. You may revoke it.",
    )
    assert ApiToken.objects.filter(user=account).count() == 1  # nothing minted
    assert revoked.status_code == 204


def test_creating_and_changing_one_is_in_the_tenants_event_log(
    api_client, admin_user, custodian, tenant
):
    second = make_user(tenant, Role.SECURITY_READER, username="pat@contoso.com")
    api_client.force_authenticate(admin_user)
    made = api_client.post(
        ACCOUNTS,
        {"name": "soar-bot", "role": "security_reader", "custodians": [custodian.pk]},
        format="json",
        REMOTE_ADDR="203.0.113.5",
    ).json()

    api_client.patch(
        f"{ACCOUNTS}{made['id']}/",
        {"role": "security_operator", "custodians": [second.pk, custodian.pk]},
        format="json",
    )
    api_client.patch(f"{ACCOUNTS}{made['id']}/", {"role": "security_operator"}, format="json")

    events = TokenEvent.objects.filter(kind=EventKind.SERVICE_ACCOUNT).order_by("id")
    assert [(e.token_id, e.owner_id, e.actor_label, e.detail) for e in events] == [
        (
            None,
            made["id"],
            "admin@contoso.com",
            "Service account soar-bot created with the role Security reader; custodians: "
            "olga@contoso.com.",
        ),
        (
            None,
            made["id"],
            "admin@contoso.com",
            "Service account soar-bot: custodians: olga@contoso.com → olga@contoso.com, "
            "pat@contoso.com; role: Security reader → Security operator.",
        ),
    ]  # the last PATCH changed nothing: no event
    assert events[0].source_ip == "203.0.113.5"
