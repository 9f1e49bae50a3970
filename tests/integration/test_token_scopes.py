"""Scopes narrower than the role (issue 14, part 3): a token may be narrowed to some of its
issuer's capabilities; at each request it may do its scopes within the issuer's role as it
is then (a demotion narrows it at once, a promotion never widens it); a read-only token of
a global administrator is refused every change of the data API; a narrowed token reaches
only itself in the tokens API; bad scopes are refused with nothing made."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.roles import READ_ONLY, SCOPES, Role
from tests.factories import make_alert, make_subnet, make_token, make_user
from tests.pages import once
from tokens.models import ApiToken
from tokens.services import token_generate

TOKENS = "/api/v1/tokens/"


def me(api_client, value):
    return api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}").json()


def test_scopes_are_kept_sorted_and_reported_with_the_role_and_the_effective_set(
    api_client, admin_user
):
    api_client.force_login(admin_user)
    body = {"name": "report", "scopes": ["Settings.read", "Investigation.read", "Settings.read"]}
    made = api_client.post(TOKENS, body, format="json")
    api_client.logout()

    assert made.status_code == 201
    assert made.json()["scopes"] == ["Investigation.read", "Settings.read"]
    seen = me(api_client, made.json()["token"])
    assert seen["scopes"] == ["Investigation.read", "Settings.read"]
    assert seen["capabilities"] == ["Investigation.read", "Settings.read"]
    assert "Tokens.manage_all" in seen["role_capabilities"]
    assert len(seen["role_capabilities"]) == 7


@pytest.mark.parametrize(
    ("scopes", "detail"),
    [
        (
            ["Investigation.read", "Everything.manage"],
            "scopes: Unknown capability: 'Everything.manage'.",
        ),
        (["Tokens.manage_all"], "scopes: Unknown capability: 'Tokens.manage_all'."),
        (["Settings.manage"], "scopes: Your role (Security reader) does not have Settings.manage."),
        ([], "scopes: Choose at least one capability, or keep the same as your role."),
        ("Investigation.read", 'scopes: Expected a list of items but got type "str".'),
    ],
)
def test_bad_scopes_are_a_400_and_make_nothing(api_client, tenant, scopes, detail):
    api_client.force_login(make_user(tenant, Role.SECURITY_READER))

    response = api_client.post(TOKENS, {"name": "x", "scopes": scopes}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert not ApiToken.objects.exists()


def test_a_demotion_narrows_a_scoped_token_and_a_promotion_never_widens_it(api_client, tenant):
    admin = make_user(tenant, Role.GLOBAL_ADMIN)
    _, wide = token_generate(
        user=admin, name="wide", scopes=["Investigation.read", "Settings.manage"]
    )
    reader = make_user(tenant, Role.SECURITY_READER)
    _, narrow = token_generate(user=reader, name="narrow", scopes=["Investigation.read"])

    admin.role, reader.role = Role.SECURITY_READER, Role.GLOBAL_ADMIN
    admin.save()
    reader.save()

    assert me(api_client, wide)["capabilities"] == ["Investigation.read"]
    assert me(api_client, narrow)["capabilities"] == ["Investigation.read"]


def _data_api_routes():
    """(path with each parameter as "1", method, needed capabilities) of every route of the
    data API whose view declares what each method needs."""

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                view = getattr(entry.callback, "cls", None)
                table = getattr(view, "capabilities", None)
                if table:
                    yield prefix + str(entry.pattern), table

    for route, table in walk(get_resolver().url_patterns, "/"):
        if not route.startswith(("/api/v1/", "/cas/api/v1/", "/api/")):
            continue
        path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)  # a regex route's groups
        path = re.sub(r"<(?:\w+:)?\w+>", "1", path).replace("^", "").replace("$", "")
        path = path.replace("/?", "/")
        for method, needed in table.items():
            yield path, method, tuple(needed)


ROUTES = sorted(set(_data_api_routes()))
CHANGES = [
    (path, method, needed)
    for path, method, needed in ROUTES
    if not any(capability in READ_ONLY for capability in needed)
]


def test_the_route_table_is_what_this_test_walks():
    # A data API without routes here would make the next test pass without checking.
    assert len(ROUTES) >= 25
    assert len(CHANGES) >= 8
    assert ("/api/v1/subnet/create_rule/", "POST", ("Settings.manage",)) in CHANGES


@pytest.mark.parametrize(("path", "method", "needed"), CHANGES)
def test_a_read_only_token_of_a_global_admin_is_refused_every_change(
    api_client, tenant, path, method, needed
):
    admin = make_user(tenant, Role.GLOBAL_ADMIN)
    _, value = token_generate(user=admin, name="report", scopes=sorted(READ_ONLY))
    alert, subnet = make_alert(tenant), make_subnet(tenant)
    before = (
        alert.__class__.objects.values().get(pk=alert.pk),
        subnet.__class__.objects.values().get(pk=subnet.pk),
    )

    response = api_client.generic(
        method,
        path,
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {value}",
        HTTP_HOST="contoso.us2.portal.test",
    )

    assert response.status_code == 403, (path, method, response.content[:200])
    names = " or ".join(needed)
    assert response.json() == {"detail": f"This requires the {names} permission."}
    after = (
        alert.__class__.objects.values().get(pk=alert.pk),
        subnet.__class__.objects.values().get(pk=subnet.pk),
    )
    assert after == before


def test_a_read_only_token_still_reads(api_client, tenant):
    admin = make_user(tenant, Role.GLOBAL_ADMIN)
    _, value = token_generate(user=admin, name="report", scopes=sorted(READ_ONLY))
    make_alert(tenant)

    response = api_client.get(
        "/api/v1/alerts/", HTTP_AUTHORIZATION=f"Token {value}", HTTP_HOST="contoso.us2.portal.test"
    )

    assert response.status_code == 200
    assert len(response.json()["data"]) == 1


def test_a_scoped_token_reaches_only_itself_in_the_tokens_api(api_client, admin_user, reader):
    mine, _ = make_token(admin_user, name="another of mine")
    theirs, _ = make_token(reader, name="the reader's")
    scoped, value = token_generate(user=admin_user, name="scoped", scopes=["Investigation.read"])
    auth = {"HTTP_AUTHORIZATION": f"Token {value}"}

    listed = api_client.get(TOKENS, **auth).json()["results"]
    other = api_client.get(f"{TOKENS}{mine.pk}/", **auth)
    revoke_other = api_client.delete(f"{TOKENS}{theirs.pk}/", **auth)
    events = api_client.get("/api/v1/token-events/", **auth).json()["results"]
    revoke_self = api_client.delete(f"{TOKENS}{scoped.pk}/", **auth)

    assert [t["name"] for t in listed] == ["scoped"]
    assert other.status_code == revoke_other.status_code == 404
    assert {e["token"]["name"] for e in events} == {"scoped"}
    assert revoke_self.status_code == 204
    assert ApiToken.objects.get(pk=mine.pk).revoked_at is None
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None


def test_the_dialog_makes_read_only_and_chosen_tokens(client, tenant):
    operator = make_user(tenant, Role.SECURITY_OPERATOR)
    client.force_login(operator)
    host = {"HTTP_HOST": "contoso.us2.portal.test"}
    new = "/settings/security-extensions/api-tokens/new/"

    shown = client.get(new, **host).context["form"]
    read_only = client.post(new, once({"name": "ro", "access": "read_only"}), **host)
    chosen = client.post(
        new, once({"name": "inv", "access": "custom", "scopes": ["Investigation.manage"]}), **host
    )
    forged = client.post(
        new, once({"name": "forged", "access": "custom", "scopes": ["Settings.manage"]}), **host
    )
    none = client.post(new, once({"name": "none", "access": "custom"}), **host)

    assert [v for v, _ in shown.fields["scopes"].choices] == [
        "Investigation.read",
        "Investigation.manage",
        "Discovery.read",
        "Settings.read",
    ]
    assert [read_only.status_code, chosen.status_code] == [201, 201]
    scopes = dict(ApiToken.objects.values_list("name", "scopes"))
    assert scopes == {
        "ro": ["Discovery.read", "Investigation.read", "Settings.read"],
        "inv": ["Investigation.manage"],
    }
    assert forged.status_code == none.status_code == 400
    assert forged.context["form"].errors == {
        "scopes": ["Select a valid choice. Settings.manage is not one of the available choices."]
    }
    assert none.context["form"].errors == {
        "scopes": ["Choose at least one capability, or keep the same as your role."]
    }


@pytest.mark.parametrize("scope", [scope.value for scope in SCOPES])
def test_a_token_of_one_scope_passes_exactly_the_routes_that_need_it(api_client, tenant, scope):
    """Every data API route, for a global admin's token narrowed to each one capability: the
    routes that need it get past the permission check (whatever the empty body then earns),
    every other route is a 403 naming what it needs."""
    admin = make_user(tenant, Role.GLOBAL_ADMIN)
    _, value = token_generate(user=admin, name=f"only {scope}", scopes=[scope])
    make_alert(tenant)
    make_subnet(tenant)
    passed, refused = [], []

    for path, method, needed in ROUTES:
        response = api_client.generic(
            method,
            path,
            "{}",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {value}",
            HTTP_HOST="contoso.us2.portal.test",
        )
        if scope in needed:
            assert response.status_code != 403, (path, method, response.content[:200])
            passed.append((path, method))
        else:
            assert response.status_code == 403, (path, method, response.content[:200])
            names = " or ".join(needed)
            assert response.json() == {"detail": f"This requires the {names} permission."}
            refused.append((path, method))

    assert passed, f"no route needs {scope}: the table walked is not the data API's"
    assert len(passed) + len(refused) == len(ROUTES)
