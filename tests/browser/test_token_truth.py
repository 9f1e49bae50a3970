"""The pages tell the truth about access, in the system Chromium (issue 21, A): the one-time
dialog (and its page without JavaScript) states what a token as generated can and cannot do,
and the table says each token's access in a word."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_token_lifecycle import row, script_errors

PAGE = "/settings/security-extensions/api-tokens/"


@pytest.mark.parametrize("javascript", [True, False])
def test_a_read_only_token_is_said_to_be_read_only(open_page, portal, contoso, admin, javascript):
    page = open_page(admin, portal.tenant_url(contoso), PAGE, javascript=javascript)
    page.get_by_role("link", name="Generate new token").first.click()
    scope = page.get_by_role("dialog", name="Generate new token") if javascript else page
    scope.get_by_label("Token name").fill("Dashboard")
    scope.get_by_label("Only these capabilities").check()
    expect(
        scope.get_by_text("Close and mark alerts, and send feedback on activities")
    ).to_be_visible()
    scope.get_by_label("Read-only").check()
    scope.get_by_role("button", name="Generate").click()

    access = scope.get_by_test_id("token-access")
    expect(access).to_contain_text("Narrowed: whoever holds it can do only this")
    expect(access.get_by_test_id("token-can").locator("li")).to_have_text(
        [
            "Investigation.read Read alerts, activities, files, entities and IP ranges",
            "Discovery.read Read Cloud Discovery data (streams, categories, uploads) and alerts",
            "Settings.read Read IP ranges and the tenant's settings",
        ]
    )
    expect(access.get_by_test_id("token-cannot")).to_contain_text("Investigation.manage")
    expect(scope.get_by_text("whatever you can")).to_have_count(0)
    if javascript:
        scope.get_by_role("button", name="Copy", exact=True).click()
        scope.get_by_role("link", name="Close").click()
    else:
        # Without JavaScript nothing could copy: no Copy button is offered.
        expect(page.get_by_role("button", name="Copy")).to_have_count(0)
        page.get_by_role("link", name="Close").click()
    expect(row(page, "Dashboard").get_by_test_id("access-label")).to_have_text("Read-only")
    assert script_errors(page) == []
