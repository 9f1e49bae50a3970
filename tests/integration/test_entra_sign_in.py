"""Sign in with Microsoft: social-auth against the fake Entra over real HTTP, with real
signatures; roles come from the id_token's `roles` claim at every sign-in."""

import uuid

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from tests.entra_flow import CONTOSO, sign_in_with_microsoft
from tests.factories import make_token, make_user

APP_ROLES = {
    "GlobalAdmin": Role.GLOBAL_ADMIN,
    "SecurityOperator": Role.SECURITY_OPERATOR,
    "ComplianceAdmin": Role.COMPLIANCE_ADMIN,
    "SecurityReader": Role.SECURITY_READER,
    "GlobalReader": Role.GLOBAL_READER,
    "DiscoveryAdmin": Role.DISCOVERY_ADMIN,
}


def add_alice(entra, **fields):
    fields.setdefault("roles", ["SecurityReader"])
    return entra.add_account(entra.tid, upn="alice@contoso.com", name="Alice Smith", **fields)


def refusal(response) -> str:
    assert response.status_code == 403
    assert "_auth_user_id" not in response.wsgi_request.session
    return response.context["reason"]


def test_the_sign_in_page_offers_microsoft_first_and_the_local_form_below(client, entra):
    page = client.get("/accounts/login/", HTTP_HOST=CONTOSO).content.decode()

    assert page.index("Sign in with Microsoft") < page.index('name="password"')
    assert 'action="/sso/login/entra/"' in page


def test_no_microsoft_button_for_a_tenant_without_an_entra_directory(client, entra, tenant):
    tenant.entra_tenant_id = None
    tenant.save()

    page = client.get("/accounts/login/", HTTP_HOST=CONTOSO).content.decode()
    begin = client.post("/sso/login/entra/", HTTP_HOST=CONTOSO)

    assert "Sign in with Microsoft" not in page
    assert begin.status_code == 403
    assert begin.context["reason"] == (
        "Contoso has not connected a Microsoft Entra directory to this portal."
    )


def test_first_sign_in_creates_the_user_in_the_tenant_and_lands_on_the_tokens_page(
    client, entra, tenant
):
    alice = add_alice(entra)

    response = sign_in_with_microsoft(client, alice)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="alice@contoso.com")
    assert (user.tenant, user.role, user.entra_object_id) == (
        tenant,
        Role.SECURITY_READER,
        uuid.UUID(alice.oid),
    )
    assert (user.first_name, user.last_name, user.email) == ("Alice", "Smith", "alice@contoso.com")
    assert not user.has_usable_password()
    # Entra's tokens are checked and dropped: only the ids are kept with the association.
    assert user.social_auth.get().extra_data == {"oid": alice.oid, "tid": entra.tid}
    page = client.get("/", HTTP_HOST=CONTOSO, follow=True)
    assert page.redirect_chain[-1][0] == "/settings/security-extensions/api-tokens/"
    assert page.context["user"] == user


@pytest.mark.parametrize(("app_role", "role"), APP_ROLES.items())
def test_each_app_role_maps_to_its_portal_role(client, entra, app_role, role):
    account = add_alice(entra, roles=[app_role])

    sign_in_with_microsoft(client, account)

    assert User.objects.get(entra_object_id=account.oid).role == role


def test_the_most_privileged_of_several_app_roles_wins(client, entra):
    account = add_alice(entra, roles=["SecurityReader", "GlobalAdmin", "Unrelated"])

    sign_in_with_microsoft(client, account)

    assert User.objects.get(entra_object_id=account.oid).role == Role.GLOBAL_ADMIN


def test_the_role_mapping_is_configurable(client, entra, settings):
    settings.ENTRA_ROLE_MAP = {"Portal.Admins": Role.GLOBAL_ADMIN}
    account = add_alice(entra, roles=["Portal.Admins"])

    sign_in_with_microsoft(client, account)

    assert User.objects.get(entra_object_id=account.oid).role == Role.GLOBAL_ADMIN


def test_a_role_changed_in_entra_applies_at_the_next_sign_in(client, entra):
    account = add_alice(entra, roles=["GlobalAdmin"])
    sign_in_with_microsoft(client, account)
    client.logout()

    account.roles = ["SecurityReader"]
    sign_in_with_microsoft(client, account)

    user = User.objects.get(entra_object_id=account.oid)
    assert user.role == Role.SECURITY_READER
    assert User.objects.filter(username__iexact="alice@contoso.com").count() == 1


def test_a_demotion_in_entra_tells_each_token_what_it_lost_at_the_next_sign_in(client, entra):
    from tokens.models import ApiToken, EventKind, TokenEvent

    account = add_alice(entra, roles=["SecurityOperator"])
    sign_in_with_microsoft(client, account)
    client.logout()
    token, _ = make_token(User.objects.get(entra_object_id=account.oid), name="Closer")

    account.roles = ["SecurityReader"]
    sign_in_with_microsoft(client, account)

    assert TokenEvent.objects.get(kind=EventKind.DRIFTED).detail == (
        "Role of alice@contoso.com: Security operator → Security reader. Lost Investigation.manage."
    )
    token = ApiToken.objects.select_related("user").get(pk=token.pk)
    assert token.lost_capabilities == ["Investigation.manage"]


def test_a_role_removed_in_entra_is_removed_here_and_the_sign_in_refused(client, entra, api_client):
    account = add_alice(entra, roles=["SecurityOperator"])
    sign_in_with_microsoft(client, account)
    client.logout()
    user = User.objects.get(entra_object_id=account.oid)
    _, value = make_token(user)

    account.roles = []
    reason = refusal(sign_in_with_microsoft(client, account))

    assert reason.startswith("Your account has no role in this portal.")
    user.refresh_from_db()
    assert user.role == ""
    me = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}")
    assert me.json()["capabilities"] == []
    assert me.json()["role"] == {"value": "", "label": "No role"}


def test_a_user_with_no_mapped_role_gets_a_page_not_a_session(client, entra):
    account = add_alice(entra, roles=["SomethingElse"])

    reason = refusal(sign_in_with_microsoft(client, account))

    assert reason == (
        "Your account has no role in this portal. Ask an administrator to assign you one of "
        "the portal's app roles in Microsoft Entra ID."
    )
    assert not User.objects.filter(username="alice@contoso.com").exists()


def test_an_unknown_entra_tenant_gets_a_page_not_a_session(client, entra):
    stranger = entra.add_account(
        str(uuid.uuid4()), upn="eve@elsewhere.com", name="Eve", roles=["GlobalAdmin"]
    )

    reason = refusal(sign_in_with_microsoft(client, stranger, host="testserver"))

    assert reason == (
        "Your organisation's Microsoft Entra directory is not connected to any tenant of this "
        "portal."
    )
    assert not User.objects.filter(username="eve@elsewhere.com").exists()


def test_on_the_generic_portal_the_tid_claim_decides_the_tenant(client, entra, tenant):
    account = add_alice(entra)

    response = sign_in_with_microsoft(client, account, host="testserver")

    assert response.status_code == 302
    assert User.objects.get(entra_object_id=account.oid).tenant == tenant


def test_another_directorys_account_cannot_sign_in_on_this_tenants_url(client, entra, other_tenant):
    other_tenant.entra_tenant_id = uuid.uuid4()
    other_tenant.save()
    outsider = entra.add_account(
        str(other_tenant.entra_tenant_id), upn="bob@fabrikam.com", name="Bob", roles=["GlobalAdmin"]
    )

    reason = refusal(sign_in_with_microsoft(client, outsider, host=CONTOSO))

    assert "tenant" in reason.lower()
    assert not User.objects.filter(username="bob@fabrikam.com").exists()


@pytest.mark.parametrize(
    ("change", "reason_contains"),
    [
        pytest.param({"tamper": True}, "signature", id="tampered"),
        pytest.param({"id_token_claims": {"aud": "someone-else"}}, "audience", id="wrong-audience"),
        pytest.param({"id_token_claims": {"exp": 1_000_000_000}}, "expired", id="expired"),
        pytest.param(
            {"id_token_claims": {"iss": "https://evil.example/v2.0"}}, "issuer", id="wrong-issuer"
        ),
    ],
)
def test_an_id_token_that_fails_its_checks_gets_a_page_not_a_session(
    client, entra, change, reason_contains
):
    account = add_alice(entra, roles=["GlobalAdmin"], **change)

    reason = refusal(sign_in_with_microsoft(client, account))

    assert reason_contains in reason.lower()
    assert not User.objects.filter(username="alice@contoso.com").exists()


def test_a_deprovisioned_user_gets_a_page_not_a_session(client, entra, tenant):
    account = add_alice(entra)
    make_user(
        tenant,
        username="alice@contoso.com",
        entra_object_id=account.oid,
        deprovisioned_at=timezone.now(),
    )

    reason = refusal(sign_in_with_microsoft(client, account))

    assert reason == "Your account has been deprovisioned. Ask an administrator to restore it."


def test_an_account_made_by_an_administrator_is_adopted_by_user_name(client, entra, tenant):
    # Made for Entra: no password of its own.
    existing = make_user(tenant, Role.SECURITY_READER, username="Alice@Contoso.com", password=None)
    account = add_alice(entra, roles=["SecurityOperator"])

    sign_in_with_microsoft(client, account)

    existing.refresh_from_db()
    assert existing.entra_object_id == uuid.UUID(account.oid)
    assert existing.role == Role.SECURITY_OPERATOR
    assert User.objects.filter(tenant=tenant).count() == 1


def test_sign_in_returns_to_the_page_asked_for(client, entra):
    account = add_alice(entra)
    start = client.get("/settings/system/about/", HTTP_HOST=CONTOSO)
    next_url = start["Location"].split("next=", 1)[1].replace("%2F", "/")

    response = sign_in_with_microsoft(client, account, next_url=next_url)

    assert next_url == "/settings/system/about/"
    assert response["Location"] == "/settings/system/about/"


def test_a_replayed_callback_is_refused(client, entra):
    account = add_alice(entra)
    first = sign_in_with_microsoft(client, account)
    callback = first.wsgi_request.get_full_path()
    client.logout()

    again = client.get(callback, HTTP_HOST=CONTOSO)

    assert again.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_local_break_glass_account_is_never_adopted(client, entra, tenant):
    local = make_user(
        tenant, Role.GLOBAL_ADMIN, username="alice@contoso.com", password="Local-Pass-2026!"
    )
    account = add_alice(entra, roles=["SecurityReader"])

    reason = refusal(sign_in_with_microsoft(client, account))

    assert reason == (
        "A local account of this portal has your user name, so Microsoft sign-in cannot use "
        "it. Ask an administrator to rename one of the two."
    )
    local.refresh_from_db()
    assert (local.role, local.entra_object_id, local.check_password("Local-Pass-2026!")) == (
        Role.GLOBAL_ADMIN,
        None,
        True,
    )
    assert "_auth_user_id" not in client.session


def test_a_service_account_is_never_adopted_by_a_person_of_its_name(client, entra, tenant):
    from accounts.service_accounts import service_account_create

    custodian = make_user(tenant, Role.SECURITY_READER)
    bot = service_account_create(
        tenant=tenant, name="sentinel-connector", role=Role.GLOBAL_ADMIN, custodians=[custodian.pk]
    )
    account = entra.add_account(
        entra.tid, upn="sentinel-connector", name="Sneaky", roles=["SecurityReader"]
    )

    reason = refusal(sign_in_with_microsoft(client, account))

    assert reason == (
        "A service account of this portal has your user name, so Microsoft sign-in cannot use "
        "it. Ask an administrator to rename the service account."
    )
    bot.refresh_from_db()
    assert (bot.role, bot.entra_object_id, bot.is_service_account) == (
        Role.GLOBAL_ADMIN,
        None,
        True,
    )


def test_the_same_user_name_in_another_tenant_does_not_stop_sign_in(
    client, entra, tenant, other_tenant
):
    make_user(other_tenant, Role.GLOBAL_ADMIN, username="alice@contoso.com")
    account = add_alice(entra, roles=["SecurityReader"])

    sign_in_with_microsoft(client, account)

    user = User.objects.get(tenant=tenant, username="alice@contoso.com")
    assert (user.role, str(user.entra_object_id)) == (Role.SECURITY_READER, account.oid)
