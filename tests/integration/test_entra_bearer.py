"""`Authorization: Bearer <JWT>` from Entra: signatures checked against the keys the fake
Entra publishes over HTTP; application context from `roles`, user context from `scp`
intersected with the portal user's role."""

import time
import uuid

import jwt
import pytest

from accounts.roles import Role
from demo.fake_entra import SigningKey
from tests.factories import make_token, make_user

APP = "11111111-2222-4333-8444-555555555555"  # the portal's API application id (conftest)


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def refused(response, detail: str) -> None:
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def app_token(entra, **claims) -> str:
    claims.setdefault("roles", ["Investigation.read"])
    claims.setdefault("client_id", "daemon-app-id")
    return entra.access_token(tid=entra.tid, audience=claims.pop("audience", APP), **claims)


def user_token(entra, user, scp: str, **claims) -> str:
    return entra.access_token(
        tid=entra.tid, audience=APP, scp=scp, oid=str(user.entra_object_id), **claims
    )


@pytest.fixture
def operator(tenant):
    """A security operator known to Entra by object id."""
    return make_user(tenant, Role.SECURITY_OPERATOR, entra_object_id=uuid.uuid4())


# --- application context ----------------------------------------------------------------------


def test_application_context_takes_its_capabilities_from_roles(api_client, entra, tenant):
    token = app_token(entra, roles=["Investigation.read", "Discovery.manage", "Other.thing"])

    response = api_client.get("/api/v1/me/", **bearer(token))

    assert response.status_code == 200
    body = response.json()
    assert body["user"] is None
    assert body["tenant"]["id"] == str(tenant.public_id)
    assert body["role"] == {"value": "", "label": "Application"}
    assert body["capabilities"] == ["Discovery.manage", "Investigation.read"]
    assert body["authentication"] == {
        "method": "entra",
        "context": "application",
        "tenant_id": entra.tid,
        "application_id": "daemon-app-id",
        "object_id": None,
        "granted": ["Investigation.read", "Discovery.manage", "Other.thing"],
    }


def test_permission_names_match_case_insensitively(api_client, entra):
    token = app_token(entra, roles=["Investigation.Read", "SETTINGS.MANAGE"])

    response = api_client.get("/api/v1/me/", **bearer(token))

    assert response.json()["capabilities"] == ["Investigation.read", "Settings.manage"]


def test_entra_can_never_grant_the_portal_only_tokens_capability(api_client, entra):
    token = app_token(entra, roles=["Tokens.manage_all", "Investigation.read"])

    assert api_client.get("/api/v1/me/", **bearer(token)).json()["capabilities"] == [
        "Investigation.read"
    ]


def test_a_daemon_token_from_the_client_credentials_flow_is_accepted(api_client, entra):
    """The whole application flow: the daemon asks the fake Entra for a token over HTTP."""
    import json
    import urllib.parse
    import urllib.request

    entra.add_client("soar-app", "soar-secret", tid=entra.tid, roles=["Investigation.manage"])
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": "soar-app",
            "client_secret": "soar-secret",
            "scope": f"api://{APP}/.default",
        }
    ).encode()
    token_url = f"{entra.url}/{entra.tid}/oauth2/v2.0/token"
    with urllib.request.urlopen(token_url, form) as answer:  # noqa: S310 (the fake, over HTTP)
        token = json.load(answer)["access_token"]

    response = api_client.get("/api/v1/me/", **bearer(token))

    assert response.status_code == 200
    assert response.json()["capabilities"] == ["Investigation.manage"]
    assert response.json()["authentication"]["application_id"] == "soar-app"


@pytest.mark.parametrize("audience", [APP, f"api://{APP}"])
@pytest.mark.parametrize("version", [1, 2])
def test_v1_and_v2_tokens_for_the_app_id_or_its_uri_are_accepted(
    api_client, entra, audience, version
):
    token = app_token(entra, audience=audience, version=version)

    assert api_client.get("/api/v1/me/", **bearer(token)).status_code == 200


def test_an_application_cannot_manage_api_tokens(api_client, entra):
    token = app_token(entra, roles=["Settings.manage"])

    response = api_client.get("/api/v1/tokens/", **bearer(token))

    assert response.status_code == 403
    assert response.json() == {
        "detail": "An application (Entra token in application context) cannot do this."
    }


# --- user context -----------------------------------------------------------------------------


def test_user_context_is_scp_intersected_with_the_users_role(api_client, entra, operator):
    token = user_token(entra, operator, "Investigation.read Investigation.manage Settings.manage")

    body = api_client.get("/api/v1/me/", **bearer(token)).json()

    # Settings.manage was asked for, but a security operator may not manage settings.
    assert body["capabilities"] == ["Investigation.manage", "Investigation.read"]
    assert body["user"]["username"] == operator.username
    assert body["role"] == {"value": "security_operator", "label": "Security operator"}
    assert body["authentication"]["context"] == "user"
    assert body["authentication"]["object_id"] == str(operator.entra_object_id)


def test_a_security_readers_token_cannot_alter_data_even_when_scp_asks_for_manage(
    api_client, entra, tenant
):
    reader = make_user(tenant, Role.SECURITY_READER, entra_object_id=uuid.uuid4())
    victim = make_user(tenant, Role.SECURITY_OPERATOR)
    token = user_token(
        entra, reader, "Investigation.manage Settings.manage Discovery.manage Investigation.read"
    )

    me = api_client.get("/api/v1/me/", **bearer(token)).json()
    change = api_client.post(f"/api/v1/users/{victim.pk}/deprovision/", **bearer(token))

    assert me["capabilities"] == ["Investigation.read"]
    assert change.status_code == 403
    assert change.json() == {"detail": "This requires the Settings.manage permission."}
    victim.refresh_from_db()
    assert victim.deprovisioned_at is None


def test_a_full_admins_user_token_with_settings_manage_can_alter(api_client, entra, tenant):
    admin = make_user(tenant, Role.GLOBAL_ADMIN, entra_object_id=uuid.uuid4())
    victim = make_user(tenant, Role.SECURITY_OPERATOR)
    token = user_token(entra, admin, "Settings.manage")

    change = api_client.post(f"/api/v1/users/{victim.pk}/deprovision/", **bearer(token))

    assert change.status_code == 200
    victim.refresh_from_db()
    assert victim.deprovisioned_at is not None


def test_a_user_token_cannot_generate_api_tokens(api_client, entra, operator):
    token = user_token(entra, operator, "Investigation.read")

    response = api_client.post("/api/v1/tokens/", {"name": "x"}, format="json", **bearer(token))

    assert response.status_code == 403
    assert operator.tokens.count() == 0


def test_a_user_token_for_an_unknown_object_id_is_refused(api_client, entra, tenant):
    stranger = make_user(tenant, Role.GLOBAL_ADMIN, entra_object_id=uuid.uuid4())
    token = user_token(entra, stranger, "Investigation.read")
    stranger.delete()

    refused(
        api_client.get("/api/v1/me/", **bearer(token)),
        "Unknown user: no portal user of this tenant has the token's object id",
    )


def test_a_deprovisioned_users_token_is_403(api_client, entra, operator):
    operator.deprovisioned_at = operator.date_joined
    operator.save()
    token = user_token(entra, operator, "Investigation.read")

    response = api_client.get("/api/v1/me/", **bearer(token))

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Invalid user - the owner of this token is not permitted to use tokens"
    }


# --- refusals ---------------------------------------------------------------------------------


def test_an_expired_token_is_refused(api_client, entra):
    token = app_token(entra, exp=int(time.time()) - 120, iat=int(time.time()) - 3720)

    refused(api_client.get("/api/v1/me/", **bearer(token)), "Token expired")


def test_expiry_has_a_small_leeway_for_clock_skew(api_client, entra):
    token = app_token(entra, exp=int(time.time()) - 30)

    assert api_client.get("/api/v1/me/", **bearer(token)).status_code == 200


def test_a_token_not_yet_valid_is_refused(api_client, entra):
    token = app_token(entra, nbf=int(time.time()) + 600)

    refused(api_client.get("/api/v1/me/", **bearer(token)), "Token not yet valid")


def test_a_bad_signature_is_refused(api_client, entra):
    impostor = SigningKey()
    impostor.kid = entra.key.kid  # claims to be Entra's key
    claims = jwt.decode(app_token(entra), options={"verify_signature": False})

    refused(
        api_client.get("/api/v1/me/", **bearer(impostor.sign(claims))), "Invalid token signature"
    )


def test_a_changed_claim_breaks_the_signature(api_client, entra):
    header, payload, signature = app_token(entra, roles=["Investigation.read"]).split(".")
    forged = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b"Investigation.read", b"Settings.manage.")
    ).decode()

    refused(
        api_client.get("/api/v1/me/", **bearer(f"{header}.{forged}.{signature}")),
        "Invalid token signature",
    )


def test_the_wrong_audience_is_refused(api_client, entra):
    token = app_token(entra, audience="https://graph.microsoft.com")

    refused(
        api_client.get("/api/v1/me/", **bearer(token)),
        "Wrong audience: the token was not issued for this API",
    )


def test_an_unknown_tenant_is_refused(api_client, entra):
    other = str(uuid.uuid4())
    token = entra.access_token(tid=other, audience=APP, roles=["Investigation.read"])

    refused(
        api_client.get("/api/v1/me/", **bearer(token)),
        "Unknown tenant: the token's directory is not connected to this portal",
    )


def test_an_issuer_that_is_not_the_tokens_tenant_is_refused(api_client, entra):
    token = app_token(entra, iss=f"{entra.url}/{uuid.uuid4()}/v2.0")

    refused(
        api_client.get("/api/v1/me/", **bearer(token)),
        "Wrong issuer: not Entra ID for the token's tenant",
    )


def test_a_token_for_another_tenants_custom_url_is_refused(api_client, entra, other_tenant):
    refused(
        api_client.get(
            "/api/v1/me/", HTTP_HOST="fabrikam.eu2.portal.test", **bearer(app_token(entra))
        ),
        "The token is for another tenant's portal",
    )


def test_a_token_granting_nothing_is_refused(api_client, entra):
    token = entra.access_token(tid=entra.tid, audience=APP, client_id="x")

    refused(
        api_client.get("/api/v1/me/", **bearer(token)),
        "The token grants no permissions: neither 'roles' nor 'scp'",
    )


def test_a_token_without_a_tenant_id_is_refused(api_client, entra):
    claims = jwt.decode(app_token(entra), options={"verify_signature": False})
    del claims["tid"]

    refused(
        api_client.get("/api/v1/me/", **bearer(entra.sign(claims))),
        "The token has no 'tid' claim",
    )


def test_only_rs256_is_accepted(api_client, entra):
    claims = jwt.decode(app_token(entra), options={"verify_signature": False})
    hs256 = jwt.encode(
        claims,
        "a-shared-secret-anyone-could-guess!",
        algorithm="HS256",
        headers={"kid": entra.key.kid},
    )
    unsigned = jwt.encode(claims, None, algorithm="none")

    refused(
        api_client.get("/api/v1/me/", **bearer(hs256)),
        "Unsupported token algorithm 'HS256': only RS256",
    )
    refused(
        api_client.get("/api/v1/me/", **bearer(unsigned)),
        "Unsupported token algorithm 'none': only RS256",
    )


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer", "Malformed bearer token: not a JWT"),
        ("Bearer not-a-jwt", "Malformed bearer token: not a JWT"),
        ("Bearer a.b.c", "Malformed bearer token: not a JWT"),
        ("Bearer " + "é" * 20, "Malformed bearer token: not a JWT"),
    ],
)
def test_malformed_bearer_headers_are_401_never_500(api_client, entra, header, detail):
    refused(api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=header), detail)


def test_an_api_token_sent_as_bearer_is_refused_with_a_hint(api_client, entra, reader):
    _, value = make_token(reader)

    refused(
        api_client.get("/api/v1/me/", **bearer(value)),
        "API tokens go in 'Authorization: Token <value>'; Bearer is for Entra tokens",
    )


def test_bearer_tokens_are_refused_when_no_api_application_is_configured(
    api_client, entra, settings
):
    token = app_token(entra)
    settings.ENTRA_API_APP_ID = ""

    refused(
        api_client.get("/api/v1/me/", **bearer(token)),
        "Entra bearer tokens are not accepted here: no API application is configured",
    )


# --- signing keys -----------------------------------------------------------------------------


def keys_fetches(entra) -> int:
    return sum(path.endswith("/discovery/v2.0/keys") for path in entra.requests)


def test_the_key_set_is_fetched_once_and_then_served_from_the_cache(api_client, entra):
    for _ in range(3):
        assert api_client.get("/api/v1/me/", **bearer(app_token(entra))).status_code == 200

    assert keys_fetches(entra) == 1


def test_a_rotated_key_is_fetched_once_and_then_accepted(api_client, entra):
    api_client.get("/api/v1/me/", **bearer(app_token(entra)))
    entra.rotate_keys()

    first = api_client.get("/api/v1/me/", **bearer(app_token(entra)))
    second = api_client.get("/api/v1/me/", **bearer(app_token(entra)))

    assert (first.status_code, second.status_code) == (200, 200)
    assert keys_fetches(entra) == 2


def test_an_unknown_key_id_costs_at_most_one_refetch(api_client, entra):
    api_client.get("/api/v1/me/", **bearer(app_token(entra)))
    stranger = SigningKey()
    claims = jwt.decode(app_token(entra), options={"verify_signature": False})

    for _ in range(3):
        refused(
            api_client.get("/api/v1/me/", **bearer(stranger.sign(claims))),
            "Invalid token signature: unknown signing key",
        )

    assert keys_fetches(entra) == 2  # the first fetch, and one refetch for the new key id


def test_an_unreachable_key_set_is_a_503_with_retry_after_and_no_internal_text(
    api_client, entra, settings
):
    token = app_token(entra)
    settings.ENTRA_JWKS_URL = "http://127.0.0.1:9/keys"  # discard port: nothing listens

    response = api_client.get("/api/v1/me/", **bearer(token))

    assert response.status_code == 503
    assert response.json() == {
        "detail": "Entra's signing keys are unavailable right now; try again shortly."
    }
    assert response["Retry-After"] == "30"


def test_random_key_ids_cost_one_refetch_per_tenant_not_one_per_key_id(api_client, entra):
    api_client.get("/api/v1/me/", **bearer(app_token(entra)))  # the first fetch
    claims = jwt.decode(app_token(entra), options={"verify_signature": False})

    statuses = {
        api_client.get("/api/v1/me/", **bearer(SigningKey().sign(claims))).status_code
        for _ in range(100)
    }

    assert statuses == {401}
    assert keys_fetches(entra) == 2  # the first fetch, and one refetch for all 100 key ids


def test_tokens_of_a_directory_not_connected_here_cause_no_refetch(api_client, entra):
    api_client.get("/api/v1/me/", **bearer(app_token(entra)))
    claims = jwt.decode(app_token(entra), options={"verify_signature": False})
    claims["tid"] = str(uuid.uuid4())

    response = api_client.get("/api/v1/me/", **bearer(SigningKey().sign(claims)))

    refused(response, "Invalid token signature: unknown signing key")
    assert keys_fetches(entra) == 1


def test_the_refetch_budget_is_shared_by_all_tenants(api_client, entra, other_tenant):
    other_tenant.entra_tenant_id = uuid.uuid4()
    other_tenant.save()
    api_client.get("/api/v1/me/", **bearer(app_token(entra)))
    for tid in (entra.tid, str(other_tenant.entra_tenant_id)):
        claims = jwt.decode(app_token(entra), options={"verify_signature": False})
        claims["tid"] = tid
        api_client.get("/api/v1/me/", **bearer(SigningKey().sign(claims)))

    assert keys_fetches(entra) == 2  # the second tenant found the minute's refetch spent


def test_a_slow_entra_holds_one_request_and_the_others_get_a_503_at_once(
    api_client, entra, settings
):
    settings.ENTRA_HTTP_TIMEOUT = 0.3
    entra.keys_delay = 1.0  # longer than the timeout: the fetch fails
    token = app_token(entra)

    first = api_client.get("/api/v1/me/", **bearer(token))
    later = [api_client.get("/api/v1/me/", **bearer(token)) for _ in range(5)]

    assert first.status_code == 503
    assert [r.status_code for r in later] == [503] * 5
    assert {r["Retry-After"] for r in later} == {"30"}
    assert keys_fetches(entra) == 1  # nobody else waited for Entra during the back-off


@pytest.mark.parametrize("scp", [["Investigation.read"], 7, None, {"a": 1}])
def test_a_signed_token_whose_scp_is_not_a_string_is_refused(api_client, entra, operator, scp):
    token = user_token(entra, operator, scp="placeholder")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["scp"] = scp

    response = api_client.get("/api/v1/me/", **bearer(entra.sign(claims)))

    refused(response, "Malformed token: 'scp' must be a space-separated string of permissions")


@pytest.mark.parametrize("roles", ["Investigation.read", 7, [1, 2], [["Investigation.read"]]])
def test_a_signed_token_whose_roles_are_not_a_list_of_names_is_refused(api_client, entra, roles):
    claims = jwt.decode(app_token(entra), options={"verify_signature": False})
    claims["roles"] = roles

    response = api_client.get("/api/v1/me/", **bearer(entra.sign(claims)))

    refused(response, "Malformed token: 'roles' must be a list of permission names")
