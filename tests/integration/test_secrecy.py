"""Token values never reach the database or the logs."""

import logging

from django.db import connection

from accounts.roles import Role
from tests.factories import make_token, make_user
from tokens.keys import digest
from tokens.models import ApiToken, Kind


def every_table_as_text() -> str:
    """Every row of every table, as text: where a stored value would show up."""
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(dump)


def test_no_table_contains_any_token_value(api_client, tenant, caplog):
    caplog.set_level(logging.DEBUG)
    admin = make_user(tenant, Role.GLOBAL_ADMIN)
    api_client.force_login(admin)  # a real session row, to search too
    values = [make_token(admin, kind=kind)[1] for kind in Kind]
    response = api_client.post("/api/v1/tokens/", {"name": "from the API"}, format="json")
    values.append(response.json()["token"])
    api_client.logout()
    for value in values[:1] + values[-1:]:
        api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}")

    dump = every_table_as_text()

    assert len(values) == len(Kind) + 1
    for value in values:
        secret = value[6:-6]
        assert value not in dump
        assert secret not in dump
        assert value[6:30] not in dump
        assert value not in caplog.text
    # The digests are there: the search does see the token rows.
    assert all(digest(value) in dump for value in values)


def test_a_tokens_whole_life_leaves_its_value_nowhere(
    api_client, client, tenant, caplog, settings, django_capture_on_commit_callbacks
):
    """Generated, used (its first use, its counts and addresses), revoked, tried again
    (refused), and another one reported as leaked (revoked, alerted, its owner e-mailed):
    no value reaches a table, the cache, the log, an e-mail, a page, the CSV export or the
    SIEM feed."""
    import json

    from django.core import mail
    from django.core.cache import cache

    from tokens.outbox import notices_deliver

    caplog.set_level(logging.DEBUG)
    settings.SIEM_FEED_LAG_SECONDS = 0
    admin = make_user(tenant, Role.GLOBAL_ADMIN, email="admin@contoso.com")
    api_client.force_login(admin)
    value = api_client.post("/api/v1/tokens/", {"name": "life"}, format="json").json()["token"]
    leaked = api_client.post("/api/v1/tokens/", {"name": "leak"}, format="json").json()["token"]
    api_client.logout()
    from extensions.services import siem_agent_create

    _, siem_value = siem_agent_create(
        user=admin,
        name="Sentinel",
        output_format="json",
        send_alerts=True,
        send_activities=True,
    )
    me = {"HTTP_AUTHORIZATION": f"Token {value}", "HTTP_USER_AGENT": "Script/1.0"}
    assert api_client.get("/api/v1/me/", **me).status_code == 200
    token_id = ApiToken.objects.get(name="life").pk
    assert api_client.delete(f"/api/v1/tokens/{token_id}/", **me).status_code == 204
    assert api_client.get("/api/v1/me/", **me).status_code == 401  # refused, and logged
    with django_capture_on_commit_callbacks(execute=True):  # the alert goes after commit
        reported = client.post(
            "/api/v1/credentials/revoke/",
            json.dumps({"credentials": [leaked, "mdaapi-nonsense"]}),
            content_type="application/json",
        )
    assert reported.status_code == 202
    assert notices_deliver() == 1  # the owner's e-mail, from the outbox
    feed = api_client.get(
        "/api/v1/siem/events/", {"limit": 100}, HTTP_AUTHORIZATION=f"Token {siem_value}"
    )
    client.force_login(admin)
    host = {"HTTP_HOST": "contoso.us2.portal.test"}
    pages = [
        client.get(f"/settings/security-extensions/api-tokens/{token_id}/", **host),
        client.get("/settings/security-extensions/token-activity/", **host),
        client.get("/settings/security-extensions/token-activity/export.csv", **host),
        client.get("/settings/security-extensions/api-tokens/", **host),
    ]

    assert feed.status_code == 200
    assert "TOKEN_REVOKED" in feed.content.decode()  # the feed does carry the events
    assert [page.status_code for page in pages] == [200, 200, 200, 200]
    assert len(mail.outbox) == 1
    shown = "\n".join(
        [
            every_table_as_text(),
            caplog.text,
            feed.content.decode(),
            *(
                b"".join(page).decode() if page.streaming else page.content.decode()
                for page in pages
            ),
            *(f"{m.subject}\n{m.body}\n{m.message().as_string()}" for m in mail.outbox),
            repr({key: cache.get(key) for key in cache._cache}),  # type: ignore[attr-defined]
        ]
    )
    # The search does see the tokens' traces (their names), just never their values.
    assert "life" in shown
    assert "leak" in shown
    for secret in (value, leaked, siem_value):
        assert secret not in shown
        assert secret[6:-6] not in shown
