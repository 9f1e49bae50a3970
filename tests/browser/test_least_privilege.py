"""Least privilege on the pages, in the system Chromium (issue 25): the Generate dialog's
allowed addresses, the Unrestricted filter, the detail page's allow-list (with what a change
would refuse shown first), what a token holds against what it used and its narrowing
(previewed, then confirmed, the value kept), the privileges it lost with its owner's role,
and the tenant's unused capabilities."""

import time
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import user_save
from tests.browser.test_token_lifecycle import row, script_errors
from tests.factories import make_user
from tokens.models import ApiToken, EventKind, TokenEvent
from tokens.services import token_generate
from tokens.usage import usage_history_add

PAGE = "/settings/security-extensions/api-tokens/"


def test_generate_with_allowed_addresses_and_filter_the_unrestricted(
    open_page, portal, contoso, admin
):
    token_generate(user=admin, name="Open door")
    page = open_page(admin, portal.tenant_url(contoso), PAGE)
    page.get_by_role("link", name="Generate new token").first.click()
    dialog = page.get_by_role("dialog", name="Generate new token")
    dialog.get_by_label("Token name").fill("Fenced")
    addresses = dialog.get_by_label("Allowed addresses")

    addresses.fill("10.0.0.1/8")
    dialog.get_by_role("button", name="Generate").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "10.0.0.1/8 has its host part set: the range it starts is 10.0.0.0/8, or give the "
        "address alone."
    )
    assert not ApiToken.objects.filter(name="Fenced").exists()
    dialog.get_by_label("Allowed addresses").fill("10.0.0.0/8\n2001:db8::/32")
    dialog.get_by_role("button", name="Generate").click()
    expect(dialog.get_by_test_id("token-network")).to_have_text(
        "Only from 10.0.0.0/8, 2001:db8::/32: a request from anywhere else is refused."
    )
    dialog.get_by_role("button", name="Copy", exact=True).click()
    dialog.get_by_role("link", name="Close").click()

    assert ApiToken.objects.get(name="Fenced").allowed_ips == ["10.0.0.0/8", "2001:db8::/32"]
    expect(row(page, "Fenced").get_by_test_id("allowlisted")).to_have_text(
        "From 2 addresses or ranges"
    )
    expect(row(page, "Open door").get_by_test_id("anywhere")).to_have_text("From anywhere")
    page.get_by_label("Unrestricted").check()
    expect(row(page, "Fenced")).to_have_count(0)
    expect(row(page, "Open door")).to_have_count(1)
    assert "unrestricted=true" in page.url or page.get_by_label("Unrestricted").is_checked()
    assert script_errors(page) == []


def test_the_allow_list_is_changed_on_the_detail_page_after_a_preview(
    open_page, portal, contoso, admin
):
    token, _ = token_generate(user=admin, name="Sentinel", allowed_ips=["203.0.113.0/24"])
    now = timezone.now()
    usage_history_add(
        token=token,
        per_day={now.date(): 4},
        addresses=[("203.0.113.9", now - timedelta(hours=1))],
        user_agent="sentinel/1.0",
    )
    page = open_page(admin, portal.tenant_url(contoso), f"{PAGE}{token.pk}/")
    expect(page.get_by_test_id("allowed-ips")).to_contain_text("203.0.113.0/24")

    page.get_by_role("link", name="Change allow-list").click()
    page.get_by_label("Allowed addresses").fill("198.51.100.0/24")
    page.get_by_role("button", name="Save").click()

    preview = page.get_by_test_id("allowlist-preview")
    expect(preview).to_contain_text("This list would refuse 1 address that used the token lately")
    expect(preview).to_contain_text("203.0.113.9")
    assert ApiToken.objects.get(pk=token.pk).allowed_ips == ["203.0.113.0/24"]  # not yet
    page.get_by_role("button", name="Save, refusing these addresses").click()

    expect(
        page.get_by_text("The allow-list is saved; the token's value is unchanged.")
    ).to_be_visible()
    expect(page.get_by_test_id("allowed-ips")).to_contain_text("198.51.100.0/24")
    expect(page.get_by_test_id("token-events")).to_contain_text(
        "Allow-list: 203.0.113.0/24 → 198.51.100.0/24. The value is unchanged."
    )
    assert ApiToken.objects.get(pk=token.pk).allowed_ips == ["198.51.100.0/24"]
    assert script_errors(page) == []


def test_a_bad_allow_list_is_a_form_error(open_page, portal, contoso, admin):
    token, _ = token_generate(user=admin, name="Sentinel")
    page = open_page(admin, portal.tenant_url(contoso), f"{PAGE}{token.pk}/allow-list/")

    page.get_by_label("Allowed addresses").fill("203.0.113.7\nnot-an-address")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert")).to_have_text(
        "'not-an-address' is not an IP address or a CIDR range."
    )
    assert ApiToken.objects.get(pk=token.pk).allowed_ips is None


def test_narrow_to_what_it_used_is_previewed_then_keeps_the_value(
    open_page, portal, contoso, admin
):
    from core.cache import run_batch
    from tokens.usage import TALLY

    token, _ = token_generate(user=admin, name="Reporter")
    for _ in range(3):  # as three requests that read alerts would count it
        run_batch(TALLY.add_capability(token.pk, "Investigation.read", time.time(), 0))
    digest = token.digest
    page = open_page(admin, portal.tenant_url(contoso), f"{PAGE}{token.pk}/")
    use = page.get_by_test_id("capability-use")
    expect(use.locator("tr[data-capability='Investigation.read'] td").nth(2)).to_have_text("3")
    expect(use.locator("tr[data-capability='Settings.manage']")).to_contain_text("Never")

    page.get_by_test_id("narrow-link").click()
    expect(page.get_by_test_id("narrow-keeps").locator("li")).to_have_text(
        ["Investigation.read Read alerts, activities, files, entities and IP ranges"]
    )
    expect(page.get_by_test_id("narrow-removes")).to_contain_text("Tokens.manage_all")
    assert ApiToken.objects.get(pk=token.pk).scopes is None  # a preview changes nothing
    page.get_by_role("button", name="Narrow the token").click()

    expect(page.get_by_text("“Reporter” now can only Investigation.read")).to_be_visible()
    expect(page.get_by_test_id("token-can").locator("li")).to_have_text(
        ["Investigation.read Read alerts, activities, files, entities and IP ranges"]
    )
    narrowed = ApiToken.objects.get(pk=token.pk)
    assert (narrowed.scopes, narrowed.digest) == (["Investigation.read"], digest)
    assert TokenEvent.objects.filter(token=token, kind=EventKind.NARROWED).count() == 1
    assert script_errors(page) == []


def test_what_a_demotion_took_is_on_the_page_and_in_the_table(open_page, portal, contoso, admin):
    owner = make_user(contoso, Role.SECURITY_OPERATOR, first_name="Alex", last_name="Wilber")
    token_generate(user=owner, name="Closer")
    owner.role = Role.SECURITY_READER
    user_save(user=owner)

    page = open_page(admin, portal.tenant_url(contoso), PAGE)
    expect(row(page, "Closer").get_by_test_id("lost-mark")).to_contain_text(
        "Lost 1 since made: Investigation.manage"
    )
    row(page, "Closer").get_by_role("link", name="Closer", exact=True).click()

    lost = page.get_by_test_id("lost-capabilities")
    expect(lost).to_contain_text("When it was made it could also Investigation.manage")
    expect(lost).to_contain_text("Alex Wilber's role (Security reader) no longer allows it")
    expect(page.get_by_test_id("token-events")).to_contain_text(
        "Security operator → Security reader. Lost Investigation.manage."
    )
    assert script_errors(page) == []


def test_full_admins_see_the_unused_capabilities_and_narrow_from_there(
    open_page, portal, contoso, admin
):
    long_ago = timezone.now() - timedelta(days=45)
    token_generate(user=admin, name="Forgotten", created_at=long_ago)
    page = open_page(admin, portal.tenant_url(contoso), PAGE)

    page.get_by_role("link", name="Unused capabilities").click()

    expect(page.get_by_test_id("unused-count")).to_have_text("1 token")
    forgotten = row(page, "Forgotten")
    expect(forgotten).to_contain_text("It used none of its capabilities in 30 days: revoke it.")
    expect(forgotten.get_by_role("link", name="Narrow")).to_have_count(0)
    assert script_errors(page) == []
