"""An alert's `URL`, as a real HTTP call to the API answers it, opens the alert's page on
the portal in Chromium for someone who may read alerts, and for no one else."""

import json
import urllib.request

from playwright.sync_api import expect

from accounts.roles import Role
from tests.factories import make_alert, make_token, make_user


def test_an_alerts_url_opens_its_page(open_page, portal, contoso, admin):
    alert = make_alert(
        contoso,
        title="Impossible travel activity",
        severity=2,
        entities=[
            {"id": "pat@contoso.com", "label": "pat@contoso.com", "type": "user"},
            {"id": 20893, "label": "Microsoft Exchange Online", "type": "service"},
        ],
    )
    _, value = make_token(admin)
    request = urllib.request.Request(  # noqa: S310
        f"{portal.api}/api/v1/alerts/{alert.public_id}/",
        headers={"Authorization": f"Token {value}", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        url = json.loads(response.read())["URL"]
    reader = make_user(contoso, Role.SECURITY_READER)

    page = open_page(
        reader, portal.tenant_url(contoso), url.removeprefix(portal.tenant_url(contoso))
    )

    assert url == f"{portal.tenant_url(contoso)}/alerts/{alert.public_id}/"
    expect(page.get_by_role("heading", name="Impossible travel activity")).to_be_visible()
    expect(page.get_by_test_id("alert")).to_contain_text("High")
    expect(page.get_by_role("row", name="App Microsoft Exchange Online")).to_be_visible()
    assert page.errors == []


def test_the_page_is_the_tenants_own(open_page, portal, contoso, admin):
    from tests.factories import make_tenant

    fabrikam = make_tenant(name="Fabrikam", slug="fabrikam", region="eu2")
    theirs = make_alert(fabrikam, title="Their alert")

    page = open_page(admin, portal.tenant_url(contoso), f"/alerts/{theirs.public_id}/")

    expect(page.get_by_text("Their alert")).to_have_count(0)
    assert page.title() != "Their alert"
