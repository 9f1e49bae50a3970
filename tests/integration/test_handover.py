"""The hand-over of a departed person's tokens to a service account (tokens/handover.py): a
rotation whose new value goes once to the admin, the old value working for the grace chosen
and refused after it, the chain moved, events naming both owners; and deprovisioning that
says first which of the person's tokens were used in the last 7 days."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.service_accounts import service_account_create
from accounts.services import user_deprovision
from security.models import Alert
from tests.factories import make_token, make_user
from tokens.models import ApiToken, EventKind, Notice, TokenEvent
from tokens.services import token_revoke

CONTOSO = "contoso.us2.portal.test"
TOKENS = "/api/v1/tokens/"


@pytest.fixture
def departed(tenant):
    """A security operator who left: deprovisioned, their token kept and refused."""
    return make_user(tenant, Role.SECURITY_OPERATOR, username="dana@contoso.com")


@pytest.fixture
def account(tenant, admin_user):
    return service_account_create(
        tenant=tenant, name="soar-bot", role=Role.SECURITY_OPERATOR, custodians=[admin_user.pk]
    )


def me(value: str):
    return APIClient(HTTP_ACCEPT="application/json", HTTP_HOST=CONTOSO).get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}"
    )


def hand_over(api_client, by, token, **body):
    api_client.force_authenticate(by)
    return api_client.post(f"{TOKENS}{token.pk}/transfer/", body, format="json")


@pytest.mark.parametrize(
    ("grace", "works_for"), [("1h", timedelta(hours=1)), ("24h", timedelta(hours=24))]
)
def test_a_handed_over_value_is_new_and_the_old_works_only_for_its_grace(
    api_client, admin_user, departed, account, grace, works_for, django_capture_on_commit_callbacks
):
    token, old_value = make_token(departed, name="SOAR playbook")
    user_deprovision(user=departed)
    assert me(old_value).status_code == 403  # refused, as deprovisioned

    before = timezone.now()
    response = hand_over(api_client, admin_user, token, service_account=account.pk, grace=grace)

    assert response.status_code == 201
    body = response.json()
    assert response["Cache-Control"] == "no-store"
    assert (body["name"], body["generated_by"]["username"], body["made_by"]["username"]) == (
        "SOAR playbook",
        "soar-bot",
        "admin@contoso.com",
    )
    new_value = body["token"]
    assert new_value != old_value
    assert me(new_value).json()["user"]["username"] == "soar-bot"
    assert me(old_value).json()["user"]["username"] == "soar-bot"  # in its grace, as the account
    token.refresh_from_db()
    until = token.grace_until
    assert before + works_for <= until <= timezone.now() + works_for
    # Its grace over: refused, and the tenant alerted.
    ApiToken.objects.filter(pk=token.pk).update(grace_until=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        late = me(old_value)
    assert (late.status_code, late.json()["detail"]) == (401, "Invalid token")
    assert Alert.objects.count() == 1
    assert me(new_value).status_code == 200
    events = TokenEvent.objects.filter(kind__in=[EventKind.HANDED_OVER, EventKind.GENERATED])
    assert sorted((e.token_id, e.kind, e.actor_label, e.detail) for e in events) == [
        (token.pk, EventKind.GENERATED, "dana@contoso.com", "Generated."),
        (
            token.pk,
            EventKind.HANDED_OVER,
            "admin@contoso.com",
            "Handed over from dana@contoso.com (deprovisioned) to the service account soar-bot: "
            f"the old value works until {until:%Y-%m-%d %H:%M} UTC, then is refused.",
        ),
        (
            body["id"],
            EventKind.GENERATED,
            "admin@contoso.com",
            "Generated for the service account soar-bot by handing over dana@contoso.com's token.",
        ),
    ]


def test_no_grace_stops_the_old_value_at_once(api_client, admin_user, departed, account):
    token, old_value = make_token(departed)
    user_deprovision(user=departed)

    response = hand_over(api_client, admin_user, token, service_account=account.pk, grace="none")

    assert response.status_code == 201
    assert me(old_value).status_code == 401
    assert me(response.json()["token"]).status_code == 200
    assert TokenEvent.objects.get(kind=EventKind.HANDED_OVER).detail.endswith(
        "the old value stopped at once."
    )


def test_it_never_widens_the_token(api_client, tenant, admin_user, account):
    narrow_person = make_user(tenant, Role.GLOBAL_ADMIN, username="ned@contoso.com")
    token, _ = make_token(narrow_person)
    ApiToken.objects.filter(pk=token.pk).update(granted_capabilities=["Investigation.read"])
    user_deprovision(user=narrow_person)

    response = hand_over(api_client, admin_user, token, service_account=account.pk)

    assert response.json()["capabilities"] == ["Investigation.read"]
    assert me(response.json()["token"]).json()["capabilities"] == ["Investigation.read"]


@pytest.mark.parametrize(
    ("case", "status", "detail"),
    [
        (
            "active owner",
            409,
            "Only a deprovisioned person's token is handed over: dana@contoso.com is active "
            "(deprovision them first, or let them regenerate it).",
        ),
        ("revoked", 409, "A revoked token cannot be rotated."),
        ("grace 7d", 400, "grace: Choose one of: none, 1h, 24h."),
        (
            "a person",
            404,
            "Service account not found: give the id of an active service account of this tenant.",
        ),
        ("unknown field", 400, "owner: Unknown field: this endpoint takes grace, service_account."),
    ],
)
def test_what_cannot_be_handed_over(
    api_client, admin_user, departed, account, case, status, detail
):
    token, _value = make_token(departed)
    body = {"service_account": account.pk}
    if case != "active owner":
        user_deprovision(user=departed)
    if case == "revoked":
        token_revoke(token=token, by=admin_user)
    if case == "grace 7d":
        body["grace"] = "7d"
    if case == "a person":
        body["service_account"] = admin_user.pk
    if case == "unknown field":
        body["owner"] = 1

    response = hand_over(api_client, admin_user, token, **body)

    assert (response.status_code, response.json()["detail"]) == (status, detail)
    assert ApiToken.objects.filter(user=account).count() == 0
    assert not TokenEvent.objects.filter(kind=EventKind.HANDED_OVER).exists()


def test_only_a_signed_in_full_admin_hands_over(api_client, tenant, departed, account, admin_user):
    token, _ = make_token(departed)
    user_deprovision(user=departed)
    operator = make_user(tenant, Role.SECURITY_OPERATOR)
    _, admin_value = make_token(admin_user)

    by_operator = hand_over(api_client, operator, token, service_account=account.pk)
    with_token = APIClient(HTTP_ACCEPT="application/json", HTTP_HOST=CONTOSO).post(
        f"{TOKENS}{token.pk}/transfer/",
        {"service_account": account.pk},
        format="json",
        HTTP_AUTHORIZATION=f"Token {admin_value}",
    )

    assert by_operator.status_code == 403
    assert (with_token.status_code, with_token.json()["detail"]) == (
        403,
        "A token is handed over by a signed-in user, not with a token.",
    )
    assert ApiToken.objects.filter(user=account).count() == 0


# --- deprovisioning says what it stops ------------------------------------------------------------


def test_deprovisioning_says_which_tokens_were_used_in_the_last_7_days(
    api_client, admin_user, departed
):
    now = timezone.now()
    used, _ = make_token(departed, name="Nightly export")
    old, _ = make_token(departed, name="Old script")
    _never, _ = make_token(departed, name="Never used")
    ApiToken.objects.filter(pk=used.pk).update(
        last_used_at=now - timedelta(days=2), last_used_ip="203.0.113.9"
    )
    ApiToken.objects.filter(pk=old.pk).update(last_used_at=now - timedelta(days=8))
    api_client.force_authenticate(admin_user)
    expected = [
        {
            "id": used.pk,
            "name": "Nightly export",
            "suffix": used.suffix,
            "last_used": (now - timedelta(days=2)).isoformat().replace("+00:00", "Z"),
            "last_used_ip": "203.0.113.9",
        }
    ]

    preview = api_client.get(f"/api/v1/users/{departed.pk}/deprovision/")
    departed.refresh_from_db()
    assert departed.deprovisioned_at is None  # a preview changes nothing
    done = api_client.post(f"/api/v1/users/{departed.pk}/deprovision/")

    assert preview.status_code == 200
    assert preview.json()["tokens_used_last_7_days"] == expected
    assert preview.json()["service_accounts_left_without_custodian"] == []
    assert (done.json()["deprovisioned"], done.json()["tokens_used_last_7_days"]) == (
        True,
        expected,
    )


# --- the pages ------------------------------------------------------------------------------------


def test_the_users_page_hands_over_all_of_a_persons_tokens_once(
    client, admin_user, departed, account
):
    _first, first_value = make_token(departed, name="First")
    _second, _ = make_token(departed, name="Second")
    user_deprovision(user=departed)
    client.force_login(admin_user)
    page = f"/settings/system/users/{departed.pk}/hand-over/"

    form = client.get(page, HTTP_HOST=CONTOSO)
    done = client.post(page, {"service_account": str(account.pk), "grace": "1h"}, HTTP_HOST=CONTOSO)

    assert form.status_code == 200
    assert "Hand over 2 tokens" in form.content.decode()
    assert done.status_code == 201
    assert done["Cache-Control"] == "no-store"
    html = done.content.decode()
    new = list(ApiToken.objects.filter(user=account, replaced_at__isnull=True).order_by("pk"))
    assert [t.name for t in new] == ["First", "Second"]
    assert html.count('data-testid="token-value"') == 2
    assert me(first_value).json()["user"]["username"] == "soar-bot"  # its hour of grace
    again = client.get(page, HTTP_HOST=CONTOSO)
    assert 'data-testid="token-value"' not in again.content.decode()


def test_the_deprovision_page_previews_then_confirms(client, admin_user, departed):
    token, value = make_token(departed, name="Nightly export")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(hours=3))
    client.force_login(admin_user)
    page = f"/settings/system/users/{departed.pk}/deprovision/"

    preview = client.get(page, HTTP_HOST=CONTOSO)
    assert me(value).status_code == 200
    confirmed = client.post(page, HTTP_HOST=CONTOSO)

    assert 'data-testid="used-lately"' in preview.content.decode()
    assert "Nightly export" in preview.content.decode()
    assert confirmed.status_code == 302
    assert me(value).status_code == 403


def test_deprovisioning_says_which_service_accounts_it_leaves_without_custodian(
    api_client, client, tenant, admin_user, departed
):
    shared = make_user(tenant, Role.SECURITY_READER)
    service_account_create(
        tenant=tenant, name="alone", role=Role.SECURITY_READER, custodians=[departed.pk]
    )
    service_account_create(
        tenant=tenant, name="shared", role=Role.SECURITY_READER, custodians=[departed.pk, shared.pk]
    )
    api_client.force_authenticate(admin_user)
    client.force_login(admin_user)

    preview = api_client.get(f"/api/v1/users/{departed.pk}/deprovision/").json()
    page = client.get(
        f"/settings/system/users/{departed.pk}/deprovision/", HTTP_HOST=CONTOSO
    ).content.decode()
    done = api_client.post(f"/api/v1/users/{departed.pk}/deprovision/").json()

    assert preview["service_accounts_left_without_custodian"] == ["alone"]
    assert 'data-testid="left-without-custodian"' in page
    assert "is the only active custodian of <strong>alone</strong>" in page
    assert done["service_accounts_left_without_custodian"] == ["alone"]  # what it did
    assert [a.title for a in Alert.objects.all()] == ["Service account alone has no custodian"]


def test_the_service_accounts_custodians_are_told_without_the_value(
    api_client, tenant, admin_user, departed
):
    olga = make_user(tenant, Role.SECURITY_READER, username="olga", email="olga@contoso.com")
    gone = make_user(tenant, Role.SECURITY_READER, username="gone", email="gone@contoso.com")
    account = service_account_create(
        tenant=tenant, name="soar-bot", role=Role.SECURITY_READER, custodians=[olga.pk, gone.pk]
    )
    user_deprovision(user=gone)
    token, _ = make_token(departed, name="Playbook")
    user_deprovision(user=departed)

    body = hand_over(api_client, admin_user, token, service_account=account.pk).json()

    notice = Notice.objects.get(kind="handed_over")
    assert (notice.to, notice.subject) == (
        "olga@contoso.com",
        'The API token "Playbook" was handed over to soar-bot',
    )
    assert "which you look after" in notice.body
    assert f"(ending in …{body['suffix']})" in notice.body
    assert body["token"] not in notice.body
