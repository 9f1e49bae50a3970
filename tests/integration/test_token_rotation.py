"""Rotation with a grace period (issue 14, part 4; issue 20): a new value with the same name,
scopes and owner, shown once; the old value works through the grace period and no longer:
used after it, it is refused with an alert and the new value stays live (unless the tenant
chose the strict answer); a rotated-out value used to rotate again revokes the whole
rotation chain and raises a high-severity alert; bad requests change nothing."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from core.http import SYSTEM
from security.models import Alert
from tests.factories import make_token, make_user
from tokens.lifecycle import EventReason
from tokens.models import ApiToken, EventKind, TokenEvent
from tokens.policy import token_policy_save
from tokens.refusals import token_theft_detected
from tokens.services import token_generate, token_revoke

TOKENS = "/api/v1/tokens/"


def me(api_client, value, **headers):
    return api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}", **headers)


def rotate(api_client, user, token, **body):
    api_client.force_login(user)
    response = api_client.post(f"{TOKENS}{token.pk}/rotate/", body, format="json")
    api_client.logout()
    return response


def end_grace(token):
    ApiToken.objects.filter(pk=token.pk).update(grace_until=timezone.now() - timedelta(seconds=1))


def test_a_rotation_keeps_name_scopes_and_owner_and_the_old_value_for_its_grace(
    api_client, admin_user
):
    old, old_value = token_generate(
        user=admin_user,
        name="Sentinel",
        scopes=["Investigation.read"],
        expires_at=timezone.now() + timedelta(days=30),
    )
    before = timezone.now()

    response = rotate(api_client, admin_user, old, grace="1h")

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    new = ApiToken.objects.get(pk=body["id"])
    assert (new.name, new.scopes, new.user, new.kind) == (
        "Sentinel",
        ["Investigation.read"],
        admin_user,
        "api",
    )
    valid_until = datetime.fromisoformat(body["replaces"]["valid_until"])
    assert body["replaces"]["id"] == old.pk
    assert before + timedelta(hours=1) <= valid_until <= timezone.now() + timedelta(hours=1)
    # Asked for no expiry: the same lifetime as the token it replaces (30 days).
    assert timedelta(days=29, hours=23) < new.expires_at - timezone.now() <= timedelta(days=30)
    assert me(api_client, old_value).status_code == 200  # in its grace period
    assert me(api_client, body["token"]).status_code == 200
    api_client.force_login(admin_user)
    listed = [t["id"] for t in api_client.get(TOKENS).json()["results"]]
    assert listed == [new.pk]  # the table shows a rotated token once
    rotated = TokenEvent.objects.get(kind=EventKind.ROTATED)
    assert (rotated.token_id, rotated.actor) == (old.pk, admin_user)
    assert rotated.detail.startswith("Rotated: the old value works until ")


def test_the_old_value_after_its_grace_is_refused_with_an_alert_and_the_new_one_stays_live(
    api_client, admin_user, django_capture_on_commit_callbacks
):
    old, old_value = make_token(admin_user, name="Sentinel")
    new_value = rotate(api_client, admin_user, old).json()["token"]
    end_grace(old)

    with django_capture_on_commit_callbacks(execute=True):  # the alert follows the commit
        refused = me(api_client, old_value, REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="cron")
    with django_capture_on_commit_callbacks(execute=True):
        again = me(api_client, old_value)  # within the hour: no second alert

    assert (refused.status_code, refused.json()) == (401, {"detail": "Invalid token"})
    assert again.status_code == 401
    assert me(api_client, new_value).status_code == 200  # a forgotten script takes nothing down
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 2
    event = TokenEvent.objects.get(kind=EventKind.REFUSED)
    assert (event.token_id, event.reason, event.source_ip) == (
        old.pk,
        EventReason.ROTATED_OUT,
        "198.51.100.7",
    )
    assert event.detail == (
        "Refused: a rotated-out value, used after its grace period; its successor still works."
    )
    alert = Alert.objects.get()
    assert alert.severity == 1  # medium: most often a forgotten script
    assert alert.title.startswith(
        f"Rotated-out value of API token \u201cSentinel\u201d of {admin_user.username} used "
        "after its grace period at "
    )
    assert "from 198.51.100.7 (cron)" in alert.description
    assert "The new value keeps working." in alert.description


def test_under_a_strict_policy_the_old_value_after_its_grace_revokes_the_chain(
    api_client, admin_user, django_capture_on_commit_callbacks
):
    token_policy_save(tenant_id=admin_user.tenant_id, by=admin_user, strict_rotation=True)
    old, old_value = make_token(admin_user, name="Sentinel")
    new_value = rotate(api_client, admin_user, old).json()["token"]
    end_grace(old)

    with django_capture_on_commit_callbacks(execute=True):
        refused = me(api_client, old_value)

    assert refused.status_code == 401
    assert me(api_client, new_value).status_code == 401  # its successor went with it
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
    revoked = TokenEvent.objects.filter(kind=EventKind.REVOKED).values_list("reason", flat=True)
    assert list(revoked) == [EventReason.REUSED, EventReason.REUSED]
    alert = Alert.objects.get()
    assert alert.severity == 2  # high
    assert alert.title.startswith(
        f"Rotated-out value of API token \u201cSentinel\u201d of {admin_user.username} reused at "
    )
    assert "used after its grace period" in alert.description


def test_self_rotation_and_a_rotated_out_value_rotating_again(
    api_client, admin_user, django_capture_on_commit_callbacks
):
    _token, value = make_token(admin_user, name="Nightly")
    auth = {"HTTP_AUTHORIZATION": f"Token {value}"}

    first = api_client.post(f"{TOKENS}self/rotate/", {"grace": "24h"}, format="json", **auth)
    with django_capture_on_commit_callbacks(execute=True):
        again = api_client.post(f"{TOKENS}self/rotate/", {}, format="json", **auth)

    assert first.status_code == 201
    assert first.json()["name"] == "Nightly"
    assert again.status_code == 401  # a stolen old value must not mint a fresh one
    assert me(api_client, first.json()["token"]).status_code == 401
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
    assert "used to mint a new one" in Alert.objects.get().description


def test_no_grace_stops_the_old_value_at_once(api_client, admin_user):
    old, old_value = make_token(admin_user)
    rotate(api_client, admin_user, old, grace="none")

    assert me(api_client, old_value).status_code == 401


@pytest.mark.parametrize(
    ("setup", "body", "status", "detail"),
    [
        ("live", {"grace": "2h"}, 400, "grace: Choose one of: none, 1h, 24h, 7d."),
        ("live", {"grace": 24}, 400, "grace: Choose one of: none, 1h, 24h, 7d."),
        ("live", {"grace": "x" * 100_000}, 400, "grace: Choose one of: none, 1h, 24h, 7d."),
        ("live", {"grace": None}, 400, "grace: This field may not be null."),
        ("revoked", {}, 409, "A revoked token cannot be rotated."),
        ("rotated", {}, 409, "This token was already rotated: rotate its successor."),
    ],
)
def test_what_cannot_be_rotated_is_refused_and_nothing_changes(
    api_client, admin_user, setup, body, status, detail
):
    token, _ = make_token(admin_user)
    if setup == "revoked":
        token_revoke(token=token, by=admin_user)
    elif setup == "rotated":
        rotate(api_client, admin_user, token)
    tokens_before = ApiToken.objects.count()

    response = rotate(api_client, admin_user, token, **body)

    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert ApiToken.objects.count() == tokens_before


def test_another_token_is_rotated_with_a_session_not_a_token(api_client, admin_user):
    token, _ = make_token(admin_user, name="target")
    _, value = make_token(admin_user, name="caller")

    response = api_client.post(
        f"{TOKENS}{token.pk}/rotate/", {}, format="json", HTTP_AUTHORIZATION=f"Token {value}"
    )

    assert response.status_code == 403
    assert ApiToken.objects.count() == 2


def test_only_its_owner_regenerates_a_token_an_admin_may_revoke_it(api_client, admin_user, reader):
    token, value = make_token(reader, name="Analyst script")

    response = rotate(api_client, admin_user, token)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only its owner can regenerate a token: the new value would act in their "
        "name. You may revoke it."
    }
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert (token.replaced_at, token.chain_id) == (None, None)
    assert me(api_client, value).status_code == 200


def test_a_rotated_out_token_read_by_id_says_until_when_it_works(api_client, admin_user):
    old, _ = make_token(admin_user, name="Sentinel")
    body = rotate(api_client, admin_user, old, grace="7d").json()
    api_client.force_login(admin_user)

    old_seen = api_client.get(f"{TOKENS}{old.pk}/").json()
    new_seen = api_client.get(f"{TOKENS}{body['id']}/").json()

    old.refresh_from_db()
    assert datetime.fromisoformat(old_seen["valid_until"]) == old.grace_until
    assert datetime.fromisoformat(old_seen["rotated_at"]) == old.replaced_at
    assert old.grace_until - old.replaced_at == timedelta(days=7)
    assert (new_seen["rotated_at"], new_seen["valid_until"]) == (None, None)


def test_a_rotation_keeps_scopes_the_role_has_lost_and_the_role_still_caps_them(api_client, tenant):
    owner = make_user(tenant, Role.GLOBAL_ADMIN)
    old, _ = token_generate(
        user=owner, name="Ops", scopes=["Investigation.read", "Settings.manage"]
    )
    owner.role = Role.SECURITY_READER  # demoted: Settings.manage is gone from the role
    owner.save()

    response = rotate(api_client, owner, old)

    assert response.status_code == 201
    assert response.json()["scopes"] == ["Investigation.read", "Settings.manage"]
    assert me(api_client, response.json()["token"]).json()["capabilities"] == ["Investigation.read"]


def test_the_page_regenerates_a_token_whose_owner_was_demoted(client, tenant):
    owner = make_user(tenant, Role.GLOBAL_ADMIN)
    old, _ = token_generate(user=owner, name="Ops", scopes=["Settings.manage"])
    owner.role = Role.SECURITY_READER
    owner.save()
    client.force_login(owner)

    response = client.post(
        f"/settings/security-extensions/api-tokens/{old.pk}/regenerate/",
        {"grace": "none"},
        HTTP_HOST="contoso.us2.portal.test",
    )

    assert response.status_code == 201
    assert ApiToken.objects.exclude(pk=old.pk).get().scopes == ["Settings.manage"]


def test_two_detections_at_once_raise_one_alert(
    api_client, admin_user, django_capture_on_commit_callbacks
):
    old, _ = make_token(admin_user, name="Nightly")
    rotate(api_client, admin_user, old, grace="none")
    old.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        first = token_theft_detected(token=old, origin=SYSTEM, how="used to mint a new one")
    with django_capture_on_commit_callbacks(execute=True):
        second = token_theft_detected(token=old, origin=SYSTEM, how="used to mint a new one")

    assert (first, second) == (2, 0)
    assert Alert.objects.filter(tenant=admin_user.tenant).count() == 1


def test_a_narrowed_token_rotates_itself(api_client, admin_user):
    _, value = token_generate(user=admin_user, name="Report", scopes=["Investigation.read"])

    response = api_client.post(
        f"{TOKENS}self/rotate/", {}, format="json", HTTP_AUTHORIZATION=f"Token {value}"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["scopes"]) == ("Report", ["Investigation.read"])
    assert me(api_client, body["token"]).json()["capabilities"] == ["Investigation.read"]
