"""SCIM 2.0 provisioning as Entra's provisioning service calls it, with the tenant's SCIM
secret token; disabling a user deprovisions them at once."""

import pytest
from django.test import Client

from accounts.models import User
from accounts.roles import Role
from tests.factories import make_token, make_user
from tokens.models import ApiToken, Kind
from tokens.rotation import scim_token_rotate

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
HOST = "contoso.us2.portal.test"


@pytest.fixture
def scim(admin_user):
    """A client holding Contoso's SCIM secret token, as Entra's provisioning service does."""
    _, value = scim_token_rotate(user=admin_user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {value}", HTTP_HOST=HOST)


def post(client, path, body):
    return client.post(path, body, content_type=SCIM)


def patch(client, path, *operations):
    return client.patch(
        path, {"schemas": [PATCH], "Operations": list(operations)}, content_type=SCIM
    )


def entra_user(username="alice@contoso.com", **extra):
    """The body Entra's default attribute mappings send."""
    return {
        "schemas": [USER_SCHEMA],
        "externalId": username.split("@")[0],
        "userName": username,
        "active": True,
        "displayName": "Alice Smith",
        "emails": [{"primary": True, "type": "work", "value": username}],
        "name": {"formatted": "Alice Smith", "familyName": "Smith", "givenName": "Alice"},
        "title": "Analyst",
        **extra,
    }


def test_create_then_get_then_find_by_user_name(scim, tenant):
    created = post(scim, "/scim/v2/Users", entra_user())

    assert created.status_code == 201
    assert created["Content-Type"] == SCIM
    body = created.json()
    user = User.objects.get(username="alice@contoso.com")
    assert body == {
        "schemas": [USER_SCHEMA],
        "id": str(user.pk),
        "userName": "alice@contoso.com",
        "externalId": "alice",
        "name": {"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"},
        "displayName": "Alice Smith",
        "active": True,
        "emails": [{"value": "alice@contoso.com", "type": "work", "primary": True}],
        "meta": {
            "resourceType": "User",
            "created": user.date_joined.isoformat(),
            "location": f"http://{HOST}/scim/v2/Users/{user.pk}",
        },
    }
    assert (user.tenant, user.role, user.has_usable_password()) == (tenant, "", False)
    assert scim.get(f"/scim/v2/Users/{user.pk}").json() == body
    found = scim.get("/scim/v2/Users", {"filter": 'userName eq "ALICE@contoso.com"'}).json()
    assert found["totalResults"] == 1
    assert found["Resources"] == [body]
    by_external = scim.get("/scim/v2/Users", {"filter": 'externalId eq "alice"'}).json()
    assert [r["id"] for r in by_external["Resources"]] == [str(user.pk)]


def test_a_filter_that_matches_nobody_is_an_empty_list(scim):
    response = scim.get("/scim/v2/Users", {"filter": 'userName eq "nobody@contoso.com"'})

    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }


def test_patch_active_false_deprovisions_at_once_and_the_token_still_shows_marked(
    scim, admin_user, tenant, api_client
):
    user = make_user(tenant, Role.SECURITY_OPERATOR, username="bob@contoso.com", password=None)
    token, value = make_token(user, name="Bob's SOAR script")
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}").status_code == 200

    response = patch(
        scim, f"/scim/v2/Users/{user.pk}", {"op": "Replace", "path": "active", "value": "False"}
    )

    assert response.status_code == 200
    assert response.json()["active"] is False
    refused = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}")
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Invalid user - the owner of this token is not permitted to use tokens"
    }
    page = Client()
    page.force_login(admin_user)
    html = page.get("/settings/security-extensions/api-tokens/", HTTP_HOST=HOST).content.decode()
    assert "Bob&#x27;s SOAR script" in html
    assert "Owner deprovisioned" in html
    assert "1 token belongs to deprovisioned users" in html
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_patch_active_true_restores_the_user(scim, tenant, api_client):
    user = make_user(tenant, Role.SECURITY_OPERATOR, password=None)
    _, value = make_token(user)
    patch(scim, f"/scim/v2/Users/{user.pk}", {"op": "replace", "value": {"active": False}})

    response = patch(
        scim, f"/scim/v2/Users/{user.pk}", {"op": "replace", "value": {"active": True}}
    )

    assert response.json()["active"] is True
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}").status_code == 200


def test_patch_updates_names_email_and_external_id(scim, tenant):
    user = make_user(tenant, username="carol@contoso.com", password=None)

    response = patch(
        scim,
        f"/scim/v2/Users/{user.pk}",
        {"op": "Replace", "path": "name.givenName", "value": "Caroline"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "caro@contoso.com"},
        {"op": "Add", "path": "externalId", "value": "caro"},
        {"op": "Replace", "path": "jobTitle", "value": "ignored"},
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.first_name, user.email, user.scim_external_id) == (
        "Caroline",
        "caro@contoso.com",
        "caro",
    )


def test_delete_deprovisions_and_the_user_is_no_longer_a_resource(scim, tenant, api_client):
    user = make_user(tenant, Role.SECURITY_OPERATOR, password=None)
    _, value = make_token(user)

    response = scim.delete(f"/scim/v2/Users/{user.pk}")

    assert response.status_code == 204
    assert scim.get(f"/scim/v2/Users/{user.pk}").status_code == 404
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}").status_code == 403
    user.refresh_from_db()
    assert user.deprovisioned_at is not None
    assert user.tokens.count() == 1


def test_creating_a_deleted_user_again_brings_back_the_same_account(scim, tenant):
    user = make_user(tenant, username="dave@contoso.com", password=None)
    scim.delete(f"/scim/v2/Users/{user.pk}")

    again = post(scim, "/scim/v2/Users", entra_user("dave@contoso.com"))

    assert again.status_code == 201
    assert again.json()["id"] == str(user.pk)
    assert again.json()["active"] is True


def test_an_existing_user_name_is_a_409(scim, tenant):
    make_user(tenant, username="erin@contoso.com", password=None)

    response = post(scim, "/scim/v2/Users", entra_user("Erin@contoso.com"))

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_a_name_another_tenant_uses_is_neither_refused_nor_revealed(scim, tenant, other_tenant):
    theirs = make_user(other_tenant, Role.GLOBAL_ADMIN, username="frank@fabrikam.com")

    response = post(scim, "/scim/v2/Users", entra_user("frank@fabrikam.com"))

    assert response.status_code == 201
    ours = User.objects.get(tenant=tenant, username="frank@fabrikam.com")
    assert response.json()["id"] == str(ours.pk)
    theirs.refresh_from_db()
    assert (theirs.tenant, theirs.role, theirs.is_deprovisioned) == (
        other_tenant,
        Role.GLOBAL_ADMIN,
        False,
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "detail"),
    [
        (
            "get",
            "/scim/v2/Users?filter=displayName%20co%20%22a%22",
            None,
            400,
            'Only filter=userName eq "..." or externalId eq "..." is supported',
        ),
        ("get", "/scim/v2/Users?count=many", None, 400, "startIndex and count must be integers"),
        ("post", "/scim/v2/Users", {"schemas": [USER_SCHEMA]}, 400, "userName is required"),
        ("post", "/scim/v2/Users", {"userName": 5}, 400, "userName must be a string"),
        (
            "post",
            "/scim/v2/Users",
            {"userName": "evil\u202e@contoso.com"},
            400,
            "userName is too long or has control or invisible characters",
        ),
        ("post", "/scim/v2/Users", [1, 2], 400, "The body must be a SCIM User object"),
        (
            "post",
            "/scim/v2/Users",
            {"userName": "x@contoso.com", "active": "maybe"},
            400,
            "active must be a boolean",
        ),
        (
            "patch",
            "/scim/v2/Users/{pk}",
            {"Operations": "replace"},
            400,
            "A PatchOp needs a list of Operations",
        ),
        (
            "patch",
            "/scim/v2/Users/{pk}",
            {"Operations": [{"op": "move"}]},
            400,
            "Unsupported op 'move'",
        ),
        ("get", "/scim/v2/Users/abc", None, 404, "User abc not found"),
        ("get", "/scim/v2/Users/99999999", None, 404, "User 99999999 not found"),
    ],
)
def test_bad_requests_get_a_scim_error_with_a_detail(
    scim, tenant, method, path, body, status, detail
):
    path = path.format(pk=make_user(tenant, password=None).pk)
    kwargs = {"content_type": SCIM} if body is not None else {}
    response = (
        getattr(scim, method)(path, body, **kwargs)
        if body is not None
        else getattr(scim, method)(path)
    )

    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert response.json()["status"] == str(status)


def test_malformed_json_is_a_400_and_nothing_is_written(scim):
    response = scim.post("/scim/v2/Users", "{not json", content_type=SCIM)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert not User.objects.filter(role="").exists()


def test_another_tenants_users_are_not_resources(scim, other_tenant):
    stranger = make_user(other_tenant, username="gina@fabrikam.com")

    assert scim.get(f"/scim/v2/Users/{stranger.pk}").status_code == 404
    assert scim.delete(f"/scim/v2/Users/{stranger.pk}").status_code == 404
    listed = scim.get("/scim/v2/Users", {"filter": 'userName eq "gina@fabrikam.com"'}).json()
    assert listed["totalResults"] == 0
    stranger.refresh_from_db()
    assert stranger.deprovisioned_at is None


def test_scim_needs_its_own_kind_of_token(admin_user, api_client):
    _, api_value = make_token(admin_user)
    _, scim_value = scim_token_rotate(user=admin_user)

    with_api_token = Client(HTTP_AUTHORIZATION=f"Bearer {api_value}").get("/scim/v2/Users")
    without = Client().get("/scim/v2/Users")
    scim_on_api = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {scim_value}")

    assert with_api_token.status_code == 403
    assert with_api_token.json()["detail"] == "A token of kind 'api' cannot call this endpoint."
    assert without.status_code == 401
    assert without["WWW-Authenticate"] == 'Bearer realm="scim"'
    assert scim_on_api.status_code == 403
    assert scim_on_api.json() == {"detail": "A token of kind 'scim' cannot call this endpoint."}


def test_a_new_secret_token_stops_the_old_one(admin_user):
    _, old = scim_token_rotate(user=admin_user)
    _, new = scim_token_rotate(user=admin_user)

    assert Client(HTTP_AUTHORIZATION=f"Bearer {old}").get("/scim/v2/Users").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Bearer {new}").get("/scim/v2/Users").status_code == 200
    assert ApiToken.objects.live().filter(kind=Kind.SCIM).count() == 1


def test_the_token_stops_when_its_issuer_is_no_longer_an_admin(scim, admin_user):
    admin_user.role = Role.SECURITY_READER
    admin_user.save()

    response = scim.get("/scim/v2/Users")

    assert response.status_code == 403
    assert response.json()["detail"] == "The SCIM token's issuer may no longer manage users."


# --- the page where a full admin gets the secret token ----------------------------------------


def test_the_provisioning_page_shows_the_url_and_a_new_token_once(client, admin_user):
    client.force_login(admin_user)

    before = client.get("/settings/system/provisioning/", HTTP_HOST=HOST)
    generated = client.post("/settings/system/provisioning/", HTTP_HOST=HOST)
    after = client.get("/settings/system/provisioning/", HTTP_HOST=HOST)

    assert "https://contoso.us2.portal.test/scim/v2" in before.content.decode()
    assert "None yet." in before.content.decode()
    value = generated.context["value"]
    assert value.startswith("mdascm")
    assert value in generated.content.decode()
    assert generated["Cache-Control"] == "no-store"
    assert value not in after.content.decode()
    assert f"…{value[-4:]}" in after.content.decode()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {value}").get("/scim/v2/Users").status_code == 200


def test_replacing_the_live_secret_is_confirmed_first_and_says_provisioning_stops(
    client, admin_user
):
    client.force_login(admin_user)
    live, live_value = scim_token_rotate(user=admin_user)
    page = "/settings/system/provisioning/"

    asked = client.post(page, HTTP_HOST=HOST)
    stale = client.post(page, {"replaces": str(live.pk + 1000)}, HTTP_HOST=HOST)
    still = Client(HTTP_AUTHORIZATION=f"Bearer {live_value}").get("/scim/v2/Users").status_code
    confirmed = client.post(page, {"replaces": str(live.pk)}, HTTP_HOST=HOST)

    html = asked.content.decode()
    assert 'data-testid="scim-confirm"' in html
    assert f"The current secret token (ending in …{live.suffix}" in html
    assert "<strong>Entra's provisioning stops</strong>" in html
    assert asked.context["value"] is None
    assert stale.context["value"] is None
    assert still == 200  # asking replaced nothing
    assert confirmed.context["value"].startswith("mdascm")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {live_value}").get("/scim/v2/Users").status_code == (
        401
    )
    assert ApiToken.objects.filter(kind=Kind.SCIM, revoked_at__isnull=True).count() == 1


def test_only_full_admins_have_the_provisioning_page(client, tenant):
    operator = make_user(tenant, Role.SECURITY_OPERATOR, password=None)
    client.force_login(operator)

    assert client.get("/settings/system/provisioning/", HTTP_HOST=HOST).status_code == 403
    assert client.post("/settings/system/provisioning/", HTTP_HOST=HOST).status_code == 403
    assert not ApiToken.objects.filter(kind=Kind.SCIM).exists()


def test_local_break_glass_accounts_are_out_of_scims_reach(scim, tenant):
    local = make_user(tenant, Role.GLOBAL_ADMIN, username="breakglass@contoso.com")

    listed = scim.get("/scim/v2/Users", {"filter": 'userName eq "breakglass@contoso.com"'})
    read = scim.get(f"/scim/v2/Users/{local.pk}")
    disabled = patch(
        scim, f"/scim/v2/Users/{local.pk}", {"op": "replace", "path": "active", "value": False}
    )
    deleted = scim.delete(f"/scim/v2/Users/{local.pk}")
    created = post(scim, "/scim/v2/Users", entra_user("breakglass@contoso.com"))

    assert listed.json()["totalResults"] == 0
    assert [read.status_code, disabled.status_code, deleted.status_code] == [404, 404, 404]
    assert created.status_code == 409
    local.refresh_from_db()
    assert (local.is_deprovisioned, local.is_active, local.role) == (False, True, Role.GLOBAL_ADMIN)


def test_scim_cannot_deprovision_the_admin_who_issued_its_token(tenant):
    issuer = make_user(tenant, Role.GLOBAL_ADMIN, username="entra-admin@contoso.com", password=None)
    _, value = scim_token_rotate(user=issuer)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {value}", HTTP_HOST=HOST)
    detail = (
        "This user issued the SCIM token in use and cannot be deprovisioned through it; "
        "generate the SCIM token as another administrator first."
    )

    disabled = patch(
        client, f"/scim/v2/Users/{issuer.pk}", {"op": "replace", "path": "active", "value": "False"}
    )
    deleted = client.delete(f"/scim/v2/Users/{issuer.pk}")

    assert (disabled.status_code, disabled.json()["detail"]) == (403, detail)
    assert (deleted.status_code, deleted.json()["detail"]) == (403, detail)
    issuer.refresh_from_db()
    assert (issuer.is_deprovisioned, issuer.is_active) == (False, True)
    assert client.get("/scim/v2/Users").status_code == 200  # the token still works


def test_scim_delete_ends_sessions_like_every_deprovisioning(scim, tenant):
    from allauth.usersessions.models import UserSession

    person = make_user(tenant, Role.SECURITY_OPERATOR, password=None)
    browser = Client()
    browser.force_login(person)
    session = browser.session
    UserSession.objects.create(user=person, session_key=session.session_key, ip="127.0.0.1")
    token, value = make_token(person)

    deleted = scim.delete(f"/scim/v2/Users/{person.pk}")

    assert deleted.status_code == 204
    assert not UserSession.objects.filter(user=person).exists()
    assert (
        browser.get("/settings/security-extensions/api-tokens/", HTTP_HOST=HOST).status_code == 302
    )
    assert ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).exists()  # kept
    api = Client(HTTP_AUTHORIZATION=f"Token {value}", HTTP_HOST=HOST)
    assert api.get("/api/v1/me/").status_code == 403  # and refused
