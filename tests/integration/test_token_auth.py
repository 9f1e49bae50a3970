import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from tests.factories import make_token, make_user
from tokens import keys
from tokens.models import ApiToken
from tokens.services import token_revoke

INVALID = {"detail": "Invalid token"}


def call_me(api_client, value, **extra):
    return api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}", **extra)


def writes(queries) -> list[str]:
    # The prepared lookup on PostgreSQL is logged as "QUERY = '...' - PARAMS = ...".
    statements = [q["sql"].removeprefix("QUERY = '").lstrip() for q in queries]
    return [sql for sql in statements if not sql.upper().startswith("SELECT")]


@pytest.mark.parametrize(
    ("role", "capabilities"),
    [
        (Role.SECURITY_READER, ["Discovery.read", "Investigation.read", "Settings.read"]),
        (Role.GLOBAL_READER, ["Discovery.read", "Investigation.read", "Settings.read"]),
        (Role.DISCOVERY_ADMIN, ["Discovery.manage", "Discovery.read"]),
        (
            Role.SECURITY_OPERATOR,
            ["Discovery.read", "Investigation.manage", "Investigation.read", "Settings.read"],
        ),
        (
            Role.GLOBAL_ADMIN,
            [
                "Discovery.manage",
                "Discovery.read",
                "Investigation.manage",
                "Investigation.read",
                "Settings.manage",
                "Settings.read",
                "Tokens.manage_all",
            ],
        ),
    ],
)
def test_me_reports_the_issuers_capabilities(api_client, tenant, role, capabilities):
    user = make_user(
        tenant, role, username="someone@contoso.com", first_name="Some", last_name="One"
    )
    token, value = make_token(user, name="probe")

    response = call_me(api_client, value)

    assert response.status_code == 200
    assert response.json() == {
        "user": {
            "id": user.pk,
            "username": "someone@contoso.com",
            "name": "Some One",
            "service_account": False,
        },
        "tenant": {
            "id": str(tenant.public_id),
            "name": "Contoso",
            "slug": "contoso",
            "region": "us2",
            "url": "https://contoso.us2.portal.test",
        },
        "role": {"value": role.value, "label": role.label},
        "capabilities": capabilities,
        "role_capabilities": capabilities,  # a token with no scopes: all of them
        "scopes": None,
        "authentication": {
            "method": "token",
            "token": {"id": token.pk, "name": "probe", "kind": "api"},
        },
    }


def test_a_token_follows_its_issuers_current_role(api_client, tenant):
    user = make_user(tenant, Role.GLOBAL_ADMIN)
    _, value = make_token(user)
    assert "Settings.manage" in call_me(api_client, value).json()["capabilities"]

    user.role = Role.SECURITY_READER
    user.save()

    assert call_me(api_client, value).json()["capabilities"] == [
        "Discovery.read",
        "Investigation.read",
        "Settings.read",
    ]


def test_revocation_refuses_the_very_next_request(api_client, reader):
    token, value = make_token(reader)
    assert call_me(api_client, value).status_code == 200

    token_revoke(token=token, by=reader)
    response = call_me(api_client, value)

    assert response.status_code == 401
    assert response.json() == INVALID
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_a_deprovisioned_owners_token_is_refused_with_403(api_client, reader):
    _, value = make_token(reader)
    reader.deprovisioned_at = timezone.now()
    reader.save()

    response = call_me(api_client, value)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Invalid user - the owner of this token is not permitted to use tokens"
    }
    assert ApiToken.objects.filter(user=reader, revoked_at__isnull=True).count() == 1


def test_a_bad_checksum_costs_no_query(api_client, reader):
    _, value = make_token(reader)
    tampered = value[:-7] + ("A" if value[-7] != "A" else "B") + value[-6:]

    with CaptureQueriesContext(connection) as queries:
        response = call_me(api_client, tampered)

    assert response.status_code == 401
    assert response.json() == INVALID
    assert len(queries) == 0


def test_a_valid_token_costs_one_select_and_writes_last_used_once_a_minute(api_client, reader):
    token, value = make_token(reader)

    with CaptureQueriesContext(connection) as first:
        assert call_me(api_client, value).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert call_me(api_client, value).status_code == 200

    # The first request also logs the first use (tests/integration/test_token_events.py);
    # its one UPDATE also records the address and user agent (tests/.../test_token_usage.py).
    assert len(first) == 3
    assert [sql.split()[0] for sql in writes(first)] == ["UPDATE", "INSERT"]
    assert len(second) == 1
    assert writes(second) == []
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    # A minute later the next request records the use again.
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=first_use - timezone.timedelta(seconds=61)
    )
    with CaptureQueriesContext(connection) as later:
        assert call_me(api_client, value).status_code == 200
    # The use again, and the two requests counted in the cache meanwhile folded into their
    # day's row (one upsert).
    assert [sql.split()[0] for sql in writes(later)] == ["UPDATE", "INSERT"]
    token.refresh_from_db()
    assert token.last_used_at > first_use


def valid_value_with_a_changed_character():
    value = keys.generate("api")
    return value[:20] + ("x" if value[20] != "x" else "y") + value[21:]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Token", id="token-alone"),
        pytest.param("Token ", id="token-and-a-space"),
        pytest.param("Token  ", id="two-spaces"),
        pytest.param("Token abc def", id="two-values"),
        pytest.param("Token mdaapiñññ", id="non-ascii"),
        pytest.param("Token " + "A" * 10_240, id="10kB-value"),
        pytest.param("Token " + valid_value_with_a_changed_character(), id="one-character-changed"),
        pytest.param("Token " + keys.generate("api"), id="well-formed-but-unknown"),
    ],
)
def test_malformed_token_headers_are_401_never_500(api_client, reader, header):
    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json() == INVALID


@pytest.mark.parametrize("header", ["", "Basic dXNlcjpwYXNz"])
def test_other_or_empty_headers_are_401_asking_for_credentials(api_client, header):
    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_trailing_whitespace_and_lower_case_scheme_are_tolerated(api_client, reader):
    _, value = make_token(reader)

    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"token {value}  \t")

    assert response.status_code == 200


def test_own_tenant_url_accepts_and_another_tenants_url_refuses(api_client, reader, other_tenant):
    _, value = make_token(reader)

    own = call_me(api_client, value, HTTP_HOST="contoso.us2.portal.test")
    other = call_me(api_client, value, HTTP_HOST="fabrikam.eu2.portal.test")
    unknown = call_me(api_client, value, HTTP_HOST="nobody.us2.portal.test")
    generic = call_me(api_client, value, HTTP_HOST="portal.test")

    assert own.status_code == 200
    assert [other.status_code, unknown.status_code] == [401, 401]
    assert other.json() == INVALID
    assert generic.status_code == 200


def test_an_other_kind_of_token_cannot_call_the_tokens_api(api_client, admin_user):
    _, value = make_token(admin_user, kind="siem")

    response = call_me(api_client, value)

    assert response.status_code == 403
    assert response.json() == {"detail": "A token of kind 'siem' cannot call this endpoint."}


def test_a_platform_user_without_tenant_cannot_call_the_api(api_client, db):
    staff = make_user(None, is_staff=True)
    api_client.force_authenticate(staff)

    response = api_client.get("/api/v1/me/")

    assert response.status_code == 403
    assert response.json() == {"detail": "Only active users of a tenant can call the API."}
