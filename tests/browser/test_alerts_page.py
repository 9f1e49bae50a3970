"""The Alerts page in the system Chromium (issue 21, C): reached from the navigation, which
counts the open high-severity alerts; filtered from the URL; an alert opened and closed."""

from playwright.sync_api import expect

from accounts.roles import Role
from security.enumerations import Resolution, Severity
from tests.browser.test_token_lifecycle import script_errors
from tests.factories import make_alert, make_user


def test_from_the_navigation_to_closing_an_alert(open_page, portal, contoso, screenshot):
    make_alert(contoso, title="API token exposed publicly", source="portal", severity=Severity.HIGH)
    travel = make_alert(contoso, title="Impossible travel activity", severity=Severity.MEDIUM)
    operator = make_user(
        contoso,
        Role.SECURITY_OPERATOR,
        username="alex@contoso.com",
        first_name="Alex",
        last_name="Wilber",
    )
    page = open_page(
        operator, portal.tenant_url(contoso), "/settings/security-extensions/api-tokens/"
    )

    nav = page.get_by_test_id("nav-alerts")
    expect(nav.get_by_test_id("open-high-alerts")).to_have_text("1 open high-severity")
    nav.click()
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    expect(page.get_by_test_id("alerts").locator("tbody tr")).to_have_count(2)
    page.get_by_label("Kind").select_option("portal")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("alerts").locator("tbody tr")).to_have_count(1)
    assert "kind=portal" in page.url
    screenshot(page, "alerts")
    page.get_by_label("Kind").select_option("")
    page.get_by_role("button", name="Apply").click()

    page.get_by_role("link", name="Impossible travel activity").click()
    close = page.get_by_test_id("close-alert")
    close.get_by_label("Close as").select_option("benign")
    close.get_by_label("Why").select_option("5")
    close.get_by_label("Comment").fill("The user was on a plane")
    close.get_by_role("button", name="Close the alert").click()

    expect(page.get_by_text("The alert was closed as benign.")).to_be_visible()
    expect(page.get_by_test_id("alert")).to_contain_text("Closed as benign")
    travel.refresh_from_db()
    assert (travel.resolution_status, travel.handled_by) == (Resolution.BENIGN, "alex@contoso.com")
    assert script_errors(page) == []
