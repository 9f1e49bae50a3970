"""Governance without surprises, in the system Chromium (issue 20): Regenerate offers the
expiries that Generate offers and regenerates an expired token; revoked tokens stay findable
under the Revoked filter with when, by whom and why; a retirement rule is previewed and
saved only once confirmed; replacing the SCIM secret is confirmed first; the detail page
revokes, with the same confirmation as the table."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_token_lifecycle import call, row, script_errors
from tests.factories import make_token
from tokens.models import ApiToken, Kind, TokenPolicy
from tokens.rotation import scim_token_rotate
from tokens.services import token_generate

PAGE = "/settings/security-extensions/api-tokens/"
POLICY = "/settings/system/token-policy/"
PROVISIONING = "/settings/system/provisioning/"


def test_regenerate_keeps_never_unless_another_expiry_is_chosen(open_page, portal, contoso, admin):
    token_generate(user=admin, name="Forever", expires_at=None)
    page = open_page(admin, portal.tenant_url(contoso), PAGE)

    row(page, "Forever").get_by_role("link", name="Regenerate").click()
    dialog = page.get_by_role("dialog", name="Regenerate token")
    expiry = dialog.get_by_label("The new value expires")
    expect(expiry).to_have_value("keep")
    expect(expiry.locator("option")).to_have_text(
        ["Never, as before", "7 days", "30 days", "90 days", "1 year", "On a date…", "Never"]
    )
    expiry.select_option("365")
    dialog.get_by_role("button", name="Regenerate").click()

    expect(dialog.get_by_text("The token “Forever” was regenerated")).to_be_visible()
    new = ApiToken.objects.get(replaced_at__isnull=True)
    assert timedelta(days=364, hours=23) < new.expires_at - timezone.now() <= timedelta(days=365)
    expect(dialog.get_by_test_id("token-expiry")).to_contain_text(f"{new.expires_at.year}")
    assert script_errors(page) == []


def test_an_expired_token_is_regenerated_from_the_table(open_page, portal, contoso, admin):
    old, old_value = make_token(admin, name="Lapsed")
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    page = open_page(admin, portal.tenant_url(contoso), PAGE)

    row(page, "Lapsed").get_by_role("link", name="Regenerate").click()
    dialog = page.get_by_role("dialog", name="Regenerate token")
    dialog.get_by_role("button", name="Regenerate").click()

    expect(dialog.get_by_test_id("old-value-note")).to_have_text(
        f"The old value (…{old.suffix}) no longer works."
    )
    value = dialog.get_by_label("Your new token").input_value()
    assert call(portal, value)[0] == 200
    assert call(portal, old_value)[0] == 401  # no grace for an expired value


def test_a_revoked_token_stays_findable_under_the_revoked_filter(
    open_page, portal, contoso, admin, screenshot
):
    make_token(admin, name="Kept")
    make_token(admin, name="Leaked")
    page = open_page(admin, portal.tenant_url(contoso), PAGE)

    row(page, "Leaked").get_by_role("link", name="Revoke").click()
    page.get_by_role("dialog", name="Revoke token").get_by_role("button", name="Revoke").click()
    expect(row(page, "Leaked")).to_have_count(0)  # the page opens on live tokens
    page.get_by_role("radio", name="Revoked").check()

    revoked = row(page, "Leaked")
    expect(revoked).to_have_count(1)
    expect(row(page, "Kept")).to_have_count(0)
    expect(revoked.get_by_test_id("revoked-note")).to_contain_text("by Megan Bowen: by its owner")
    expect(revoked.get_by_role("link", name="Revoke")).to_have_count(0)
    expect(revoked.get_by_role("link", name="Regenerate")).to_have_count(0)
    assert "status=revoked" in page.url
    screenshot(page, "api-tokens-revoked-filter")
    page.get_by_role("radio", name="All").check()
    expect(row(page, "Kept")).to_have_count(1)
    expect(row(page, "Leaked")).to_have_count(0)
    assert script_errors(page) == []


def test_a_retirement_rule_is_previewed_and_saved_only_once_confirmed(
    open_page, portal, contoso, admin, screenshot
):
    for name in ("Old script", "Forgotten export"):
        token_generate(user=admin, name=name, created_at=timezone.now() - timedelta(days=40))
    make_token(admin, name="Fresh")
    page = open_page(admin, portal.tenant_url(contoso), POLICY)
    form = page.get_by_test_id("token-policy-form")

    form.get_by_label("Retire tokens unused for (days)").fill("30")
    form.get_by_role("button", name="Save").click()

    preview = page.get_by_test_id("policy-preview")
    expect(preview).to_contain_text("This change retires 2 API tokens not used for 30 days")
    expect(preview.get_by_test_id("retiring-tokens").locator("li")).to_have_count(2)
    expect(preview).to_contain_text("Old script")
    expect(preview).not_to_contain_text("Fresh")
    screenshot(page, "token-policy-preview")
    assert not TokenPolicy.objects.filter(tenant=contoso).exists()  # nothing saved yet

    form.get_by_role("button", name="Confirm and save").click()

    expect(page.get_by_role("status").first).to_contain_text("The token policy is saved.")
    policy = TokenPolicy.objects.get(tenant=contoso)
    assert policy.dormant_days == 30
    assert timedelta(days=6, hours=23) < policy.dormant_from - timezone.now() <= timedelta(days=7)
    expect(page.get_by_test_id("dormant-preview")).to_contain_text(
        "2 API tokens have not been used for 30 days: from"
    )
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 3  # none retired yet


def test_replacing_the_scim_secret_asks_first(open_page, portal, contoso, admin):
    live, live_value = scim_token_rotate(user=admin)
    page = open_page(admin, portal.tenant_url(contoso), PROVISIONING)

    page.get_by_role("button", name="Generate a new secret token").click()
    confirm = page.get_by_test_id("scim-confirm")
    expect(confirm).to_contain_text("Entra's provisioning stops")
    expect(confirm).to_contain_text(f"…{live.suffix}")
    assert ApiToken.objects.get(kind=Kind.SCIM, revoked_at__isnull=True).pk == live.pk
    confirm.get_by_role("link", name="Cancel").click()
    expect(page.get_by_test_id("scim-confirm")).to_have_count(0)
    assert ApiToken.objects.get(kind=Kind.SCIM, revoked_at__isnull=True).pk == live.pk

    page.get_by_role("button", name="Generate a new secret token").click()
    page.get_by_role("button", name="Replace the secret token").click()

    value = page.get_by_test_id("scim-token").input_value()
    assert value.startswith("mdascm")
    assert ApiToken.objects.get(kind=Kind.SCIM, revoked_at__isnull=True).pk != live.pk
    assert value != live_value


def test_the_detail_page_revokes_with_a_confirmation(open_page, portal, contoso, admin):
    token, value = make_token(admin, name="Detail")
    _, new_value = token_generate(user=admin, name="Other")
    page = open_page(admin, portal.tenant_url(contoso), f"{PAGE}{token.pk}/")

    page.get_by_test_id("detail-revoke").click()
    expect(page.get_by_role("heading", name="Revoke token")).to_be_visible()
    expect(page.get_by_text("Revoke the token “Detail”")).to_be_visible()
    assert call(portal, value)[0] == 200  # asking revoked nothing
    page.get_by_role("button", name="Revoke").click()

    expect(page.get_by_test_id("token-status")).to_contain_text("Revoked")
    expect(page.get_by_test_id("revoked-note")).to_contain_text("by Megan Bowen: by its owner")
    expect(page.get_by_test_id("detail-revoke")).to_have_count(0)
    assert call(portal, value)[0] == 401
    assert call(portal, new_value)[0] == 200
