"""Approval of tokens that can change data (tokens/approval.py): under the tenant's policy a
new token is pending, every use refused (403, "Token pending approval") until a full admin
other than its requester approves it; a denial revokes it; a request not decided in 7 days
expires; the requester and the full admins are told through the notices outbox; every step
is an event; nobody decides their own request."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from tests.factories import make_user
from tests.integration.test_lifecycle import race
from tokens.approval import DecisionRefused, approval_requests_expire, token_approve, token_deny
from tokens.models import ApiToken, EventKind, Notice, TokenEvent, TokenPolicy
from tokens.services import token_generate

CONTOSO = "contoso.us2.portal.test"
TOKENS = "/api/v1/tokens/"


@pytest.fixture
def approver(tenant):
    """A second full admin, who decides the first one's requests."""
    return make_user(tenant, Role.GLOBAL_ADMIN, username="ann@contoso.com", email="ann@contoso.com")


@pytest.fixture
def requester(tenant):
    return make_user(tenant, Role.GLOBAL_ADMIN, username="rob@contoso.com", email="rob@contoso.com")


def policy(tenant, required_for: str) -> None:
    TokenPolicy.objects.update_or_create(
        tenant=tenant, defaults={"approval_required_for": required_for}
    )


def generate(api_client, user, **body):
    api_client.force_authenticate(user)
    return api_client.post(TOKENS, {"name": "Closer", **body}, format="json")


def me(value: str):
    return APIClient(HTTP_ACCEPT="application/json", HTTP_HOST=CONTOSO).get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}"
    )


def decide(api_client, by, token_id: int, decision: str, **body):
    api_client.force_authenticate(by)
    return api_client.post(f"{TOKENS}{token_id}/{decision}/", body, format="json")


@pytest.mark.parametrize(
    ("required_for", "scopes", "pending"),
    [
        ("", None, False),
        ("manage", ["Investigation.read"], False),  # it cannot change data
        ("manage", ["Investigation.read", "Investigation.manage"], True),
        ("manage", None, True),
        ("all", ["Investigation.read"], True),
    ],
)
def test_which_tokens_wait_for_approval(
    api_client, tenant, requester, approver, required_for, scopes, pending
):
    policy(tenant, required_for)

    response = generate(api_client, requester, scopes=scopes)

    assert response.status_code == 201
    assert (response.json()["status"] == "pending") is pending
    assert me(response.json()["token"]).status_code == (403 if pending else 200)


def test_a_pending_token_is_refused_until_another_full_admin_approves_it(
    api_client, tenant, requester, approver
):
    policy(tenant, "manage")
    made = generate(api_client, requester).json()

    refused = me(made["token"])
    own = decide(api_client, requester, made["id"], "approve")
    approved = decide(api_client, approver, made["id"], "approve", note="Ticket 4711")

    assert (refused.status_code, refused.json()["detail"]) == (403, "Token pending approval")
    assert TokenEvent.objects.get(kind=EventKind.REFUSED).reason == "pending_approval"
    assert (own.status_code, own.json()["detail"]) == (
        403,
        "You cannot approve or deny your own request: another full admin decides it.",
    )
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["approved_by"]["username"]) == (
        "generated",
        "ann@contoso.com",
    )
    assert me(made["token"]).status_code == 200
    event = TokenEvent.objects.get(kind=EventKind.APPROVED)
    assert (event.actor_label, event.detail) == (
        "ann@contoso.com",
        'Approved: it works from now on. Note: "Ticket 4711"',
    )
    again = decide(api_client, approver, made["id"], "approve")
    assert (again.status_code, again.json()["detail"]) == (
        409,
        "This token is not pending approval.",
    )


def test_the_requester_and_the_other_full_admins_are_told(api_client, tenant, requester, approver):
    third = make_user(tenant, Role.GLOBAL_ADMIN, username="cy@contoso.com", email="cy@contoso.com")
    make_user(tenant, Role.SECURITY_READER, username="sue@contoso.com", email="sue@contoso.com")
    policy(tenant, "all")
    made = generate(api_client, requester).json()

    asked = sorted((n.to, n.kind) for n in Notice.objects.all())
    decide(api_client, approver, made["id"], "deny", note="Use the shared connector")

    assert asked == [
        ("ann@contoso.com", "approval_requested"),
        ("cy@contoso.com", "approval_requested"),
        ("rob@contoso.com", "approval_requested"),
    ]
    denied = Notice.objects.get(kind="approval_denied")
    assert denied.to == "rob@contoso.com"
    assert 'Their note: "Use the shared connector"' in denied.body
    assert made["token"] not in "".join(n.body + n.subject for n in Notice.objects.all())
    assert third.pk  # a full admin, asked too


def test_a_denial_revokes_it(api_client, tenant, requester, approver):
    policy(tenant, "manage")
    made = generate(api_client, requester).json()

    denied = decide(api_client, approver, made["id"], "deny", note="Not needed")

    assert denied.status_code == 200
    assert (denied.json()["status"], denied.json()["revoked_reason"]) == ("revoked", "denied")
    assert (me(made["token"]).status_code, me(made["token"]).json()["detail"]) == (
        401,
        "Invalid token",
    )
    event = TokenEvent.objects.get(kind=EventKind.REVOKED)
    assert (event.reason, event.detail) == (
        "denied",
        'Denied approval, and so revoked. Note: "Not needed"',
    )


def test_a_request_not_decided_in_7_days_expires(api_client, tenant, requester, approver):
    policy(tenant, "manage")
    made = generate(api_client, requester).json()
    token = ApiToken.objects.get(pk=made["id"])
    assert token.pending_until - token.created_at == timedelta(days=7)
    ApiToken.objects.filter(pk=token.pk).update(pending_until=timezone.now() - timedelta(seconds=1))

    late = decide(api_client, approver, made["id"], "approve")
    expired = approval_requests_expire()

    assert late.status_code == 409
    assert late.json()["detail"].startswith("This request expired at ")
    assert expired == 1
    token.refresh_from_db()
    assert (token.revoked_reason, token.revoked_by) == ("approval_expired", None)
    assert Notice.objects.filter(kind="approval_expired", to="rob@contoso.com").count() == 1
    assert approval_requests_expire() == 0  # once


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"note": "x" * 201}, 400, "note: Ensure this field has no more than 200 characters."),
        ({"reason": "ok"}, 400, "reason: Unknown field: this endpoint takes note."),
        ({"note": 5}, 400, "note: Not a valid string."),
    ],
)
def test_malformed_decisions_are_refused(
    api_client, tenant, requester, approver, body, status, detail
):
    policy(tenant, "manage")
    made = generate(api_client, requester).json()

    response = decide(api_client, approver, made["id"], "approve", **body)

    assert (response.status_code, response.json()["detail"]) == (status, detail)
    assert ApiToken.objects.get(pk=made["id"]).pending_until is not None


def test_only_a_full_admin_decides_and_never_with_a_token(api_client, tenant, requester, approver):
    policy(tenant, "all")
    made = generate(api_client, requester).json()
    operator = make_user(tenant, Role.SECURITY_OPERATOR)
    approver_value = generate(api_client, approver, scopes=None).json()["token"]  # pending too

    by_operator = decide(api_client, operator, made["id"], "approve")
    with_token = APIClient(HTTP_ACCEPT="application/json", HTTP_HOST=CONTOSO).post(
        f"{TOKENS}{made['id']}/approve/",
        {},
        format="json",
        HTTP_AUTHORIZATION=f"Token {approver_value}",
    )

    assert by_operator.status_code == 404  # not a token they may see
    assert with_token.status_code == 403
    assert ApiToken.objects.get(pk=made["id"]).pending_until is not None


def test_a_tenant_needs_two_full_admins_for_approval(api_client, tenant, admin_user):
    api_client.force_authenticate(admin_user)

    refused = api_client.patch(
        "/api/v1/token-policy/", {"approval_required_for": "manage"}, format="json"
    )
    make_user(tenant, Role.GLOBAL_ADMIN)
    allowed = api_client.patch(
        "/api/v1/token-policy/", {"approval_required_for": "manage"}, format="json"
    )

    assert (refused.status_code, refused.json()["detail"]) == (
        409,
        "approval_required_for: approval needs at least two full admins, since nobody approves "
        "their own request; this tenant has 1. Make another person a global administrator first.",
    )
    assert (allowed.status_code, allowed.json()["approval_required_for"]) == (200, "manage")
    event = TokenEvent.objects.get(kind=EventKind.POLICY_CHANGED)
    assert event.detail == (
        "Approval required for: nobody → tokens that can change data (any *.manage capability)."
    )


def test_the_queue_and_its_count_on_the_pages(client, tenant, requester, approver):
    policy(tenant, "manage")
    api = APIClient(HTTP_ACCEPT="application/json")
    made = generate(api, requester).json()
    client.force_login(approver)

    page = client.get(
        "/settings/security-extensions/api-tokens/", HTTP_HOST=CONTOSO
    ).content.decode()
    decide_page = client.get(
        f"/settings/security-extensions/api-tokens/{made['id']}/decide/", HTTP_HOST=CONTOSO
    )
    decided = client.post(
        f"/settings/security-extensions/api-tokens/{made['id']}/decide/",
        {"decision": "approve", "note": ""},
        HTTP_HOST=CONTOSO,
    )
    after = client.get(
        "/settings/security-extensions/api-tokens/", HTTP_HOST=CONTOSO
    ).content.decode()

    assert 'data-testid="approval-queue"' in page
    assert 'data-testid="approvals-waiting" title="Tokens waiting for approval">1<' in page
    assert "Once approved, whoever holds it can" in decide_page.content.decode()
    assert decided.status_code == 302
    assert 'data-testid="approval-queue"' not in after
    assert 'data-testid="approvals-waiting"' not in after
    assert me(made["token"]).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_approval_and_a_denial_at_once_end_as_one_of_them_decided(tenant):
    requester = make_user(tenant, Role.GLOBAL_ADMIN, email="rob@contoso.com")
    ann = make_user(tenant, Role.GLOBAL_ADMIN, email="ann@contoso.com")
    cy = make_user(tenant, Role.GLOBAL_ADMIN, email="cy@contoso.com")
    policy(tenant, "all")
    outcomes = set()
    for round_ in range(10):
        token, _ = token_generate(user=requester, name=f"Raced {round_}")

        approved, denied = race(
            lambda token=token: token_approve(token=token, by=ann),
            lambda token=token: token_deny(token=token, by=cy),
        )

        token.refresh_from_db()
        if isinstance(approved, DecisionRefused):
            assert isinstance(denied, ApiToken)
            assert (token.revoked_reason, token.approved_at) == ("denied", None)
            outcomes.add("denied first")
        else:
            assert isinstance(approved, ApiToken), approved
            assert isinstance(denied, DecisionRefused), denied
            assert (token.revoked_at, token.approved_by_id, token.pending_until) == (
                None,
                ann.pk,
                None,
            )
            outcomes.add("approved first")
    assert outcomes


def test_a_pending_tokens_page_says_it_can_do_nothing_yet(client, tenant, requester, approver):
    policy(tenant, "manage")
    token, _ = token_generate(user=requester, name="Closer")
    client.force_login(requester)

    html = client.get(
        f"/settings/security-extensions/api-tokens/{token.pk}/", HTTP_HOST=CONTOSO
    ).content.decode()

    assert (
        '<p data-testid="token-pending">Pending approval: until a full admin approves it, it '
        "can do nothing (every request is refused). Once approved:</p>"
    ) in html
    token_approve(token=token, by=approver)
    after = client.get(
        f"/settings/security-extensions/api-tokens/{token.pk}/", HTTP_HOST=CONTOSO
    ).content.decode()
    assert 'data-testid="token-pending"' not in after
