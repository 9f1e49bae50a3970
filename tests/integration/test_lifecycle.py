"""One token lifecycle (issue 20, A): each state, decided in Python and in SQL alike; every
action in every state through the interface that does it (a request with the value, the
value rotating itself, its owner regenerating it, revoking it), with what follows; the order
of the checks when several refusals hold; and a rotation and a revocation racing on two
database connections, which end as one of them decided."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from accounts.roles import Role
from accounts.services import user_deprovision
from security.models import Alert
from tests.factories import make_token, make_user
from tokens.lifecycle import TRANSITIONS, Action, Status
from tokens.models import ApiToken, EventKind, TokenEvent
from tokens.rotation import RotationRefused, token_rotate
from tokens.services import token_revoke

CONTOSO = "contoso.us2.portal.test"
TOKENS = "/api/v1/tokens/"


def in_state(owner, state: str) -> tuple[ApiToken, str]:
    """A token of `owner` in `state`, and its value (for "rotated" and "rotated_out": the
    old value, its successor live)."""
    token, value = make_token(owner, name=f"In state {state}")
    now = timezone.now()
    columns = {
        Status.ACTIVE: {"last_used_at": now - timedelta(days=1)},
        Status.INACTIVE: {"last_used_at": now - timedelta(days=8)},
        Status.EXPIRED: {"expires_at": now - timedelta(seconds=1)},
        Status.PENDING: {"pending_until": now + timedelta(days=7)},
    }.get(state)
    if columns:
        ApiToken.objects.filter(pk=token.pk).update(**columns)
    elif state == Status.ROTATED:
        token_rotate(token=token, by=owner, grace="24h")
    elif state == Status.ROTATED_OUT:
        token_rotate(token=token, by=owner, grace="1h")
        ApiToken.objects.filter(pk=token.pk).update(grace_until=now - timedelta(seconds=1))
    elif state == Status.REVOKED:
        token_revoke(token=token, by=owner)
    token.refresh_from_db()
    return token, value


@pytest.fixture
def owner(tenant):
    return make_user(tenant, Role.GLOBAL_ADMIN, email="owner@contoso.com")


@pytest.mark.parametrize("state", Status.values)
def test_each_state_is_the_same_in_python_and_in_sql(owner, state):
    token, _ = in_state(owner, state)
    now = timezone.now()

    annotated = ApiToken.objects.with_status(now).get(pk=token.pk).status
    matching = [
        s
        for s in Status.values
        if ApiToken.objects.filter_status(s, now).filter(pk=token.pk).exists()
    ]

    assert (token.state(now), annotated, matching) == (state, state, [state])


def test_a_value_whose_own_expiry_comes_in_its_grace_is_rotated_out(owner):
    token, _ = in_state(owner, Status.ROTATED)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    token.refresh_from_db()

    assert token.state() == Status.ROTATED_OUT  # not "expired": its use means something
    assert ApiToken.objects.with_status().get(pk=token.pk).status == Status.ROTATED_OUT


OK, REFUSED = "ok", "refused"
# What each action does in each state, as a person in charge sees it: the HTTP status, and
# what becomes of the token's chain ("live": nothing revoked; "revoked": every value) and of
# the tenant's alerts. This is the specification; tokens/lifecycle.py's table must agree.
EXPECTED = {
    (Action.USE, Status.GENERATED): (200, "live", None),
    (Action.USE, Status.ACTIVE): (200, "live", None),
    (Action.USE, Status.INACTIVE): (200, "live", None),
    (Action.USE, Status.ROTATED): (200, "live", None),
    (Action.USE, Status.ROTATED_OUT): (401, "live", "medium"),  # refused, the successor lives
    (Action.USE, Status.EXPIRED): (401, "live", None),
    (Action.USE, Status.REVOKED): (401, "revoked", None),
    (Action.SELF_ROTATE, Status.GENERATED): (201, "live", None),
    (Action.SELF_ROTATE, Status.ACTIVE): (201, "live", None),
    (Action.SELF_ROTATE, Status.INACTIVE): (201, "live", None),
    (Action.SELF_ROTATE, Status.ROTATED): (401, "revoked", "high"),  # theft
    (Action.SELF_ROTATE, Status.ROTATED_OUT): (401, "revoked", "high"),  # theft
    (Action.SELF_ROTATE, Status.EXPIRED): (401, "live", None),
    (Action.SELF_ROTATE, Status.REVOKED): (401, "revoked", None),
    (Action.ROTATE, Status.GENERATED): (201, "live", None),
    (Action.ROTATE, Status.ACTIVE): (201, "live", None),
    (Action.ROTATE, Status.INACTIVE): (201, "live", None),
    (Action.ROTATE, Status.EXPIRED): (201, "live", None),
    (Action.ROTATE, Status.ROTATED): (409, "live", None),
    (Action.ROTATE, Status.ROTATED_OUT): (409, "live", None),
    (Action.ROTATE, Status.REVOKED): (409, "revoked", None),
    (Action.REVOKE, Status.GENERATED): (204, "revoked", None),
    (Action.REVOKE, Status.ACTIVE): (204, "revoked", None),
    (Action.REVOKE, Status.INACTIVE): (204, "revoked", None),
    (Action.REVOKE, Status.EXPIRED): (204, "revoked", None),
    (Action.REVOKE, Status.ROTATED): (204, "revoked", None),  # its successor with it
    (Action.REVOKE, Status.ROTATED_OUT): (204, "revoked", None),  # its successor with it
    (Action.REVOKE, Status.REVOKED): (409, "revoked", None),
    # Pending approval: refused until another full admin approves it (tokens/approval.py).
    (Action.USE, Status.PENDING): (403, "live", None),
    (Action.SELF_ROTATE, Status.PENDING): (403, "live", None),
    (Action.ROTATE, Status.PENDING): (409, "live", None),
    (Action.REVOKE, Status.PENDING): (204, "revoked", None),  # withdrawn
    # A decision, by a full admin other than its requester: only of a pending token.
    **{
        (action, state): (
            (200, "revoked" if action == Action.DENY else "live", None)
            if state == Status.PENDING
            else (409, "revoked" if state == Status.REVOKED else "live", None)
        )
        for action in (Action.APPROVE, Action.DENY)
        for state in Status.values
    },
}


def test_the_lifecycle_table_is_this_specification():
    allowed = {cell: status < 400 for cell, (status, _, _) in EXPECTED.items()}

    assert allowed == {
        (action, state): refusal is None
        for action, row in TRANSITIONS.items()
        for state, refusal in row.items()
    }


def test_every_action_may_use_a_working_current_token():
    """lifecycle.refusal answers these three states without telling them apart."""
    uses = (Action.USE, Action.SELF_ROTATE, Action.ROTATE, Action.REVOKE)
    for state in (Status.GENERATED, Status.ACTIVE, Status.INACTIVE):
        assert [TRANSITIONS[action][state] for action in uses] == [None] * 4
        # ... and a decision refuses them all alike: they are not pending approval.
        assert {TRANSITIONS[action][state].status for action in (Action.APPROVE, Action.DENY)} == {
            409
        }


def act(action, api_client, owner, token, value):
    """Does `action` to `token` as a client would (a decision: as another full admin)."""
    if action == Action.USE:
        return api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}")
    if action == Action.SELF_ROTATE:
        return api_client.post(
            f"{TOKENS}self/rotate/", {}, format="json", HTTP_AUTHORIZATION=f"Token {value}"
        )
    if action in (Action.APPROVE, Action.DENY):
        api_client.force_login(make_user(owner.tenant, Role.GLOBAL_ADMIN, username="approver"))
        return api_client.post(f"{TOKENS}{token.pk}/{action}/", {}, format="json")
    api_client.force_login(owner)
    if action == Action.ROTATE:
        return api_client.post(f"{TOKENS}{token.pk}/rotate/", {}, format="json")
    return api_client.post(f"{TOKENS}{token.pk}/revoke/")


@pytest.mark.parametrize(("action", "state"), list(EXPECTED))
def test_every_action_in_every_state(
    api_client, owner, action, state, django_capture_on_commit_callbacks
):
    token, value = in_state(owner, state)
    chain = set(ApiToken.objects.chain(token).values_list("pk", flat=True))
    status, fate, alert = EXPECTED[(action, state)]

    with django_capture_on_commit_callbacks(execute=True):
        response = act(action, api_client, owner, token, value)

    assert response.status_code == status, response.content
    members = ApiToken.objects.filter(pk__in=chain)
    if fate == "revoked":
        assert members.filter(revoked_at__isnull=True).count() == 0
    else:
        assert members.filter(revoked_at__isnull=False).count() == 0
    severities = {1: "medium", 2: "high"}
    assert [severities[a.severity] for a in Alert.objects.all()] == ([alert] if alert else [])


@pytest.mark.parametrize(
    ("setup", "status", "reason"),
    [
        # The value's state first (revoked, then rotated out, then expired), then the place,
        # then the owner.
        ({"revoked", "expired", "deprovisioned", "elsewhere"}, 401, "revoked"),
        ({"rotated_out", "expired", "deprovisioned"}, 401, "rotated_out"),
        ({"expired", "deprovisioned", "elsewhere"}, 401, "expired"),
        ({"deprovisioned", "elsewhere"}, 401, "other_tenant"),
        ({"deprovisioned"}, 403, "owner_deprovisioned"),
    ],
)
def test_the_order_of_the_checks(api_client, tenant, other_tenant, owner, setup, status, reason):
    token, value = in_state(owner, "rotated_out" if "rotated_out" in setup else "generated")
    if "expired" in setup:
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    if "revoked" in setup:
        token_revoke(token=token, by=owner)
    if "deprovisioned" in setup:
        user_deprovision(user=owner)
    host = (
        f"{other_tenant.slug}.{other_tenant.region}.portal.test"
        if "elsewhere" in setup
        else (CONTOSO)
    )

    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}", HTTP_HOST=host)

    assert response.status_code == status
    refused = TokenEvent.objects.get(kind=EventKind.REFUSED)
    assert (refused.token_id, refused.reason) == (token.pk, reason)


def test_revoking_the_new_value_stops_the_old_one_in_its_grace(api_client, owner):
    old, old_value = make_token(owner, name="Sentinel")
    api_client.force_login(owner)
    rotated = api_client.post(f"{TOKENS}{old.pk}/rotate/", {"grace": "7d"}, format="json").json()

    revoked = api_client.post(f"{TOKENS}{rotated['id']}/revoke/")

    api_client.logout()
    assert revoked.status_code == 204
    for value in (old_value, rotated["token"]):
        assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}").status_code == 401
    events = TokenEvent.objects.filter(kind=EventKind.REVOKED).order_by("token_id")
    assert [(e.token_id, e.reason, e.detail) for e in events] == [
        (
            old.pk,
            "by_owner",
            f"Revoked: by its owner, with the value …{rotated['suffix']} of its rotation chain.",
        ),
        (rotated["id"], "by_owner", "Revoked: by its owner."),
    ]


def test_revoking_the_old_value_stops_the_new_one(api_client, owner):
    old, _ = make_token(owner, name="Sentinel")
    _, new_value = token_rotate(token=old, by=owner, grace="24h")
    api_client.force_login(owner)

    revoked = api_client.delete(f"{TOKENS}{old.pk}/")

    api_client.logout()
    assert revoked.status_code == 204
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {new_value}").status_code == 401
    assert ApiToken.objects.live().count() == 0


def test_an_expired_rotated_out_value_minting_is_still_theft(
    api_client, owner, django_capture_on_commit_callbacks
):
    """Regenerated on its expiry reminder, the old value expires in its grace period: a thief
    using it to mint a new one is caught all the same."""
    old, old_value = make_token(owner, name="Nightly")
    _, new_value = token_rotate(token=old, by=owner, grace="7d")
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        minted = api_client.post(
            f"{TOKENS}self/rotate/", {}, format="json", HTTP_AUTHORIZATION=f"Token {old_value}"
        )

    assert minted.status_code == 401
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {new_value}").status_code == 401
    alert = Alert.objects.get()
    assert alert.severity == 2
    assert "was used to mint a new one" in alert.description


def race(first, second):
    """Runs two callables at once, each on its own database connection, released together;
    returns what each returned or raised."""
    results: list = [None, None]
    gate = threading.Barrier(2)

    def run(index, work):
        try:
            gate.wait()
            results[index] = work()
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, w)) for n, w in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rotation_and_a_revocation_at_once_end_as_one_of_them_decided(tenant):
    owner = make_user(tenant, Role.GLOBAL_ADMIN)
    outcomes = set()
    for round_ in range(15):
        token, _ = make_token(owner, name=f"Raced {round_}")

        rotated, revoked = race(
            lambda token=token: token_rotate(token=token, by=owner, grace="24h"),
            lambda token=token: token_revoke(token=token, by=owner),
        )

        assert revoked is True
        assert isinstance(rotated, tuple | RotationRefused), rotated
        # Whichever came first, the person who revoked sees every value of it revoked.
        chain = ApiToken.objects.chain(ApiToken.objects.get(pk=token.pk))
        assert chain.filter(revoked_at__isnull=True).count() == 0
        outcomes.add("rotated first" if isinstance(rotated, tuple) else "revoked first")
    assert outcomes  # each round ended in one of the two orders


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_revocation_waits_for_a_rotation_that_holds_the_chain(tenant):
    """The rotation holds the chain's lock while the revocation arrives: the revocation
    waits, then sees (and revokes) the value the rotation made."""
    owner = make_user(tenant, Role.GLOBAL_ADMIN)
    token, _ = make_token(owner, name="Held")
    holding, release = threading.Event(), threading.Event()
    results: dict = {}

    def rotation():
        try:
            with transaction.atomic():
                ApiToken.objects.lock_chain(token)
                holding.set()
                release.wait(10)
                results["rotated"] = token_rotate(token=token, by=owner, grace="24h")
        finally:
            connections.close_all()

    def revocation():
        try:
            holding.wait(10)
            results["revoked"] = token_revoke(token=token, by=owner)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rotation), threading.Thread(target=revocation)]
    for thread in threads:
        thread.start()
    holding.wait(10)
    blocked = _waiting_on_a_lock()
    release.set()
    for thread in threads:
        thread.join(30)

    assert blocked  # the revocation waited for the lock
    new, _ = results["rotated"]
    assert results["revoked"] is True
    assert set(ApiToken.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)) == {
        token.pk,
        new.pk,
    }


def _waiting_on_a_lock(attempts: int = 100) -> bool:
    """Whether another connection of this database waits for a row lock (PostgreSQL)."""
    import time

    for _ in range(attempts):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False
