"""Least privilege from evidence: what each token used of what it holds (counted without a
write per request, folded into the database with the usage), narrowing that keeps the value
and never widens, the tenant's tokens holding capabilities unused for 30 days, and the
privileges a token gains and loses when its owner's role changes (never more than it was
made with)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.services import user_role_clear, user_save
from tests.factories import make_token
from tokens.models import ApiToken, EventKind, TokenCapabilityDay, TokenEvent
from tokens.services import token_generate

CONTOSO = "contoso.us2.portal.test"
ALL = [
    "Discovery.manage",
    "Discovery.read",
    "Investigation.manage",
    "Investigation.read",
    "Settings.manage",
    "Settings.read",
    "Tokens.manage_all",
]


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.TOKEN_USAGE_FLUSH_SECONDS = 0  # each use goes to the cache at once
    cache.clear()
    yield
    cache.clear()


def script(value: str) -> APIClient:
    return APIClient(HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION=f"Token {value}")


def detail(api_client, user, token) -> dict:
    api_client.force_login(user)
    response = api_client.get(f"/api/v1/tokens/{token.pk}/")
    assert response.status_code == 200
    return response.json()


# --- used against granted ------------------------------------------------------------------------


def test_each_capability_used_is_counted_with_its_last_use(api_client, admin_user):
    token, value = make_token(admin_user)
    client = script(value)
    for _ in range(3):
        assert client.get("/api/v1/activities/").status_code == 200
    assert client.get("/api/v1/discovery/uploads/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200  # needs no capability

    body = detail(api_client, admin_user, token)

    uses = {use["capability"]: use for use in body["used_capabilities"]}
    assert sorted(uses) == ALL
    assert {name: use["requests_30d"] for name, use in uses.items()} == {
        name: {"Investigation.read": 3, "Discovery.read": 1}.get(name, 0) for name in ALL
    }
    assert uses["Investigation.read"]["last_used"] is not None
    assert uses["Settings.read"]["last_used"] is None
    assert body["narrowing"] == ["Discovery.read", "Investigation.read"]
    assert body["capabilities"] == ALL
    assert body["lost_capabilities"] == []


def test_counting_costs_no_query_and_no_write_per_request(admin_user):
    _, value = make_token(admin_user)
    client = script(value)
    client.get("/api/v1/activities/")  # the first use writes last_used_at (once a minute)

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/activities/").status_code == 200
    token_queries = [q["sql"] for q in queries if "tokens_apitoken" in q["sql"]]
    writes = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]
    assert len(token_queries) == 1
    assert writes == []


def test_uses_are_folded_into_the_database_with_the_usage(api_client, admin_user):
    token, value = make_token(admin_user)
    client = script(value)
    client.get("/api/v1/activities/")
    client.get("/api/v1/activities/")
    # A minute later, the next use folds what the cache holds into the database.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get("/api/v1/me/")

    rows = list(TokenCapabilityDay.objects.values_list("capability", "day", "count"))
    assert rows == [("Investigation.read", timezone.now().date(), 2)]
    cache.clear()  # what was folded is the database's now
    uses = {u["capability"]: u for u in detail(api_client, admin_user, token)["used_capabilities"]}
    assert uses["Investigation.read"]["requests_30d"] == 2
    assert uses["Investigation.read"]["last_used"] is not None


def test_a_token_that_used_everything_it_holds_has_no_narrowing(api_client, reader):
    token, value = token_generate(user=reader, name="One", scopes=["Investigation.read"])
    script(value).get("/api/v1/activities/")

    body = detail(api_client, reader, token)

    assert body["narrowing"] is None
    assert [u["requests_30d"] for u in body["used_capabilities"]] == [1]


# --- narrowing keeps the value and never widens -------------------------------------------------


def test_narrowing_keeps_the_value_and_records_before_and_after(api_client, admin_user):
    token, value = make_token(admin_user)
    client = script(value)
    api_client.force_login(admin_user)

    response = api_client.post(
        f"/api/v1/tokens/{token.pk}/narrow/", {"scopes": ["Investigation.read"]}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["scopes"], response.json()["capabilities"]) == (
        ["Investigation.read"],
        ["Investigation.read"],
    )
    assert client.get("/api/v1/activities/").status_code == 200  # the same value works
    refused = client.get("/api/v1/discovery/uploads/")
    assert refused.status_code == 403
    event = TokenEvent.objects.get(kind=EventKind.NARROWED)
    assert (event.actor_label, event.detail) == (
        "admin@contoso.com",
        f"Narrowed: {', '.join(ALL)} → Investigation.read. The value is unchanged.",
    )
    assert ApiToken.objects.get(pk=token.pk).granted_capabilities == ["Investigation.read"]


def test_narrowing_cannot_widen(api_client, admin_user, reader):
    token, _ = token_generate(user=admin_user, name="Two", scopes=["Investigation.read"])
    readers, _ = make_token(reader)
    api_client.force_login(admin_user)

    wider = api_client.post(
        f"/api/v1/tokens/{token.pk}/narrow/",
        {"scopes": ["Investigation.read", "Settings.manage"]},
        format="json",
    )
    api_client.force_login(reader)
    beyond_role = api_client.post(
        f"/api/v1/tokens/{readers.pk}/narrow/", {"scopes": ["Investigation.manage"]}, format="json"
    )

    assert (wider.status_code, wider.json()["detail"]) == (
        403,
        "This token cannot do Settings.manage now, so it cannot keep it: narrowing never "
        "widens a token. Generate a new token for that.",
    )
    assert beyond_role.status_code == 403
    assert ApiToken.objects.get(pk=token.pk).scopes == ["Investigation.read"]
    assert ApiToken.objects.get(pk=readers.pk).scopes is None
    assert not TokenEvent.objects.filter(kind=EventKind.NARROWED).exists()


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"scopes": []}, 400, "scopes: Ensure this field has at least 1 elements."),
        ({"scopes": ["Everything"]}, 400, "scopes: Unknown capability: 'Everything'."),
        ({"scopes": None}, 400, "scopes: This field may not be null."),
        ({}, 400, "scopes: This field is required."),
        ({"scopes": ["Investigation.read"], "why": "x"}, 400, "why: Unknown field"),
    ],
)
def test_a_bad_narrowing_is_refused_and_nothing_changes(
    api_client, admin_user, body, status, message
):
    token, _ = make_token(admin_user)
    api_client.force_login(admin_user)

    response = api_client.post(f"/api/v1/tokens/{token.pk}/narrow/", body, format="json")

    assert response.status_code == status
    assert response.json()["detail"].startswith(message)
    assert ApiToken.objects.get(pk=token.pk).scopes is None


def test_a_token_cannot_narrow_with_a_token_and_a_revoked_one_not_at_all(api_client, reader):
    token, value = make_token(reader)
    other, _ = make_token(reader, name="Other")
    response = script(value).post(
        f"/api/v1/tokens/{token.pk}/narrow/", {"scopes": ["Investigation.read"]}, format="json"
    )
    api_client.force_login(reader)
    api_client.delete(f"/api/v1/tokens/{other.pk}/")
    revoked = api_client.post(
        f"/api/v1/tokens/{other.pk}/narrow/", {"scopes": ["Investigation.read"]}, format="json"
    )

    assert (response.status_code, response.json()["detail"]) == (
        403,
        "A token is narrowed by a signed-in user.",
    )
    assert (revoked.status_code, revoked.json()["detail"]) == (
        409,
        "A revoked token cannot be changed.",
    )


def test_narrowing_a_rotated_token_narrows_its_old_value_too(api_client, admin_user):
    from tokens.rotation import token_rotate

    old, old_value = make_token(admin_user)
    new, _ = token_rotate(token=old, by=admin_user, grace="24h")
    api_client.force_login(admin_user)

    response = api_client.post(
        f"/api/v1/tokens/{new.pk}/narrow/", {"scopes": ["Investigation.read"]}, format="json"
    )

    assert response.status_code == 200
    assert ApiToken.objects.get(pk=old.pk).scopes == ["Investigation.read"]
    assert script(old_value).get("/api/v1/discovery/uploads/").status_code == 403


# --- the tenant's tokens holding what they do not use ----------------------------------------


def test_full_admins_see_the_tokens_with_unused_capabilities_and_their_narrowing(
    api_client, admin_user, reader
):
    long_ago = timezone.now() - timedelta(days=40)
    _busy, busy_value = token_generate(user=admin_user, name="Busy", created_at=long_ago)
    _idle, _ = token_generate(user=reader, name="Idle", created_at=long_ago)
    token_generate(user=reader, name="New")  # made 0 days ago: not yet 30 days of evidence
    _every, every_value = token_generate(
        user=reader, name="Every", scopes=["Investigation.read"], created_at=long_ago
    )
    script(busy_value).get("/api/v1/activities/")
    script(every_value).get("/api/v1/activities/")
    api_client.force_login(admin_user)

    body = api_client.get("/api/v1/tokens/unused-capabilities/").json()

    assert (body["count"], body["count_over_bound"]) == (2, False)
    shown = {token["name"]: token for token in body["tokens"]}
    assert sorted(shown) == ["Busy", "Idle"]
    assert shown["Busy"]["narrowing"] == ["Investigation.read"]
    assert shown["Busy"]["unused"] == [name for name in ALL if name != "Investigation.read"]
    assert shown["Idle"]["narrowing"] is None
    assert shown["Idle"]["why"] == "It used none of its capabilities in 30 days: revoke it."
    api_client.force_login(reader)
    assert api_client.get("/api/v1/tokens/unused-capabilities/").status_code == 403


# --- privilege drift ---------------------------------------------------------------------------


def test_a_demotion_is_an_event_on_each_token_and_shows_as_lost(api_client, admin_user):
    _full, _ = make_token(admin_user, name="Full")
    scoped, scoped_value = token_generate(
        user=admin_user, name="Scoped", scopes=["Investigation.read", "Settings.manage"]
    )

    admin_user.role = Role.SECURITY_READER
    user_save(user=admin_user)

    said = dict(
        TokenEvent.objects.filter(kind=EventKind.DRIFTED).values_list("token__name", "detail")
    )
    assert said == {
        "Full": "Role of admin@contoso.com: Global administrator → Security reader. Lost "
        "Discovery.manage, Investigation.manage, Settings.manage, Tokens.manage_all.",
        "Scoped": "Role of admin@contoso.com: Global administrator → Security reader. Lost "
        "Settings.manage.",
    }
    api_client.force_login(admin_user)
    listed = {t["name"]: t for t in api_client.get("/api/v1/tokens/").json()["results"]}
    assert listed["Scoped"]["lost_capabilities"] == ["Settings.manage"]
    assert listed["Full"]["lost_capabilities"] == [
        "Discovery.manage",
        "Investigation.manage",
        "Settings.manage",
        "Tokens.manage_all",
    ]
    assert detail(api_client, admin_user, scoped)["capabilities"] == ["Investigation.read"]
    assert (
        script(scoped_value).post("/api/v1/subnet/create_rule/", {}, format="json").status_code
        == 403
    )


def test_a_promotion_gives_back_what_was_lost_and_never_more(api_client, admin_user, reader):
    full, _ = make_token(admin_user, name="Full")
    readers, readers_value = make_token(reader, name="Reader's")
    admin_user.role = Role.SECURITY_READER
    user_save(user=admin_user)

    admin_user.role = Role.GLOBAL_ADMIN
    user_save(user=admin_user)
    reader.role = Role.GLOBAL_ADMIN
    user_save(user=reader)

    assert detail(api_client, admin_user, full)["lost_capabilities"] == []
    assert TokenEvent.objects.filter(token=full, kind=EventKind.DRIFTED).latest("id").detail == (
        "Role of admin@contoso.com: Security reader → Global administrator. Regained "
        "Discovery.manage, Investigation.manage, Settings.manage, Tokens.manage_all."
    )
    promoted = TokenEvent.objects.get(token=readers, kind=EventKind.DRIFTED)
    assert promoted.detail == (
        "Role of reader@contoso.com: Security reader → Global administrator. Not given "
        "Discovery.manage, Investigation.manage, Settings.manage, Tokens.manage_all: it was "
        "not made with them."
    )
    body = detail(api_client, reader, readers)
    assert body["capabilities"] == ["Discovery.read", "Investigation.read", "Settings.read"]
    assert body["lost_capabilities"] == []
    # Its holder still cannot change data, though its owner now could.
    assert (
        script(readers_value).post("/api/v1/subnet/create_rule/", {}, format="json").status_code
        == 403
    )


def test_a_role_removed_in_entra_takes_everything_and_says_so(admin_user, tenant):
    import uuid

    admin_user.entra_object_id = uuid.uuid4()
    user_save(user=admin_user)
    token, _ = make_token(admin_user)

    user_role_clear(tenant=tenant, entra_object_id=admin_user.entra_object_id)

    token = ApiToken.objects.select_related("user").get(pk=token.pk)
    assert token.lost_capabilities == ALL
    assert TokenEvent.objects.get(kind=EventKind.DRIFTED).detail == (
        f"Role of admin@contoso.com: Global administrator → no role. Lost {', '.join(ALL)}."
    )


def test_a_change_that_touches_no_token_writes_no_event(reader):
    make_token(reader)

    reader.role = Role.GLOBAL_READER  # the same capabilities as a security reader
    user_save(user=reader)
    reader.first_name = "Renamed"
    user_save(user=reader)

    assert not TokenEvent.objects.filter(kind=EventKind.DRIFTED).exists()
