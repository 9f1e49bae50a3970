"""The tenant's Token activity page (Settings > Security extensions), for full admins: every
token event, filtered by kind, user, token and time in the URL, in pages of 50, and the same
selection exported as CSV."""

import csv
import io

from accounts.roles import Role
from tests.factories import make_tenant, make_token, make_user
from tokens.services import token_revoke

PAGE = "/settings/security-extensions/token-activity/"
CSV = PAGE + "export.csv"


def rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_full_admin_sees_and_filters_every_event(client, tenant, admin_user):
    reader = make_user(tenant, Role.SECURITY_READER, username="reader@contoso.com")
    mine, _ = make_token(reader, name="Reader script")
    token_revoke(token=mine, by=admin_user)
    make_token(admin_user, name="Admin script")
    make_token(
        make_user(make_tenant(name="F", slug="fabrikam", region="eu2"), Role.GLOBAL_ADMIN),
        name="Fabrikam script",
    )
    client.force_login(admin_user)

    everything = client.get(PAGE).content.decode()
    revoked = client.get(PAGE, {"kind": "revoked"}).content.decode()
    by_user = client.get(PAGE, {"user": "reader@contoso.com"}).content.decode()

    assert "3 events" in everything
    assert "Fabrikam script" not in everything
    assert "1 event" in revoked
    assert "Reader script" in revoked
    assert "Admin script" not in revoked
    assert "2 events" in by_user  # the reader's token: generated and revoked
    assert f'href="/settings/security-extensions/api-tokens/{mine.pk}/"' in everything


def test_pages_of_fifty(client, admin_user):
    for n in range(55):
        make_token(admin_user, name=f"Token {n:02d}")
    client.force_login(admin_user)

    first = client.get(PAGE).content.decode()
    second = client.get(PAGE, {"page": 2}).content.decode()

    assert "55 events · showing 1–50" in first
    assert "showing 51–55" in second
    assert "Token 54" in first
    assert "Token 00" in second


def test_a_bad_filter_says_so_and_shows_everything(client, admin_user):
    make_token(admin_user, name="Script")
    client.force_login(admin_user)

    page = client.get(PAGE, {"since": "soon", "token": "²"})

    html = page.content.decode()
    assert page.status_code == 200
    assert "Enter a valid date/time." in html
    assert "Enter a number." in html
    assert "1 event" in html


def test_the_export_is_the_pages_selection_as_csv(client, tenant, admin_user):
    reader = make_user(tenant, Role.SECURITY_READER, username="reader@contoso.com")
    token, value = make_token(reader, name='=HYPERLINK("http://evil")')
    token_revoke(token=token, by=reader)
    make_token(admin_user, name="Other")
    client.force_login(admin_user)

    response = client.get(CSV, {"user": "reader@contoso.com"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="token-activity-')
    table = rows(response)
    assert table[0] == [
        "time",
        "kind",
        "reason",
        "token_id",
        "token_name",
        "token_kind",
        "token_last4",
        "actor",
        "actor_kind",
        "source_ip",
        "user_agent",
        "detail",
        "count",
    ]
    assert [(row[1], row[2], row[4]) for row in table[1:]] == [
        ("revoked", "by_owner", '\'=HYPERLINK("http://evil")'),  # text, never a formula
        ("generated", "", '\'=HYPERLINK("http://evil")'),
    ]
    assert value not in str(table)


def test_a_bad_filter_on_the_export_is_a_400(client, admin_user):
    client.force_login(admin_user)

    response = client.get(CSV, {"kind": "exploded"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.json()["detail"]


def test_others_may_not_see_the_tenants_activity(client, tenant, admin_user):
    reader = make_user(tenant, Role.SECURITY_READER)
    client.force_login(reader)

    page, export = client.get(PAGE), client.get(CSV)
    tokens_page = client.get("/settings/security-extensions/api-tokens/").content.decode()

    assert (page.status_code, export.status_code) == (403, 403)
    assert "Token activity" not in tokens_page
    client.force_login(admin_user)
    assert (
        "Token activity" in client.get("/settings/security-extensions/api-tokens/").content.decode()
    )
