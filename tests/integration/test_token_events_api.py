"""The token event log in the API: GET /api/v1/token-events/ and /api/v1/tokens/<id>/events/,
visible as the tokens table is (a full admin the tenant's, others their own), filtered by
kind, token, user and time, paginated, with a `detail` on every refusal."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from tests.factories import make_tenant, make_token, make_user
from tokens.models import TokenEvent
from tokens.services import token_revoke


@pytest.fixture
def log(tenant, admin_user):
    """Events of three people's tokens in Contoso, and one of Fabrikam's."""
    reader = make_user(tenant, Role.SECURITY_READER, username="reader@contoso.com")
    operator = make_user(tenant, Role.SECURITY_OPERATOR, username="operator@contoso.com")
    mine, _ = make_token(reader, name="Reader script")
    theirs, _ = make_token(operator, name="Operator script")
    token_revoke(token=theirs, by=admin_user)
    admins, _ = make_token(admin_user, name="Admin script", kind="siem")
    fabrikam = make_tenant(name="Fabrikam", slug="fabrikam", region="eu2")
    outsider, _ = make_token(make_user(fabrikam, Role.GLOBAL_ADMIN), name="Fabrikam script")
    return {
        "reader": reader,
        "mine": mine,
        "theirs": theirs,
        "admins": admins,
        "outsider": outsider,
    }


def names(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.json()
    return [(e["token"]["name"], e["kind"]) for e in response.json()["results"]]


def test_a_full_admin_reads_every_event_of_the_tenant(client, admin_user, log):
    client.force_login(admin_user)

    response = client.get("/api/v1/token-events/")

    assert names(response) == [
        ("Admin script", "generated"),
        ("Operator script", "revoked"),
        ("Operator script", "generated"),
        ("Reader script", "generated"),
    ]
    assert response["Cache-Control"] == "no-store"
    first = response.json()["results"][1]
    assert first["token"] == {
        "id": log["theirs"].pk,
        "name": "Operator script",
        "kind": "api",
        "suffix": log["theirs"].suffix,
    }
    assert first["actor"] == {
        "kind": "user",
        "label": admin_user.username,
        "user_id": admin_user.pk,
    }
    assert (first["reason"], first["detail"], first["count"]) == (
        "by_admin",
        "Revoked: by an admin.",
        1,
    )
    assert set(first) == {
        "id",
        "time",
        "kind",
        "reason",
        "token",
        "actor",
        "source_ip",
        "user_agent",
        "detail",
        "count",
    }


def test_others_read_the_events_of_their_own_tokens_only(client, log):
    client.force_login(log["reader"])

    assert names(client.get("/api/v1/token-events/")) == [("Reader script", "generated")]
    assert client.get(f"/api/v1/tokens/{log['theirs'].pk}/events/").status_code == 404
    assert client.get(f"/api/v1/tokens/{log['mine'].pk}/events/").status_code == 200


def test_a_revoked_tokens_events_stay_readable(client, admin_user, log):
    client.force_login(admin_user)

    response = client.get(f"/api/v1/tokens/{log['theirs'].pk}/events/")

    assert names(response) == [("Operator script", "revoked"), ("Operator script", "generated")]


def test_another_tenants_token_is_not_found(client, admin_user, log):
    client.force_login(admin_user)

    response = client.get(f"/api/v1/tokens/{log['outsider'].pk}/events/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Token not found."}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "revoked"}, [("Operator script", "revoked")]),
        ({"token": "{mine}"}, [("Reader script", "generated")]),
        ({"user": "READER@contoso.com"}, [("Reader script", "generated")]),
        # whose token: the operator's, revoked by the admin
        (
            {"user": "operator@contoso.com"},
            [("Operator script", "revoked"), ("Operator script", "generated")],
        ),
        # who acted: the admin revoked the operator's token and made their own
        ({"actor": "{admin}"}, [("Admin script", "generated"), ("Operator script", "revoked")]),
        ({"actor": "{admin}", "kind": "revoked"}, [("Operator script", "revoked")]),
        ({"user": "{admin}", "kind": "revoked"}, []),
        ({"user": "nobody@contoso.com"}, []),
        ({"since": "{future}"}, []),
        ({"until": "{past}"}, []),
        ({"page_size": "1", "page": "2"}, [("Operator script", "revoked")]),
    ],
)
def test_filters(client, admin_user, log, query, expected):
    client.force_login(admin_user)
    now = timezone.now()
    values = {
        "{mine}": str(log["mine"].pk),
        "{admin}": admin_user.username,
        "{future}": (now + timedelta(hours=1)).isoformat(),
        "{past}": (now - timedelta(hours=1)).isoformat(),
    }
    query = {key: values.get(value, value) for key, value in query.items()}

    assert names(client.get("/api/v1/token-events/", query)) == expected


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ({"kind": "exploded"}, "kind: Select a valid choice."),
        ({"token": "²"}, "token: Enter a number."),
        ({"token": "99999999999999999999"}, "token: Ensure this value is less than or equal"),
        ({"since": "yesterday"}, "since: Enter a valid date/time."),
        ({"until": "2026-13-45T00:00:00Z"}, "until: Enter a valid date/time."),
        ({"user": "x" * 151}, "user: Ensure this value has at most 150 characters"),
        ({"actor": "x" * 151}, "actor: Ensure this value has at most 150 characters"),
        ({"page": "0"}, "Invalid page."),
    ],
)
def test_bad_filters_are_a_400_or_404_with_a_detail(client, admin_user, log, query, detail):
    client.force_login(admin_user)

    response = client.get("/api/v1/token-events/", query)

    assert response.status_code in (400, 404)
    assert response.json()["detail"].startswith(detail)


def test_an_api_token_reads_the_log_with_its_owners_reach(api_client, log, admin_user):
    _, value = make_token(admin_user, name="Auditor")

    response = api_client.get("/api/v1/token-events/", HTTP_AUTHORIZATION=f"Token {value}")

    assert ("Reader script", "generated") in names(response)
    assert TokenEvent.objects.filter(token_name="Auditor", kind="first_used").count() == 1
