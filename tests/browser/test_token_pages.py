"""A token's page and the tenant's Token activity page in Chromium: from the tokens table to
a token's page, its chart and events; the activity page filtered and exported as CSV."""

import csv
import io
import json
import urllib.request

from playwright.sync_api import expect

from accounts.roles import Role
from tests.factories import make_token, make_user
from tokens.services import token_revoke


def use(portal, value, times=1):
    for _ in range(times):
        request = urllib.request.Request(  # noqa: S310 (the live server on loopback)
            f"{portal.api}/api/v1/me/",
            headers={"Authorization": f"Token {value}", "User-Agent": "Nightly/2.0"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            json.loads(response.read())


def test_from_the_table_to_a_tokens_page_with_its_chart_and_events(
    open_page, portal, contoso, admin
):
    _, value = make_token(admin, name="Nightly export")
    use(portal, value, times=2)
    page = open_page(admin, portal.tenant_url(contoso), "/settings/security-extensions/api-tokens/")

    page.get_by_role("link", name="Nightly export", exact=True).click()

    expect(page.get_by_role("heading", name="Nightly export")).to_be_visible()
    chart = page.get_by_test_id("usage-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar")).to_have_count(30)
    expect(page.get_by_text("2 requests in 30 days; the busiest day had 2.")).to_be_visible()
    expect(page.get_by_test_id("last-used")).to_contain_text("Nightly/2.0")
    events = page.get_by_test_id("token-events").locator("tbody tr")
    expect(events).to_have_count(2)
    expect(events.first).to_contain_text("First used")
    expect(events.last).to_contain_text("Generated")
    page.get_by_text("The numbers").click()
    expect(page.get_by_test_id("usage-table").locator("tbody tr")).to_have_count(30)
    assert page.errors == []


def test_the_activity_page_filters_and_exports(open_page, portal, contoso, admin):
    reader = make_user(contoso, Role.SECURITY_READER, username="reader@contoso.com")
    theirs, _ = make_token(reader, name="Reader script")
    token_revoke(token=theirs, by=admin)
    make_token(admin, name="Admin script")
    page = open_page(admin, portal.tenant_url(contoso), "/settings/security-extensions/api-tokens/")

    page.get_by_role("link", name="Token activity").click()
    expect(page.get_by_test_id("event-count")).to_have_text("3 events")
    page.get_by_label("Event").select_option("revoked")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(
        f"{portal.tenant_url(contoso)}/settings/security-extensions/token-activity/"
        "?kind=revoked&user=&actor=&token=&since=&until="
    )
    rows = page.get_by_test_id("activity-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Reader script")
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    exported = list(csv.reader(io.StringIO(open(download.value.path()).read())))  # noqa: SIM115
    assert [(row[1], row[4]) for row in exported[1:]] == [("revoked", "Reader script")]
    assert page.errors == []
