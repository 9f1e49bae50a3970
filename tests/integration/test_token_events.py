"""The token event log: one event for each thing that happens to a token, with who did it,
from where and why; refused uses at most once a minute per token, with a count; and no way
to change or remove an event, down to the database."""

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction

from accounts.roles import Role
from accounts.services import user_deprovision
from tests.factories import make_tenant, make_token, make_user
from tests.pages import once
from tokens.lifecycle import EventReason
from tokens.models import ActorKind, ApiToken, EventKind, TokenEvent
from tokens.rotation import scim_token_rotate
from tokens.services import token_revoke

CONTOSO = "contoso.us2.portal.test"
FABRIKAM = "fabrikam.eu2.portal.test"
AGENT = "Probe/1.0 (events test)"


def events(token) -> list[tuple]:
    return list(
        TokenEvent.objects.filter(token=token)
        .order_by("created", "id")
        .values_list("kind", "reason", "actor_kind", "actor_label", "count")
    )


def test_a_token_generated_on_the_api_has_a_generated_event(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        "/api/v1/tokens/",
        {"name": "Report"},
        content_type="application/json",
        HTTP_USER_AGENT=AGENT,
        REMOTE_ADDR="203.0.113.9",
    )

    token = ApiToken.objects.get(pk=response.json()["id"])
    event = TokenEvent.objects.get(token=token)
    assert (event.kind, event.actor, event.actor_kind, event.actor_label) == (
        EventKind.GENERATED,
        admin_user,
        ActorKind.USER,
        admin_user.username,
    )
    assert (event.source_ip, event.user_agent, event.detail) == ("203.0.113.9", AGENT, "Generated.")
    assert (event.token_name, event.token_kind, event.token_suffix) == (
        "Report",
        "api",
        token.suffix,
    )
    assert event.tenant_id == token.tenant_id


def test_a_token_generated_on_the_page_has_one_event(client, admin_user):
    client.force_login(admin_user)

    client.post(
        "/settings/security-extensions/api-tokens/new/",
        once({"name": "Page token"}),
        HTTP_HOST=CONTOSO,
        HTTP_USER_AGENT=AGENT,
    )

    token = ApiToken.objects.get(name="Page token")
    assert events(token) == [("generated", "", "user", admin_user.username, 1)]


def test_an_admin_generating_for_someone_is_the_actor(client, reader, db):
    staff = make_user(None, is_staff=True, is_superuser=True, username="platform-admin")
    client.force_login(staff)

    client.post("/admin/tokens/apitoken/add/", {"user": reader.pk, "kind": "api", "name": "X"})

    event = TokenEvent.objects.get(token__name="X")
    assert (event.actor_label, event.detail) == (
        "platform-admin",
        f"Generated for {reader.username}.",
    )


def test_the_first_use_is_an_event_once_with_its_origin(api_client, reader):
    token, value = make_token(reader)

    for _ in range(3):
        api_client.get(
            "/api/v1/me/",
            HTTP_AUTHORIZATION=f"Token {value}",
            HTTP_USER_AGENT=AGENT,
            REMOTE_ADDR="198.51.100.4",
        )

    first = TokenEvent.objects.get(token=token, kind=EventKind.FIRST_USED)
    assert (first.source_ip, first.user_agent, first.actor_kind) == (
        "198.51.100.4",
        AGENT,
        ActorKind.SYSTEM,
    )
    assert [kind for kind, *_ in events(token)] == ["generated", "first_used"]


@pytest.mark.parametrize(
    ("who", "reason"), [("owner", EventReason.BY_OWNER), ("admin", EventReason.BY_ADMIN)]
)
def test_a_revocation_says_by_whom(client, admin_user, tenant, who, reason):
    owner = admin_user if who == "owner" else make_user(tenant, Role.SECURITY_READER)
    token, _ = make_token(owner)
    client.force_login(admin_user)

    response = client.post(f"/api/v1/tokens/{token.pk}/revoke/", REMOTE_ADDR="192.0.2.7")

    assert response.status_code == 204
    event = TokenEvent.objects.get(token=token, kind=EventKind.REVOKED)
    assert (event.reason, event.actor, event.source_ip) == (reason, admin_user, "192.0.2.7")
    assert event.detail == f"Revoked: {EventReason(reason).label.lower()}."


def test_revoking_twice_writes_one_event(reader):
    token, _ = make_token(reader)

    token_revoke(token=token, by=reader)
    token_revoke(token=token, by=reader)

    assert events(token)[1:] == [("revoked", "by_owner", "user", reader.username, 1)]


def test_a_replaced_scim_token_is_revoked_as_replaced(admin_user):
    old, _ = scim_token_rotate(user=admin_user)

    new, _ = scim_token_rotate(user=admin_user)

    assert events(old) == [
        ("generated", "", "user", admin_user.username, 1),
        ("revoked", "replaced", "user", admin_user.username, 1),
    ]
    assert [kind for kind, *_ in events(new)] == ["generated"]


def test_regenerating_an_agents_token_revokes_the_old_one_as_replaced(client, admin_user):
    from extensions.services import siem_agent_create, siem_agent_regenerate

    agent, _ = siem_agent_create(
        user=admin_user,
        name="Sentinel",
        output_format="json",
        send_alerts=True,
        send_activities=True,
    )
    old = agent.token

    siem_agent_regenerate(agent=agent, by=admin_user)

    assert events(old)[-1][:2] == ("revoked", "replaced")
    assert events(agent.token)[0][0] == "generated"
    assert agent.token.kind == "siem"


def refuse(api_client, value, host=CONTOSO, times=1):
    return [
        api_client.get(
            "/api/v1/me/",
            HTTP_AUTHORIZATION=f"Token {value}",
            HTTP_HOST=host,
            REMOTE_ADDR="203.0.113.66",
            HTTP_USER_AGENT="attacker/0.1",
        ).status_code
        for _ in range(times)
    ]


def test_refused_uses_are_logged_at_most_once_a_minute_with_a_count(api_client, reader):
    token, value = make_token(reader)
    token_revoke(token=token, by=reader)
    cache.clear()

    statuses = refuse(api_client, value, times=5)
    after_the_first_minute = events(token)
    cache.delete(f"token-refused:{token.pk}:gate")  # the minute has passed
    refuse(api_client, value)

    assert statuses == [401] * 5
    assert after_the_first_minute[-1] == ("refused", "revoked", "system", "System", 1)
    assert len([e for e in after_the_first_minute if e[0] == "refused"]) == 1
    last = TokenEvent.objects.filter(token=token, kind=EventKind.REFUSED).latest("id")
    assert last.count == 5  # the four counted in between, and itself
    assert (last.source_ip, last.user_agent) == ("203.0.113.66", "attacker/0.1")
    assert last.detail == "Refused: the token is revoked. 5 requests since the last such event."


def test_a_deprovisioned_owners_token_is_refused_and_logged(api_client, reader):
    token, value = make_token(reader)
    user_deprovision(user=reader)
    cache.clear()

    assert refuse(api_client, value) == [403]
    assert events(token)[-1][:2] == ("refused", "owner_deprovisioned")


def test_a_token_used_on_another_tenants_address_is_refused_and_logged(api_client, reader, db):
    make_tenant(name="Fabrikam", slug="fabrikam", region="eu2")
    token, value = make_token(reader)
    cache.clear()

    assert refuse(api_client, value, host=FABRIKAM) == [401]
    assert events(token)[-1][:2] == ("refused", "other_tenant")


def test_an_unknown_value_writes_nothing(api_client, reader):
    from tokens import keys

    refuse(api_client, keys.generate("api"), times=3)

    assert TokenEvent.objects.filter(kind=EventKind.REFUSED).count() == 0


def test_no_token_value_reaches_the_events(client, admin_user, api_client):
    client.force_login(admin_user)
    value = client.post(
        "/api/v1/tokens/", {"name": "Leak check"}, content_type="application/json"
    ).json()["token"]
    api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}")
    token = ApiToken.objects.get(name="Leak check")
    token_revoke(token=token, by=admin_user)
    api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}")

    rows = list(TokenEvent.objects.filter(token=token).values())
    assert len(rows) == 4
    assert all(value not in str(field) for row in rows for field in row.values())
    assert all(value[-12:] not in str(field) for row in rows for field in row.values())


# --- append-only ---------------------------------------------------------------------------------


@pytest.fixture
def event(reader):
    token, _ = make_token(reader)
    return TokenEvent.objects.get(token=token)


def test_an_event_cannot_be_saved_again_or_deleted(event):
    event.detail = "changed"

    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    with pytest.raises(TypeError, match="append-only"):
        TokenEvent.objects.filter(pk=event.pk).update(detail="changed")
    with pytest.raises(TypeError, match="append-only"):
        TokenEvent.objects.filter(pk=event.pk).delete()
    assert TokenEvent.objects.get(pk=event.pk).detail == "Generated."


def test_the_database_refuses_to_change_an_event(event):
    table = TokenEvent._meta.db_table

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET detail = 'changed' WHERE id = %s", [event.pk])  # noqa: S608

    assert TokenEvent.objects.get(pk=event.pk).detail == "Generated."


@pytest.mark.postgres
def test_postgresql_refuses_to_delete_an_event(event):
    """(A row DELETE trigger on PostgreSQL only: SQLite's test flush deletes rows.)"""
    table = TokenEvent._meta.db_table

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [event.pk])  # noqa: S608

    assert TokenEvent.objects.filter(pk=event.pk).exists()


def test_the_admin_shows_events_and_changes_none(client, event, db):
    staff = make_user(None, is_staff=True, is_superuser=True, username="platform-admin")
    client.force_login(staff)

    listed = client.get("/admin/tokens/tokenevent/")
    changed = client.post(f"/admin/tokens/tokenevent/{event.pk}/change/", {"detail": "x"})
    deleted = client.post(f"/admin/tokens/tokenevent/{event.pk}/delete/", {"post": "yes"})

    assert listed.status_code == 200
    assert event.token_name in listed.content.decode()
    assert (changed.status_code, deleted.status_code) == (403, 403)
    assert TokenEvent.objects.get(pk=event.pk).detail == "Generated."
