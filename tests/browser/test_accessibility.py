"""Everyone can use it (issue 21, D): axe-core (from the npm registry, pinned in
package.json, installed by `make test` and .ci/run) finds no violation on the pages the
product serves: the portal's pages at 375 and 1280 px with their dialogs open, the sign-in
and confirmation pages, the Django admin's sign-in and index, the MFA pages. Injected with
the page's CSP bypassed (axe is the test's script, not the page's)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.service_accounts import service_account_create
from accounts.services import user_deprovision
from extensions.services import data_source_create, log_collector_create, siem_agent_create
from security.log_formats import LOG_TYPE_IDS
from tests.browser.conftest import AXE
from tests.factories import make_alert, make_token, make_user
from tokens.models import ApiToken
from tokens.services import token_generate
from tokens.usage import capability_history_add

TOKENS = "/settings/security-extensions/api-tokens/"
FIREWALL = next(iter(LOG_TYPE_IDS))


def violations(page) -> list[str]:
    """axe's violations of the page as it is now: "rule (impact): how many, first target"."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => `${v.id} (${v.impact}): ${v.nodes.length}, ${v.nodes[0].target.join(' ')}`)"
    )
    return list(found)


def open_dialog(page, name: str):
    page.get_by_role("link", name=name).first.click()


PORTAL_PAGES = [
    TOKENS,
    f"{TOKENS}new/",
    "DETAIL",
    "REGENERATE",
    "ALLOWLIST",
    "NARROW",
    f"{TOKENS}unused-capabilities/",
    "/settings/security-extensions/token-activity/",
    "/settings/system/token-policy/",
    "/settings/system/provisioning/",
    "/settings/system/about/",
    "/settings/security-extensions/siem-agents/",
    "/settings/cloud-discovery/log-collectors/",
    "/alerts/",
    "ALERT",
    "/accounts/confirm/?next=/",
    "/settings/system/users/",
    "SERVICE_ACCOUNT",
    "DEPROVISION",
    "HAND_OVER",
    "DECIDE",
]


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("path", PORTAL_PAGES)
def test_no_violation_on_the_portals_pages(axe_page, portal, contoso, admin, path, width):
    token, _ = token_generate(
        user=admin,
        name="Sentinel connector",
        created_at=timezone.now() - timedelta(days=40),
        allowed_ips=["203.0.113.0/24"],
    )
    # It read alerts yesterday: its page and the narrowing set that beside what it holds.
    yesterday = timezone.now() - timedelta(days=1)
    capability_history_add(
        token=token, capability="Investigation.read", per_day={yesterday.date(): 5}, last=yesterday
    )
    alert = make_alert(contoso, title="API token exposed publicly", severity=2)
    siem_agent_create(
        user=admin,
        name="Contoso Sentinel",
        output_format="cef",
        send_alerts=True,
        send_activities=True,
    )
    source = data_source_create(
        tenant=contoso, name="Firewall", log_format=FIREWALL, receiver_type="syslog"
    )
    log_collector_create(user=admin, name="Collector", data_sources=[source])
    # A service account, a departed person's token to hand over, and a request to decide
    # (which puts the approval queue and its count on the tokens page).
    account = service_account_create(
        tenant=contoso, name="soar-bot", role=Role.SECURITY_OPERATOR, custodians=[admin.pk]
    )
    departed = make_user(contoso, Role.SECURITY_OPERATOR, username="dana@contoso.com")
    token_generate(user=departed, name="Playbook closer")
    user_deprovision(user=departed)
    requester = make_user(contoso, Role.GLOBAL_ADMIN, username="rob@contoso.com")
    pending, _ = token_generate(user=requester, name="Alert closer")
    ApiToken.objects.filter(pk=pending.pk).update(pending_until=timezone.now() + timedelta(days=7))
    path = {
        "SERVICE_ACCOUNT": f"/settings/system/users/{account.pk}/",
        "DEPROVISION": f"/settings/system/users/{requester.pk}/deprovision/",
        "HAND_OVER": f"/settings/system/users/{departed.pk}/hand-over/",
        "DECIDE": f"{TOKENS}{pending.pk}/decide/",
        "DETAIL": f"{TOKENS}{token.pk}/",
        "REGENERATE": f"{TOKENS}{token.pk}/regenerate/",
        "ALLOWLIST": f"{TOKENS}{token.pk}/allow-list/",
        "NARROW": f"{TOKENS}{token.pk}/narrow/",
        "ALERT": f"/alerts/{alert.public_id}/",
    }.get(path, path)
    page = axe_page(admin, portal.tenant_url(contoso), path, width)

    assert violations(page) == []


@pytest.mark.parametrize("dialog", ["generate", "generated", "regenerate", "revoke", "about"])
def test_no_violation_with_a_dialog_open(axe_page, portal, contoso, admin, dialog):
    make_token(admin, name="Sentinel connector")
    page = axe_page(admin, portal.tenant_url(contoso), TOKENS)
    if dialog in {"generate", "generated"}:
        open_dialog(page, "Generate new token")
        if dialog == "generated":
            box = page.get_by_role("dialog", name="Generate new token")
            box.get_by_label("Token name").fill("Checked")
            box.get_by_role("button", name="Generate").click()
            expect(box.get_by_text("API token was successfully generated")).to_be_visible()
    elif dialog == "regenerate":
        page.get_by_role("link", name="Regenerate Sentinel connector").click()
        expect(page.get_by_role("dialog", name="Regenerate token")).to_be_visible()
    elif dialog == "revoke":
        page.get_by_role("link", name="Revoke Sentinel connector").click()
        expect(page.get_by_role("dialog", name="Revoke token")).to_be_visible()
    else:
        page.locator("summary", has_text="Help and information").click()
        page.get_by_role("link", name="About").first.click()
        expect(page.get_by_role("dialog")).to_be_visible()

    assert violations(page) == []


@pytest.mark.parametrize("width", [375, 1280])
def test_no_violation_on_the_sign_in_page(axe_page, portal, contoso, width):
    page = axe_page(None, portal.tenant_url(contoso), "/accounts/login/", width)

    assert violations(page) == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tokens/",
        "/api/v1/alerts/",
        "/api/docs/",
        "/admin/login/",
        "/admin/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
    ],
)
def test_no_violation_on_the_other_pages(axe_page, portal, contoso, admin, path):
    from accounts.models import User

    user = admin
    if path.startswith("/admin/"):
        user = (
            None
            if path == "/admin/login/"
            else User.objects.create_superuser(username="platform-admin", password="x" * 16)
        )
    if path.startswith("/accounts/2fa"):
        admin.set_password("Megan-Local-2026!")
        admin.save()
    base = portal.api if path.startswith("/admin") else portal.tenant_url(contoso)
    make_token(admin, name="Listed")
    page = axe_page(user, base, path)

    assert violations(page) == []
