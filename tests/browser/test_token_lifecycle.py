"""The token lifecycle in the system Chromium (issue 14): the Generate dialog's expiry and
access choices, Regenerate with its grace period, and the tenant's token policy page, each
checked against what the API then does with the value."""

import json
import urllib.error
import urllib.request
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import make_token
from tokens.models import ApiToken, TokenPolicy

PAGE = "/settings/security-extensions/api-tokens/"
POLICY = "/settings/system/token-policy/"


def call(portal, value: str, path: str = "/api/v1/me/", method: str = "GET") -> tuple[int, dict]:
    """A request over real HTTP with the token."""
    request = urllib.request.Request(  # noqa: S310 (the live server, over plain HTTP)
        f"{portal.api}{path}",
        method=method,
        headers={"Authorization": f"Token {value}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def script_errors(page) -> list[str]:
    """What went wrong in the page's scripts; a refused form's 400 is expected, not one."""
    expected = "the server responded with a status of 400"
    return [error for error in page.errors if expected not in error]


def row(page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_text(name, exact=True))


def test_generate_with_an_expiry_and_read_only_access(open_page, portal, contoso, admin):
    page = open_page(admin, portal.tenant_url(contoso), PAGE)
    page.get_by_role("link", name="Generate new token").first.click()
    dialog = page.get_by_role("dialog", name="Generate new token")
    dialog.get_by_label("Token name").fill("Weekly report")
    expect(dialog.get_by_label("On", exact=True)).to_be_hidden()  # the date only for "On a date…"
    dialog.get_by_label("Expires").select_option("30")
    expect(dialog.get_by_label("Investigation.read")).to_be_hidden()
    dialog.get_by_label("Read-only").check()
    dialog.get_by_role("button", name="Generate").click()

    expect(dialog.get_by_text("API token was successfully generated")).to_be_visible()
    token = ApiToken.objects.get(name="Weekly report")
    expect(dialog.get_by_test_id("token-expiry")).to_contain_text(
        f"It expires on {token.expires_at:%b} {token.expires_at.day}, {token.expires_at.year}"
    )
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    value = dialog.get_by_label("Your new token").input_value()
    status, me = call(portal, value)
    assert status == 200
    assert me["scopes"] == sorted(me["scopes"])
    assert all(scope.endswith(".read") for scope in me["scopes"])
    assert set(me["capabilities"]) == set(me["scopes"])
    dialog.get_by_role("button", name="Copy", exact=True).click()
    dialog.get_by_role("link", name="Close").click()
    expect(row(page, "Weekly report").locator("td[data-label=Expires] time")).to_have_attribute(
        "datetime", token.expires_at.isoformat()
    )
    assert page.errors == []


def test_generate_with_chosen_capabilities_and_an_error_kept_in_the_dialog(
    open_page, portal, contoso, admin
):
    page = open_page(admin, portal.tenant_url(contoso), PAGE)
    page.get_by_role("link", name="Generate new token").first.click()
    dialog = page.get_by_role("dialog", name="Generate new token")
    dialog.get_by_label("Token name").fill("Alert closer")
    dialog.get_by_label("Only these capabilities").check()
    dialog.get_by_role("button", name="Generate").click()  # none ticked: refused

    expect(dialog.locator("#scopes-errors")).to_be_visible()
    assert ApiToken.objects.count() == 0
    dialog.get_by_label("Investigation.manage").check()
    dialog.get_by_label("Expires").select_option("date")
    on = (timezone.now() + timedelta(days=10)).date()
    dialog.get_by_label("On", exact=True).fill(on.isoformat())
    dialog.get_by_role("button", name="Generate").click()

    expect(dialog.get_by_text("API token was successfully generated")).to_be_visible()
    token = ApiToken.objects.get()
    assert token.scopes == ["Investigation.manage"]
    assert token.expires_at.date() == on + timedelta(days=1)  # through that day (UTC)
    assert script_errors(page) == []


def test_regenerate_shows_the_new_value_once_and_the_table_notes_the_grace(
    open_page, portal, contoso, admin, screenshot
):
    old, old_value = make_token(admin, name="Sentinel connector")
    page = open_page(admin, portal.tenant_url(contoso), PAGE)

    row(page, "Sentinel connector").get_by_role("link", name="Regenerate").click()
    dialog = page.get_by_role("dialog", name="Regenerate token")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("The old value keeps working for")).to_have_value("24h")
    dialog.get_by_label("The old value keeps working for").select_option("1h")
    dialog.get_by_role("button", name="Regenerate").click()

    expect(dialog.get_by_text("The token “Sentinel connector” was regenerated")).to_be_visible()
    expect(dialog.get_by_test_id("old-value-note")).to_contain_text("keeps working until")
    screenshot(page, "api-tokens-regenerated")
    new_value = dialog.get_by_label("Your new token").input_value()
    assert new_value != old_value
    dialog.get_by_role("button", name="Copy", exact=True).click()
    dialog.get_by_role("link", name="Close").click()
    expect(dialog).to_be_hidden()

    expect(page.locator("tbody tr")).to_have_count(1)
    expect(row(page, "Sentinel connector").get_by_test_id("rotated-note")).to_contain_text(
        "Rotated, old value valid until"
    )
    screenshot(page, "api-tokens-rotated-note")
    assert new_value not in page.content()
    assert call(portal, old_value)[0] == 200  # in its hour of grace
    assert call(portal, new_value)[0] == 200
    old.refresh_from_db()
    assert old.grace_until - old.replaced_at == timedelta(hours=1)
    assert page.errors == []


def test_regenerate_without_javascript(open_page, portal, contoso, admin):
    make_token(admin, name="Nightly export")
    page = open_page(admin, portal.tenant_url(contoso), PAGE, javascript=False)

    row(page, "Nightly export").get_by_role("link", name="Regenerate").click()
    page.get_by_label("The old value keeps working for").select_option("none")
    page.get_by_role("button", name="Regenerate").click()

    expect(page.get_by_test_id("old-value-note")).to_have_text(
        f"The old value (…{ApiToken.objects.order_by('pk').first().suffix}) no longer works."
    )
    value = page.get_by_label("Your new token").input_value()
    assert call(portal, value)[0] == 200
    page.get_by_role("link", name="Close").click()
    expect(page.get_by_test_id("rotated-note")).to_have_count(0)


def test_the_policy_page_binds_the_generate_dialog(open_page, portal, contoso, admin):
    page = open_page(admin, portal.tenant_url(contoso), POLICY)
    form = page.get_by_test_id("token-policy-form")
    form.get_by_label("Maximum lifetime (days)").fill("99999")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#max_lifetime_days-errors")).to_be_visible()  # past the longest
    assert TokenPolicy.objects.filter(tenant=contoso).count() == 0  # nothing saved

    form.get_by_label("Maximum lifetime (days)").fill("30")
    form.get_by_label("Default expiry").select_option("30")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_be_visible()
    expect(page.get_by_test_id("policy-updated")).to_contain_text("Megan Bowen")
    policy = TokenPolicy.objects.get(tenant=contoso)
    assert (policy.max_lifetime_days, policy.default_expiry) == (30, "30")

    page.goto(portal.tenant_url(contoso) + PAGE)
    page.get_by_role("link", name="Generate new token").first.click()
    dialog = page.get_by_role("dialog", name="Generate new token")
    options = dialog.get_by_label("Expires").locator("option")
    expect(options).to_have_text(["7 days", "30 days", "On a date…"])
    expect(dialog.get_by_label("Expires")).to_have_value("30")
    expect(dialog.get_by_text("At most 30 days: the tenant's token policy.")).to_be_visible()
    assert script_errors(page) == []
