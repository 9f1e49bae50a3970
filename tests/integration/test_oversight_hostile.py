"""Hostile and careless input on the endpoints of issue 26 (service accounts, hand-overs,
decisions): every malformed body is a 400 with a `detail` naming what is wrong, never a
500, and nothing is made or changed; ids past what the database holds are refused before
any query; the pages answer a 404 for an id that is no one's."""

import json

import pytest

from accounts.models import User
from accounts.roles import Role
from accounts.service_accounts import service_account_create
from tests.factories import make_token, make_user
from tokens.models import ApiToken, TokenEvent

CONTOSO = "contoso.us2.portal.test"
HUGE = 10**30

CASES = [
    (
        "POST",
        "ACCOUNTS",
        {"name": "x", "role": "security_reader", "custodians": [HUGE]},
        "custodians: 0: Ensure this value is less than or equal to 9223372036854775807.",
    ),
    (
        "POST",
        "ACCOUNTS",
        {"name": "x", "role": "security_reader", "custodians": ["1"]},
        "custodians: 0: A valid integer is required.",
    ),
    (
        "POST",
        "ACCOUNTS",
        {"name": "x", "role": "security_reader", "custodians": [[1]]},
        "custodians: 0: A valid integer is required.",
    ),
    (
        "POST",
        "ACCOUNTS",
        {"name": "x\x00", "role": "security_reader", "custodians": [1]},
        "name contains a NUL character",
    ),
    (
        "POST",
        "ACCOUNTS",
        b'{"name": "\\ud800", "role": "security_reader", "custodians": [1]}',
        "name contains a lone surrogate (not valid Unicode)",
    ),
    ("POST", "ACCOUNTS", [1, 2], "Invalid data. Expected a dictionary, but got list."),
    (
        "POST",
        "ACCOUNTS",
        {"name": "x", "role": None, "custodians": [1]},
        "role: This field may not be null.",
    ),
    (
        "POST",
        "TOKENS",
        {"name": "x", "service_account": HUGE},
        "service_account: Ensure this value is less than or equal to 9223372036854775807.",
    ),
    (
        "POST",
        "TOKENS",
        {"name": "x", "service_account": True},
        "service_account: A valid integer is required.",
    ),
    (
        "POST",
        "TRANSFER",
        {"service_account": HUGE},
        "service_account: Ensure this value is less than or equal to 9223372036854775807.",
    ),
    ("POST", "TRANSFER", {"service_account": "1"}, "service_account: A valid integer is required."),
    ("POST", "TRANSFER", [1], "The body must be a JSON object."),
    (
        "POST",
        "TRANSFER",
        {"service_account": 1, "grace": None},
        "grace: This field may not be null.",
    ),
    ("POST", "APPROVE", {"note": None}, "note: This field may not be null."),
    ("POST", "APPROVE", [1], "The body must be a JSON object."),
    ("POST", "DENY", {"note": "\x00"}, "note contains a NUL character"),
    ("POST", "DENY", {"note": {"a": 1}}, "note: Not a valid string."),
    (
        "PATCH",
        "ACCOUNT",
        {"custodians": [HUGE]},
        "custodians: 0: Ensure this value is less than or equal to 9223372036854775807.",
    ),
    ("PATCH", "ACCOUNT", {"role": 5}, "role: Not a valid string."),
    (
        "PATCH",
        "ACCOUNT",
        {"custodians": []},
        "custodians: Ensure this field has at least 1 elements.",
    ),
]


@pytest.mark.parametrize(("method", "where", "body", "detail"), CASES)
def test_malformed_bodies_get_a_400_and_change_nothing(
    api_client, tenant, admin_user, method, where, body, detail
):
    reader = make_user(tenant, Role.SECURITY_READER)
    account = service_account_create(
        tenant=tenant, name="bot", role=Role.SECURITY_READER, custodians=[reader.pk]
    )
    token, _ = make_token(reader)
    path = {
        "ACCOUNTS": "/api/v1/service-accounts/",
        "ACCOUNT": f"/api/v1/service-accounts/{account.pk}/",
        "TOKENS": "/api/v1/tokens/",
        "TRANSFER": f"/api/v1/tokens/{token.pk}/transfer/",
        "APPROVE": f"/api/v1/tokens/{token.pk}/approve/",
        "DENY": f"/api/v1/tokens/{token.pk}/deny/",
    }[where]
    before = (User.objects.count(), ApiToken.objects.count(), TokenEvent.objects.count())
    api_client.force_authenticate(admin_user)

    if isinstance(body, bytes):
        response = api_client.generic(method, path, body, content_type="application/json")
    else:
        response = api_client.generic(
            method, path, json.dumps(body), content_type="application/json"
        )

    assert (response.status_code, response.json()["detail"]) == (400, detail)
    assert (User.objects.count(), ApiToken.objects.count(), TokenEvent.objects.count()) == before
    account.refresh_from_db()
    assert list(account.custodians.all()) == [reader]


@pytest.mark.parametrize(
    "path",
    [
        f"/settings/system/users/{HUGE}/",
        f"/settings/system/users/{HUGE}/deprovision/",
        f"/settings/system/users/{HUGE}/hand-over/",
        f"/settings/security-extensions/api-tokens/{HUGE}/hand-over/",
        f"/settings/security-extensions/api-tokens/{HUGE}/decide/",
    ],
)
def test_an_id_that_is_no_ones_is_a_404_page(client, admin_user, path):
    client.force_login(admin_user)

    assert client.get(path, HTTP_HOST=CONTOSO).status_code == 404
