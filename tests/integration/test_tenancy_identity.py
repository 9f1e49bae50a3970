"""Identity is per tenant: the same user name in two tenants is two people, each signing in
on their own tenant's URL; hosts are compared as names (case and the trailing dot do not
matter); no tenant's host is trusted for another's, and no `next` leads from one to another;
the failed sign-in limit counts the client behind the load balancer, not the balancer."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from accounts.models import User
from accounts.roles import Role
from tests.factories import make_token, make_user
from tests.pages import once

CONTOSO = "contoso.us2.portal.test"
FABRIKAM = "fabrikam.eu2.portal.test"
PASSWORD = "correct-horse-battery-9"  # the factories' default


def sign_in(client, username, password=PASSWORD, host=CONTOSO, **extra):
    return client.post(
        "/accounts/login/", {"login": username, "password": password}, HTTP_HOST=host, **extra
    )


def signed_in_as(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_two_tenants_may_have_people_of_the_same_name(tenant, other_tenant):
    ours = make_user(tenant, username="pat@example.com")
    theirs = make_user(other_tenant, username="Pat@Example.com")

    assert ours.pk != theirs.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user(tenant, username="PAT@example.com")  # but not twice in one tenant


def test_each_signs_in_on_their_own_tenants_url(client, tenant, other_tenant):
    ours = make_user(tenant, username="pat@example.com", password="Contoso-Pat-2026!")
    theirs = make_user(other_tenant, username="pat@example.com", password="Fabrikam-Pat-2026!")

    sign_in(client, "pat@example.com", "Contoso-Pat-2026!", host=CONTOSO)
    at_contoso = signed_in_as(client)
    client.logout()
    sign_in(client, "pat@example.com", "Fabrikam-Pat-2026!", host=FABRIKAM)
    at_fabrikam = signed_in_as(client)
    client.logout()
    crossed = sign_in(client, "pat@example.com", "Fabrikam-Pat-2026!", host=CONTOSO)

    assert (at_contoso, at_fabrikam) == (ours.pk, theirs.pk)
    assert crossed.status_code == 200
    assert signed_in_as(client) is None


def test_on_the_generic_url_a_name_two_tenants_use_is_not_guessed(client, tenant, other_tenant):
    make_user(tenant, username="pat@example.com")
    make_user(other_tenant, username="pat@example.com")
    make_user(tenant, username="only@contoso.com")

    ambiguous = sign_in(client, "pat@example.com", host="portal.test")
    unique = sign_in(client, "only@contoso.com", host="portal.test")

    assert ambiguous.status_code == 200
    assert unique.status_code == 302


def test_scim_of_one_tenant_cannot_lock_out_another_tenants_person(tenant, other_tenant, entra):
    """Contoso provisions `victim@fabrikam.com`; Fabrikam's real person still signs in with
    Microsoft on Fabrikam's URL, into their own account."""
    from tests.entra_flow import sign_in_with_microsoft
    from tokens.rotation import scim_token_rotate

    admin = make_user(tenant, Role.GLOBAL_ADMIN)
    _, value = scim_token_rotate(user=admin)
    scim = Client(HTTP_AUTHORIZATION=f"Bearer {value}", HTTP_HOST=CONTOSO)
    created = scim.post(
        "/scim/v2/Users", {"userName": "victim@fabrikam.com"}, content_type="application/scim+json"
    )
    other_tenant.entra_tenant_id = "4a1f3c52-0d4e-4b8e-9a57-2d7f4c1e9b31"
    other_tenant.save()
    account = entra.add_account(
        str(other_tenant.entra_tenant_id),
        upn="victim@fabrikam.com",
        name="Vic Tim",
        roles=["SecurityReader"],
    )

    browser = Client()
    response = sign_in_with_microsoft(browser, account, host=FABRIKAM)

    assert created.status_code == 201
    assert response.status_code == 302
    person = User.objects.get(pk=signed_in_as(browser))
    assert (person.tenant, person.username, person.role) == (
        other_tenant,
        "victim@fabrikam.com",
        Role.SECURITY_READER,
    )


# --- hosts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["CONTOSO.US2.PORTAL.TEST", "contoso.us2.portal.test.", "Contoso.Us2.Portal.Test.:443"]
)
def test_a_host_in_capitals_or_with_the_trailing_dot_is_the_same_tenant(
    client, reader, host, settings
):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ".portal.test."]
    _, value = make_token(reader)

    by_token = Client(HTTP_AUTHORIZATION=f"Token {value}").get("/api/v1/me/", HTTP_HOST=host)
    signed_in = sign_in(client, "reader@contoso.com", host=host)
    page = client.get("/settings/security-extensions/api-tokens/", HTTP_HOST=host)

    assert by_token.status_code == 200
    assert by_token.json()["tenant"]["slug"] == "contoso"
    assert signed_in.status_code == 302
    assert page.status_code == 200


def test_another_tenants_host_in_capitals_is_still_another_tenant(reader, other_tenant):
    _, value = make_token(reader)

    response = Client(HTTP_AUTHORIZATION=f"Token {value}").get(
        "/api/v1/me/", HTTP_HOST="FABRIKAM.EU2.PORTAL.TEST"
    )

    assert response.status_code == 401


# --- origins and redirects ------------------------------------------------------------------------


def test_a_form_posted_from_another_tenants_origin_is_refused(reader):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reader)
    page = browser.get(
        "/settings/security-extensions/api-tokens/new/", HTTP_HOST=CONTOSO, secure=True
    )
    token = (
        page.cookies["csrftoken"].value
        if "csrftoken" in page.cookies
        else browser.cookies["csrftoken"].value
    )

    def post(origin):
        return browser.post(
            "/settings/security-extensions/api-tokens/new/",
            once({"name": "From elsewhere", "csrfmiddlewaretoken": token}),
            HTTP_HOST=CONTOSO,
            HTTP_ORIGIN=origin,
            secure=True,
        )

    assert post(f"https://{FABRIKAM}").status_code == 403
    assert post(f"https://{CONTOSO}").status_code == 201


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/settings/system/about/", "/settings/system/about/"),
        (f"https://{CONTOSO}/settings/system/about/", f"https://{CONTOSO}/settings/system/about/"),
        (f"https://{FABRIKAM}/settings/", "/"),
        (f"http://{CONTOSO}/settings/", "/"),  # down to plain HTTP
        ("//evil.example/", "/"),
    ],
)
def test_sign_in_redirects_only_within_its_own_host(client, reader, next_url, lands_on):
    response = client.post(
        "/accounts/login/",
        {"login": "reader@contoso.com", "password": PASSWORD, "next": next_url},
        HTTP_HOST=CONTOSO,
        secure=True,
    )

    assert (response.status_code, response["Location"]) == (302, lands_on)


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        (
            "/settings/security-extensions/api-tokens/?status=active",
            "/settings/security-extensions/api-tokens/?status=active",
        ),
        (f"http://{CONTOSO}/settings/", "/settings/security-extensions/api-tokens/"),
        (f"https://{FABRIKAM}/settings/", "/settings/security-extensions/api-tokens/"),
    ],
)
def test_revoke_returns_only_within_its_own_host_and_scheme(client, reader, next_url, lands_on):
    token, _ = make_token(reader)
    client.force_login(reader)

    response = client.post(
        f"/settings/security-extensions/api-tokens/{token.pk}/revoke/",
        {"next": next_url},
        HTTP_HOST=CONTOSO,
        secure=True,
    )

    assert (response.status_code, response["Location"]) == (302, lands_on)


# --- failed sign-in limits behind a load balancer -------------------------------------------------


def test_behind_the_proxy_one_clients_failures_do_not_lock_out_another(
    client, reader, tenant, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip,50/5m/key"}
    balancer = {"REMOTE_ADDR": "10.0.0.1"}

    failures = [
        sign_in(
            Client(), "nobody@contoso.com", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7", **balancer
        )
        for _ in range(4)
    ]
    other = sign_in(client, "reader@contoso.com", HTTP_X_FORWARDED_FOR="198.51.100.2", **balancer)
    same = sign_in(Client(), "reader@contoso.com", HTTP_X_FORWARDED_FOR="203.0.113.7", **balancer)

    assert [r.status_code for r in failures] == [200] * 4
    assert "Too many failed login attempts" in failures[3].content.decode()
    assert other.status_code == 302  # another client behind the same balancer
    assert same.status_code == 200  # the client that failed is limited


def test_failures_are_limited_per_user_name_across_addresses(reader, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "100/m/ip,3/5m/key"}

    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        sign_in(Client(), "reader@contoso.com", "wrong", REMOTE_ADDR=address)
    locked = sign_in(Client(), "reader@contoso.com", REMOTE_ADDR="192.0.2.4")

    assert locked.status_code == 200
    assert "Too many failed login attempts" in locked.content.decode()
