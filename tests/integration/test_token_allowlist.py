"""Network allow-lists per token (tokens/allowlist.py): set when a token is made (the API,
the Generate dialog, SIEM agents and log collectors), changed later without changing the
value, checked at every request against the client's address as the trusted proxy reports it
(never a header the client wrote), refused with a 403 naming the address, an event and at most
one alert an hour; the tokens list's Unrestricted filter; the tenant's policy that requires a
list for a token that can change data."""

import json
import urllib.error
import urllib.request

import pytest
from django.core.cache import cache

from accounts.roles import Role
from tests.factories import make_token, make_user
from tokens.models import ApiToken, EventKind, TokenEvent, TokenPolicy
from tokens.services import token_generate

CONTOSO = "contoso.us2.portal.test"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def generate(api_client, user, **body):
    api_client.force_authenticate(user)
    return api_client.post("/api/v1/tokens/", {"name": "Nightly", **body}, format="json")


# --- what an allow-list may hold ---------------------------------------------------------------


def test_entries_are_stored_normalised_without_repeats(api_client, reader):
    response = generate(
        api_client,
        reader,
        allowed_ips=[" 2001:0DB8::0001 ", "10.0.0.0/8", "10.0.0.0/8", "192.0.2.7/32", "fd00::/8"],
    )

    assert response.status_code == 201
    expected = ["2001:db8::1", "10.0.0.0/8", "192.0.2.7", "fd00::/8"]
    assert response.json()["allowed_ips"] == expected
    token = ApiToken.objects.get()
    assert token.allowed_ips == expected
    generated = TokenEvent.objects.get(kind=EventKind.GENERATED)
    assert (
        generated.detail == "Generated, usable from 2001:db8::1, 10.0.0.0/8, 192.0.2.7, fd00::/8."
    )


@pytest.mark.parametrize(
    ("allowed_ips", "message"),
    [
        (
            ["10.0.0.1/8"],
            "10.0.0.1/8 has its host part set: the range it starts is 10.0.0.0/8, or give the "
            "address alone.",
        ),
        (
            ["2001:db8::1/32"],
            "2001:db8::1/32 has its host part set: the range it starts is 2001:db8::/32, or "
            "give the address alone.",
        ),
        (["203.0.113.7", "example.com"], "'example.com' is not an IP address or a CIDR range."),
        (["10.0.0.0/33"], "'10.0.0.0/33' is not an IP address or a CIDR range."),
        (["256.1.1.1"], "'256.1.1.1' is not an IP address or a CIDR range."),
        ([""], "'' is not an IP address or a CIDR range."),
        ([7], "Each entry is an address or a range, written as text."),
        (
            [],
            "An empty allow-list would refuse every request: give at least one address or "
            "range, or null for no restriction.",
        ),
        ("10.0.0.0/8", "Give a list of addresses and ranges, or null for no restriction."),
        (
            [f"10.0.{n}.0/24" for n in range(51)],
            "At most 50 addresses and ranges; this list has 51.",
        ),
        (["fe80::1%eth0"], "'fe80::1%eth0' is not an IP address or a CIDR range."),
        (["１０.0.0.1"], "'１０.0.0.1' is not an IP address or a CIDR range."),
        (["10.0.0.²"], "'10.0.0.²' is not an IP address or a CIDR range."),
        (
            ["203.0.113.7", "0.0.0.0/0"],
            "0.0.0.0/0 is every address: to let the token be used from anywhere, give null.",
        ),
        (["::/0"], "::/0 is every address: to let the token be used from anywhere, give null."),
    ],
)
def test_a_bad_allow_list_is_a_400_naming_it_and_nothing_is_made(
    api_client, reader, allowed_ips, message
):
    response = generate(api_client, reader, allowed_ips=allowed_ips)

    assert response.status_code == 400
    assert response.json()["detail"] == f"allowed_ips: {message}"
    assert not ApiToken.objects.exists()
    assert not TokenEvent.objects.exists()


def test_ipv4_written_as_ipv6_is_kept_as_ipv4(api_client, reader):
    """The check reads an IPv4 client seen through IPv6 as its IPv4 address; so is the list."""
    response = generate(api_client, reader, allowed_ips=["::ffff:10.0.0.0/104", "::ffff:192.0.2.7"])

    assert response.json()["allowed_ips"] == ["10.0.0.0/8", "192.0.2.7"]


def test_fifty_entries_are_taken(api_client, reader):
    entries = [f"10.0.{n}.0/24" for n in range(50)]

    response = generate(api_client, reader, allowed_ips=entries)

    assert (response.status_code, response.json()["allowed_ips"]) == (201, entries)


# --- the check, over real HTTP, through the trusted proxy --------------------------------------


def call(base: str, value: str, forwarded: str | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Token {value}", "Host": CONTOSO, "Accept": "application/json"}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    request = urllib.request.Request(base + "/api/v1/me/", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def behind_proxy(live_server, settings):
    """The portal behind one trusted proxy, which appends the client's address to
    X-Forwarded-For: the last entry is the client's, anything before it the client wrote."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = None
    return live_server.url


@pytest.mark.django_db(transaction=True)
def test_an_address_inside_the_list_is_served_ipv4_and_ipv6(behind_proxy, tenant):
    owner = make_user(tenant, Role.SECURITY_READER)
    _, value = token_generate(
        user=owner, name="Sentinel", allowed_ips=["203.0.113.0/24", "2001:db8::/32"]
    )

    answers = [
        call(behind_proxy, value, "203.0.113.9")[0],
        call(behind_proxy, value, "2001:db8::7")[0],
        call(behind_proxy, value, "::ffff:203.0.113.10")[0],  # an IPv4 client through IPv6
    ]

    assert answers == [200, 200, 200]
    assert not TokenEvent.objects.filter(kind=EventKind.REFUSED).exists()


@pytest.mark.django_db(transaction=True)
def test_an_address_outside_the_list_is_refused_naming_it_logged_and_alerted_once(
    behind_proxy, tenant
):
    from security.models import Alert

    owner = make_user(tenant, Role.SECURITY_READER, username="sentinel@contoso.com")
    token, value = token_generate(
        user=owner, name="Sentinel", allowed_ips=["203.0.113.0/24", "2001:db8::/32"]
    )

    v4 = call(behind_proxy, value, "198.51.100.7")
    v6 = call(behind_proxy, value, "2001:db9::1")

    assert v4[0] == v6[0] == 403
    assert v4[1]["detail"] == (
        "This token may not be used from 198.51.100.7: its allow-list does not include it."
    )
    assert v6[1]["detail"] == (
        "This token may not be used from 2001:db9::1: its allow-list does not include it."
    )
    refused = TokenEvent.objects.get(kind=EventKind.REFUSED)  # one a minute per token
    assert (refused.reason, refused.source_ip, refused.token_id) == (
        "address_not_allowed",
        "198.51.100.7",
        token.pk,
    )
    assert refused.detail == "Refused: used from an address its allow-list does not include."
    alert = Alert.objects.get(tenant=tenant)  # at most one an hour per token
    assert alert.title.startswith(
        "API token “Sentinel” of sentinel@contoso.com used from 198.51.100.7, outside its "
        "allow-list, at "
    )
    assert "203.0.113.0/24, 2001:db8::/32" in alert.description
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None  # never accepted


@pytest.mark.django_db(transaction=True)
def test_a_client_cannot_forge_its_address_with_a_header(behind_proxy, tenant):
    """The client writes an allowed address first; the proxy appends the real one."""
    owner = make_user(tenant, Role.SECURITY_READER)
    _, value = token_generate(user=owner, name="Sentinel", allowed_ips=["203.0.113.9"])

    status, body = call(behind_proxy, value, "203.0.113.9, 198.51.100.7")

    assert status == 403
    assert "198.51.100.7" in body["detail"]


@pytest.mark.django_db(transaction=True)
def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(live_server, settings, tenant):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = None
    owner = make_user(tenant, Role.SECURITY_READER)
    _, value = token_generate(user=owner, name="Sentinel", allowed_ips=["203.0.113.9"])
    _, local = token_generate(user=owner, name="Local", allowed_ips=["127.0.0.0/8"])

    status, body = call(live_server.url, value, "203.0.113.9")

    assert status == 403
    assert body["detail"] == (
        "This token may not be used from 127.0.0.1: its allow-list does not include it."
    )
    assert call(live_server.url, local, "198.51.100.7")[0] == 200


def test_a_token_without_a_list_is_served_from_anywhere(api_client, reader, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    _, value = make_token(reader)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {value}")

    response = api_client.get("/api/v1/me/", HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert response.status_code == 200


# --- changing the list: the value stays ---------------------------------------------------------


def test_patch_changes_the_list_keeps_the_value_and_says_who_changed_what(
    api_client, reader, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    token, value = token_generate(user=reader, name="Sentinel", allowed_ips=["203.0.113.9"])
    api_client.force_login(reader)

    response = api_client.patch(
        f"/api/v1/tokens/{token.pk}/", {"allowed_ips": ["198.51.100.0/24"]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["allowed_ips"] == ["198.51.100.0/24"]
    changed = TokenEvent.objects.get(kind=EventKind.CHANGED)
    assert (changed.actor_label, changed.detail) == (
        "reader@contoso.com",
        "Allow-list: 203.0.113.9 → 198.51.100.0/24. The value is unchanged.",
    )
    api_client.logout()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {value}")
    assert api_client.get("/api/v1/me/", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 200
    assert api_client.get("/api/v1/me/", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403


def test_patch_with_null_lifts_the_list_and_the_same_list_writes_nothing(api_client, reader):
    token, _ = token_generate(user=reader, name="Sentinel", allowed_ips=["203.0.113.9"])
    api_client.force_login(reader)
    url = f"/api/v1/tokens/{token.pk}/"

    same = api_client.patch(url, {"allowed_ips": ["203.0.113.9/32"]}, format="json")
    lifted = api_client.patch(url, {"allowed_ips": None}, format="json")

    assert (same.status_code, lifted.status_code) == (200, 200)
    assert lifted.json()["allowed_ips"] is None
    assert list(
        TokenEvent.objects.filter(kind=EventKind.CHANGED).values_list("detail", flat=True)
    ) == ["Allow-list: 203.0.113.9 → anywhere. The value is unchanged."]


def test_patch_refuses_a_bad_list_an_unknown_field_and_a_token_as_credential(api_client, reader):
    # The test client calls from 127.0.0.1.
    token, value = token_generate(user=reader, name="Sentinel", allowed_ips=["127.0.0.1"])
    url = f"/api/v1/tokens/{token.pk}/"
    api_client.force_login(reader)

    bad = api_client.patch(url, {"allowed_ips": ["10.0.0.1/8"]}, format="json")
    unknown = api_client.patch(url, {"name": "Other"}, format="json")
    api_client.logout()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {value}")
    with_token = api_client.patch(url, {"allowed_ips": None}, format="json")

    assert (bad.status_code, unknown.status_code, with_token.status_code) == (400, 400, 403)
    assert unknown.json()["detail"] == "name: Unknown field: this endpoint takes allowed_ips."
    assert with_token.json()["detail"] == (
        "A token's allow-list is changed by a signed-in user, not with a token."
    )
    assert ApiToken.objects.get(pk=token.pk).allowed_ips == ["127.0.0.1"]
    assert not TokenEvent.objects.filter(kind=EventKind.CHANGED).exists()


def test_a_revoked_token_cannot_be_changed(api_client, reader):
    token, _ = make_token(reader)
    api_client.force_login(reader)
    api_client.delete(f"/api/v1/tokens/{token.pk}/")

    response = api_client.patch(
        f"/api/v1/tokens/{token.pk}/", {"allowed_ips": ["10.0.0.0/8"]}, format="json"
    )

    assert (response.status_code, response.json()["detail"]) == (
        409,
        "A revoked token cannot be changed.",
    )


def test_someone_else_cannot_change_a_token_they_cannot_see(api_client, reader, tenant):
    other = make_user(tenant, Role.SECURITY_OPERATOR)
    token, _ = make_token(other)
    api_client.force_login(reader)

    response = api_client.patch(
        f"/api/v1/tokens/{token.pk}/", {"allowed_ips": ["10.0.0.0/8"]}, format="json"
    )

    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).allowed_ips is None


def test_a_rotation_keeps_the_list(api_client, reader):
    token, _ = token_generate(user=reader, name="Sentinel", allowed_ips=["203.0.113.9"])
    api_client.force_login(reader)

    response = api_client.post(f"/api/v1/tokens/{token.pk}/rotate/", {}, format="json")

    assert response.status_code == 201
    assert response.json()["allowed_ips"] == ["203.0.113.9"]


# --- the list's filter, and the policy ---------------------------------------------------------


def test_the_list_filters_unrestricted_tokens(api_client, admin_user):
    token_generate(user=admin_user, name="Open")
    token_generate(user=admin_user, name="Fenced", allowed_ips=["203.0.113.9"])
    api_client.force_login(admin_user)

    names = {
        value: [
            t["name"]
            for t in api_client.get(f"/api/v1/tokens/?unrestricted={value}").json()["results"]
        ]
        for value in ("true", "false")
    }
    bad = api_client.get("/api/v1/tokens/?unrestricted=yes")

    assert names == {"true": ["Open"], "false": ["Fenced"]}
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("unrestricted: Select a valid choice.")


def test_the_policy_requires_a_list_for_tokens_that_can_change_data(api_client, admin_user, reader):
    TokenPolicy.objects.create(tenant=admin_user.tenant, manage_needs_allowlist=True)

    refused = generate(api_client, admin_user)
    read_only = generate(api_client, admin_user, scopes=["Investigation.read"])
    fenced = generate(api_client, admin_user, allowed_ips=["203.0.113.9"])
    readers = generate(api_client, reader)

    assert refused.status_code == 409  # well formed; the tenant's rule, as it is, refuses
    assert refused.json()["detail"] == (
        "This tenant's token policy requires an allow-list for a token that can "
        "change data (Discovery.manage, Investigation.manage, Settings.manage, "
        "Tokens.manage_all): give the addresses or ranges it will be used from, or narrow it "
        "to read capabilities."
    )
    assert [r.status_code for r in (read_only, fenced, readers)] == [201, 201, 201]
    api_client.force_authenticate(None)
    api_client.force_login(admin_user)
    lifted = api_client.patch(
        f"/api/v1/tokens/{fenced.json()['id']}/", {"allowed_ips": None}, format="json"
    )
    assert lifted.status_code == 409
    assert ApiToken.objects.get(pk=fenced.json()["id"]).allowed_ips == ["203.0.113.9"]


def test_the_policy_field_is_set_through_the_api_and_logged(api_client, admin_user):
    api_client.force_login(admin_user)

    response = api_client.patch(
        "/api/v1/token-policy/", {"manage_needs_allowlist": True}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["manage_needs_allowlist"] is True
    assert response.json()["changes"] == [
        "Allow-list required for tokens that can change data: no → yes"
    ]
    assert TokenPolicy.objects.get().manage_needs_allowlist is True
