"""Token values never reach the database or the logs."""

import logging

from django.db import connection

from accounts.roles import Role
from tests.factories import make_token, make_user
from tokens.keys import digest
from tokens.models import Kind


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
