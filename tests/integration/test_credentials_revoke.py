"""The public report of leaked credentials, POST /api/v1/credentials/revoke/: every value that
is a live token of any tenant is revoked at once, logged, turned into a high-severity alert
of its tenant and told to its owner by e-mail (through a real SMTP server on loopback); the
answer says nothing of which values were tokens; bad bodies, credentials and floods are
refused."""

import json

import pytest
from django.core.cache import caches

from accounts.roles import Role
from security.models import Alert
from tests.factories import make_tenant, make_token, make_user
from tokens import keys
from tokens.lifecycle import EventReason
from tokens.models import ApiToken, TokenEvent
from tokens.outbox import notices_deliver

URL = "/api/v1/credentials/revoke/"
THANKS = {"detail": "Thank you. Any of these that is a live token has been revoked."}


@pytest.fixture(autouse=True)
def _fresh_limit():
    caches["default"].clear()


def report(client, values, **extra):
    return client.post(
        URL, json.dumps({"credentials": values}), content_type="application/json", **extra
    )


@pytest.mark.django_db(transaction=True)
def test_a_leaked_token_is_revoked_logged_alerted_and_its_owner_told(client, smtp, tenant):
    owner = make_user(
        tenant,
        Role.SECURITY_OPERATOR,
        username="pat@contoso.com",
        email="pat@contoso.com",
        first_name="Pat",
        last_name="Doe",
    )
    token, value = make_token(owner, name="CI deploy")

    response = report(client, [value], REMOTE_ADDR="192.0.2.99")

    assert (response.status_code, response.json()) == (202, THANKS)
    token.refresh_from_db()
    assert token.revoked_at is not None
    event = TokenEvent.objects.get(token=token, kind="revoked")
    assert (event.reason, event.actor_kind, event.actor_label, event.source_ip) == (
        EventReason.EXPOSED,
        "public",
        "Public report",
        "192.0.2.99",
    )
    alert = Alert.objects.get(tenant=tenant)
    assert alert.severity == 2
    assert alert.title.startswith("API token “CI deploy” of pat@contoso.com exposed publicly at ")
    assert value not in alert.title + alert.description + json.dumps(alert.entities)
    assert notices_deliver() == 1  # what the worker does with the outbox
    assert smtp.arrived.wait(5)
    sender, recipients, text = smtp.messages[0]
    assert (sender, recipients) == ("portal@contoso.test", ["pat@contoso.com"])
    assert 'Subject: Your token "CI deploy" was exposed and has been revoked' in text
    assert "CI deploy" in text
    assert value not in text
    assert value[-12:] not in text


@pytest.mark.django_db(transaction=True)
def test_the_answer_never_tells_which_values_were_tokens(client, smtp, tenant, other_tenant):
    ours, ours_value = make_token(make_user(tenant, Role.SECURITY_READER))
    siem, siem_value = make_token(make_user(other_tenant, Role.GLOBAL_ADMIN), kind="siem")
    revoked, revoked_value = make_token(make_user(tenant, Role.SECURITY_READER))
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at="2026-01-01T00:00:00Z")
    unknown = keys.generate("api")  # well formed, no such token

    answers = [
        report(client, [ours_value, siem_value]),
        report(client, ["nonsense", unknown]),
        report(client, [revoked_value]),
    ]

    assert {(a.status_code, a.content) for a in answers} == {(202, answers[0].content)}
    assert ApiToken.objects.filter(pk__in=[ours.pk, siem.pk], revoked_at__isnull=True).count() == 0
    # each tenant told of its own token only
    assert Alert.objects.filter(tenant=tenant).count() == 1
    assert Alert.objects.filter(tenant=other_tenant).count() == 1
    assert TokenEvent.objects.filter(token=revoked).count() == 1  # generated; nothing new


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (b"not json", 400, "JSON parse error"),
        (b'"credentials"', 400, "The body must be a JSON object."),
        (b"{}", 400, "This field is required."),
        (b'{"credentials": "value"}', 400, 'Expected a list of items but got type "str".'),
        (b'{"credentials": []}', 400, "Ensure this field has at least 1 elements."),
        (
            b'{"credentials": [5]}',
            400,
            "credentials must be a list of strings of at most 500 characters.",
        ),
        (
            json.dumps({"credentials": ["x"] * 1001}).encode(),
            400,
            "Ensure this field has no more than 1000 elements.",
        ),
        (
            json.dumps({"credentials": ["x" * 501]}).encode(),
            400,
            "credentials must be a list of strings of at most 500 characters.",
        ),
    ],
)
def test_bad_bodies_are_a_400_with_a_detail(client, db, body, status, detail):
    response = client.post(URL, body, content_type="application/json")

    assert response.status_code == status
    assert response.json()["detail"].startswith(detail)


def test_more_than_a_megabyte_is_a_413(client, db):
    body = json.dumps({"credentials": ["x" * 400] * 3000}).encode()

    response = client.post(URL, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["detail"] == "At most 1 MB: send at most 1,000 values."


def test_a_call_with_credentials_is_refused(client, reader):
    _, value = make_token(reader)

    with_token = report(client, [value], HTTP_AUTHORIZATION=f"Token {value}")
    client.force_login(reader)
    with_session = report(client, [value])

    assert (with_token.status_code, with_session.status_code) == (403, 403)
    assert (
        with_token.json()["detail"] == "Report leaked credentials without credentials of your own."
    )
    assert ApiToken.objects.get(user=reader).revoked_at is None


def test_an_address_may_report_sixty_times_an_hour(client, db, settings):
    settings.CREDENTIAL_REPORTS_PER_HOUR = 3

    mine = [report(client, ["x"], REMOTE_ADDR="203.0.113.5").status_code for _ in range(4)]
    theirs = report(client, ["x"], REMOTE_ADDR="203.0.113.6").status_code

    assert mine == [202, 202, 202, 429]
    assert theirs == 202


def test_a_thousand_values_are_answered_with_one_select(client, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    values = [keys.generate("api") for _ in range(1000)]

    with CaptureQueriesContext(connection) as queries:
        response = report(client, values)

    assert response.status_code == 202
    selects = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1


def test_the_tenant_of_each_token_gets_the_alert_on_the_data_api(client, tenant, smtp):
    owner = make_user(tenant, Role.SECURITY_READER, email="pat@contoso.com")
    _, value = make_token(owner, name="Leaky")
    admin = make_user(tenant, Role.GLOBAL_ADMIN)
    _, admin_value = make_token(admin)
    fabrikam = make_tenant(name="Fab", slug="fab", region="eu2")
    make_token(make_user(fabrikam, Role.GLOBAL_ADMIN))

    report(client, [value])
    listed = client.get(
        "/api/v1/alerts/",
        {"filters": json.dumps({"severity": {"eq": [2]}})},
        HTTP_AUTHORIZATION=f"Token {admin_value}",
    )

    titles = [alert["title"] for alert in listed.json()["data"]]
    assert len(titles) == 1
    assert titles[0].startswith(f"API token “Leaky” of {owner.username} exposed publicly at ")
