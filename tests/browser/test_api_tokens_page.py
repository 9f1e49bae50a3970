"""The API tokens page in the system Chromium, against the live server, as people use it."""

import json
import re
import urllib.error
import urllib.request

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from tests.factories import make_token, make_user
from tokens.models import ApiToken

PAGE = "/settings/security-extensions/api-tokens/"


@pytest.fixture
def reader(contoso):
    return make_user(
        contoso,
        Role.SECURITY_READER,
        username="reader@contoso.com",
        first_name="Lidia",
        last_name="Holloway",
    )


def call_me(portal, value: str) -> tuple[int, dict]:
    """GET /api/v1/me/ over real HTTP with the token."""
    request = urllib.request.Request(  # noqa: S310 (the live server, over plain HTTP)
        f"{portal.api}/api/v1/me/",
        headers={"Authorization": f"Token {value}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        status, body, request_id = (
            error.code,
            json.loads(error.read()),
            error.headers["X-Request-ID"],
        )
    assert body.pop("request_id") == request_id  # an error quotes its request, as always
    return status, body


def row(page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_text(name, exact=True))


def test_generate_copy_use_and_watch_it_turn_active(open_page, portal, contoso, admin, screenshot):
    page = open_page(admin, portal.tenant_url(contoso), PAGE)
    screenshot(page, "api-tokens-empty")

    page.get_by_role("link", name="Generate new token").first.click()
    dialog = page.get_by_role("dialog", name="Generate new token")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Token name")).to_be_focused()
    dialog.get_by_label("Token name").fill("Sentinel connector")
    dialog.get_by_role("button", name="Generate").click()

    expect(dialog.get_by_text("API token was successfully generated")).to_be_visible()
    value = dialog.get_by_label("Your new token").input_value()
    assert re.fullmatch(r"mdaapi[0-9A-Za-z]{58}", value)
    expect(dialog.get_by_test_id("tenant-url")).to_have_text(portal.tenant_url(contoso))
    expect(dialog.get_by_test_id("token-access")).to_contain_text(
        "It carries the privileges of Megan Bowen's role (Global administrator)"
    )
    screenshot(page, "api-tokens-generated")
    dialog.get_by_role("button", name="Copy", exact=True).click()
    expect(dialog.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == value

    dialog.get_by_role("link", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(row(page, "Sentinel connector").get_by_text("Generated")).to_be_visible()
    assert value not in page.content()

    status, me = call_me(portal, copied)
    assert (status, me["user"]["username"], me["authentication"]["method"]) == (
        200,
        "admin@contoso.com",
        "token",
    )
    page.reload()
    expect(row(page, "Sentinel connector").get_by_text("Active")).to_be_visible()
    assert value not in page.content()
    screenshot(page, "api-tokens")
    assert page.errors == []


def test_the_value_is_never_shown_again(open_page, portal, contoso, admin):
    page = open_page(admin, portal.tenant_url(contoso), PAGE + "new/", javascript=False)
    page.get_by_label("Token name").fill("Once only")
    page.get_by_role("button", name="Generate").click()
    value = page.get_by_label("Your new token").input_value()

    page.go_back()
    page.reload()
    back_html = page.content()
    response = page.goto(portal.tenant_url(contoso) + PAGE)

    assert value not in back_html
    assert value not in page.content()
    assert response.headers["cache-control"] == "no-store"
    assert ApiToken.objects.get().name == "Once only"


def test_filter_by_each_status_keeps_the_view_in_the_url(
    open_page, portal, contoso, admin, reader, screenshot
):
    now = timezone.now()
    for name, used in [
        ("never", None),
        ("today", now),
        ("last month", now - timezone.timedelta(days=30)),
    ]:
        token, _ = make_token(reader if name == "today" else admin, name=name)
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=used)
    page = open_page(admin, portal.tenant_url(contoso), PAGE)
    table = page.locator("#token-table tbody")

    for label, status, names in [
        ("Generated", "generated", ["never"]),
        ("Active", "active", ["today"]),
        ("Inactive", "inactive", ["last month"]),
        ("All", None, ["last month", "today", "never"]),
    ]:
        page.locator(".segmented").get_by_label(label, exact=True).check()
        expect(table.locator("td.name")).to_have_count(len(names))
        expect(table.locator("td.name")).to_have_text(names)
        assert (f"status={status}" in page.url) is (status is not None)

    screenshot(page, "api-tokens-all")
    page.get_by_role("link", name="Token name").click()
    expect(table.locator("td.name")).to_have_text(["last month", "never", "today"])
    page.locator(".segmented").get_by_label("Inactive", exact=True).check()
    page.locator(".segmented").get_by_label("All", exact=True).check()
    expect(table.locator("td.name")).to_have_text(["last month", "never", "today"])
    assert "ordering=name" in page.url
    page.locator(".segmented").get_by_label("Active", exact=True).check()
    expect(table.locator("td.name")).to_have_text(["today"])
    page.reload()
    expect(table.locator("td.name")).to_have_text(["today"])
    expect(page.locator(".segmented").get_by_label("Active", exact=True)).to_be_checked()

    page.get_by_label("Search tokens").fill("nothing like this")
    expect(page.get_by_test_id("empty-state")).to_contain_text("No tokens match")
    assert "search=nothing+like+this" in page.url
    assert page.errors == []


def test_revoke_asks_by_name_and_the_token_stops_working(open_page, portal, contoso, admin):
    token, value = make_token(admin, name="SOAR playbook")
    assert call_me(portal, value)[0] == 200
    page = open_page(admin, portal.tenant_url(contoso), PAGE)

    revoke_link = row(page, "SOAR playbook").get_by_role("link", name="Revoke SOAR playbook")
    revoke_link.click()
    confirm = page.get_by_role("dialog", name="Revoke token")
    expect(confirm).to_contain_text("Revoke the token “SOAR playbook”?")
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    expect(revoke_link).to_be_focused()
    revoke_link.click()
    confirm.get_by_role("button", name="Revoke").click()

    expect(page.get_by_role("status")).to_contain_text("The token “SOAR playbook” was revoked.")
    expect(row(page, "SOAR playbook")).to_have_count(0)
    assert call_me(portal, value) == (401, {"detail": "Invalid token"})
    token.refresh_from_db()
    assert token.revoked_by == admin


def test_a_reader_sees_only_own_tokens_and_an_admin_sees_everyones(
    open_page, portal, contoso, admin, reader
):
    make_token(admin, name="Admin's connector")
    make_token(reader, name="Reader's report")

    reader_page = open_page(reader, portal.tenant_url(contoso), PAGE)
    admin_page = open_page(admin, portal.tenant_url(contoso), PAGE)

    expect(reader_page.locator("td.name")).to_have_text(["Reader's report"])
    expect(admin_page.locator("td.name")).to_have_text(["Reader's report", "Admin's connector"])
    expect(admin_page.get_by_role("link", name="Revoke Reader's report")).to_be_visible()


def test_about_dialog_on_the_custom_url_shows_it(open_page, portal, contoso, reader, screenshot):
    page = open_page(reader, portal.tenant_url(contoso), PAGE)

    page.locator("summary", has_text="Help and information").click()
    page.get_by_role("banner").get_by_role("link", name="About").click()
    about = page.get_by_role("dialog", name="About")

    expect(about).to_be_visible()
    expect(about.get_by_test_id("about-api-url")).to_have_text(portal.tenant_url(contoso))
    expect(about).to_contain_text(portal.generic)
    expect(about).to_contain_text(str(contoso.public_id))
    expect(about).to_contain_text("East US 2")
    screenshot(page, "about-dialog")
    about.get_by_role("button", name="Copy API URL").click()
    assert page.evaluate("navigator.clipboard.readText()") == portal.tenant_url(contoso)
    page.keyboard.press("Escape")
    expect(about).to_be_hidden()


def test_the_user_menu_names_the_user_and_role(open_page, portal, contoso, reader):
    page = open_page(reader, portal.tenant_url(contoso), PAGE)

    expect(page.get_by_test_id("tenant-name")).to_have_text("Contoso")
    page.locator("summary", has_text="Account menu for Lidia Holloway").click()

    expect(page.get_by_text("Security reader", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_the_page_works_at_phone_width(open_page, portal, contoso, admin, screenshot):
    make_token(admin, name="A rather long token name for a narrow screen")
    page = open_page(admin, portal.tenant_url(contoso), PAGE, width=390)

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    expect(page.locator("td.name")).to_have_text(["A rather long token name for a narrow screen"])
    screenshot(page, "api-tokens-phone")
    page.get_by_role("link", name="Generate new token").first.click()
    dialog = page.get_by_role("dialog", name="Generate new token")
    dialog.get_by_label("Token name").fill("From my phone")
    dialog.get_by_role("button", name="Generate").click()

    assert overflow <= 0
    expect(dialog.get_by_text("API token was successfully generated")).to_be_visible()
    box = dialog.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390


def test_generating_with_a_bad_name_shows_the_error_beside_the_field(
    open_page, portal, contoso, admin
):
    page = open_page(admin, portal.tenant_url(contoso), PAGE)
    page.get_by_role("link", name="Generate new token").first.click()
    dialog = page.get_by_role("dialog", name="Generate new token")

    dialog.get_by_label("Token name").fill("x" * 101)
    dialog.get_by_role("button", name="Generate").click()

    expect(dialog.get_by_role("alert")).to_have_text(
        "Token names are at most 100 characters; this one has 101."
    )
    expect(dialog.get_by_label("Token name")).to_have_attribute("aria-invalid", "true")
    assert ApiToken.objects.count() == 0
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("link", name="Generate new token").first).to_be_focused()


def test_everything_works_without_javascript(open_page, portal, contoso, admin):
    page = open_page(admin, portal.tenant_url(contoso), PAGE, javascript=False)

    page.get_by_role("link", name="Generate new token").first.click()
    page.get_by_label("Token name").fill("No-JS token")
    page.get_by_role("button", name="Generate").click()
    value = page.get_by_label("Your new token").input_value()
    page.get_by_role("link", name="Close").click()
    expect(row(page, "No-JS token").get_by_text("Generated")).to_be_visible()
    page.locator(".segmented").get_by_label("Active", exact=True).check()
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    page.locator(".segmented").get_by_label("All", exact=True).check()
    page.get_by_role("button", name="Apply").click()
    row(page, "No-JS token").get_by_role("link", name="Revoke No-JS token").click()
    page.get_by_role("button", name="Revoke").click()

    expect(page.get_by_text("The token “No-JS token” was revoked.")).to_be_visible()
    assert call_me(portal, value)[0] == 401
