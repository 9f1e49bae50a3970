"""SIEM agents and log collectors in Chromium: add one, copy its token once, use it over
HTTP, regenerate it (the old one stops), delete it (the new one stops)."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from security.models import DiscoveryUpload, UploadStatus
from tests.factories import make_activity, make_alert


@pytest.fixture(autouse=True)
def _feed_and_files(settings, tmp_path):
    """Events readable at once; uploaded logs in a directory of this test's own."""
    settings.SIEM_FEED_LAG_SECONDS = 0
    settings.MEDIA_ROOT = tmp_path


def http(
    portal,
    method: str,
    path: str,
    token: str | None = None,
    body: bytes | None = None,
    url: str | None = None,
    content_type="application/json",
):
    headers = {"Accept": "application/json", "Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Token {token}"
    target = url or portal.api + path
    request = urllib.request.Request(target, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def copy_token(page) -> str:
    page.get_by_role("button", name="Copy", exact=True).first.click()
    expect(page.get_by_role("button", name="Copied").first).to_be_visible()
    return page.evaluate("navigator.clipboard.readText()")


def test_a_siem_agent_from_adding_to_deleting(open_page, portal, contoso, admin, screenshot):
    page = open_page(
        admin, portal.tenant_url(contoso), "/settings/security-extensions/siem-agents/"
    )
    expect(page.get_by_role("heading", name="No SIEM agents yet")).to_be_visible()

    page.get_by_role("link", name="Add SIEM agent").click()
    page.get_by_label("Name").fill("Sentinel")
    page.get_by_label("JSON").check()
    page.get_by_label("Activities").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="SIEM agent Sentinel was added")).to_be_visible()
    value = copy_token(page)
    assert value == page.get_by_label("SIEM agent token").input_value()
    screenshot(page, "siem-agent-token")
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("row", name="Sentinel")).to_contain_text("Never connected")
    assert value not in page.content()

    alert = make_alert(contoso, title="Impossible travel")
    make_activity(contoso)  # not this agent's event type
    status, body, _ = http(portal, "GET", "/api/v1/siem/events/", value)
    assert status == 200
    assert [event["_id"] for event in json.loads(body)["events"]] == [alert.public_id]
    page.reload()
    expect(page.get_by_role("row", name="Sentinel")).to_contain_text("Connected")
    expect(page.get_by_role("row", name="Sentinel")).to_contain_text("Alerts")

    page.get_by_role("link", name="Regenerate token of Sentinel").click()
    page.get_by_role("button", name="Regenerate token").click()
    new_value = copy_token(page)
    assert new_value != value
    assert http(portal, "GET", "/api/v1/siem/events/", value)[0] == 401
    assert http(portal, "GET", "/api/v1/siem/events/", new_value)[0] == 200
    page.get_by_role("link", name="Done").click()

    page.get_by_role("link", name="Delete Sentinel").click()
    page.get_by_role("button", name="Delete").click()
    expect(
        page.get_by_text("SIEM agent Sentinel was deleted and its token revoked.")
    ).to_be_visible()
    assert http(portal, "GET", "/api/v1/siem/events/", new_value)[0] == 401
    screenshot(page, "siem-agents")
    assert page.errors == []


def test_a_log_collector_from_adding_to_deleting(open_page, portal, contoso, admin, screenshot):
    page = open_page(admin, portal.tenant_url(contoso), "/settings/cloud-discovery/log-collectors/")

    page.get_by_role("link", name="Add data source").click()
    page.get_by_label("Name").fill("Proxy")
    page.get_by_label("Log format").select_option("SQUID")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Data source Proxy was added.")).to_be_visible()

    page.get_by_role("link", name="Add log collector").click()
    page.get_by_label("Name").fill("Branch office")
    page.get_by_label("Proxy").check()
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_role("heading", name="Log collector Branch office was added")
    ).to_be_visible()
    value = copy_token(page)
    page.get_by_role("link", name="Done").click()
    assert value not in page.content()

    log = b"1700000000.000 10.0.0.5 TCP_MISS/200 5120 GET https://app.example.com/ -\n" * 100
    status, body, _ = http(
        portal, "GET", "/api/v1/discovery/upload_url/?filename=access.log&source=SQUID", value
    )
    assert status == 200
    url = json.loads(body)["url"]
    assert (
        http(portal, "PUT", "", body=log, url=url, content_type="application/octet-stream")[0]
        == 201
    )
    done = http(
        portal,
        "POST",
        "/api/v1/discovery/done_upload/",
        value,
        json.dumps({"uploadUrl": url, "inputStreamName": "Proxy"}).encode(),
    )
    assert done[0] == 200
    assert DiscoveryUpload.objects.get().status == UploadStatus.QUEUED
    assert http(portal, "GET", "/api/v1/alerts/", value)[0] == 403
    page.reload()
    row = page.get_by_role("row", name="Branch office")
    expect(row).to_contain_text("Proxy")
    expect(row.locator("td[data-label=Files]")).to_have_text("1")
    expect(row.locator("td[data-label='Bytes received']")).to_have_attribute(
        "title", f"{len(log)} bytes"
    )
    screenshot(page, "log-collectors")

    page.get_by_role("link", name="Regenerate token of Branch office").click()
    page.get_by_role("button", name="Regenerate token").click()
    new_value = copy_token(page)
    page.get_by_role("link", name="Done").click()
    begin = "/api/v1/discovery/upload_url/?filename=a.log&source=SQUID"
    assert http(portal, "GET", begin, value)[0] == 401
    assert http(portal, "GET", begin, new_value)[0] == 200

    page.get_by_role("link", name="Delete Branch office").click()
    page.get_by_role("button", name="Delete").click()
    expect(
        page.get_by_text("Log collector Branch office was deleted and its token revoked.")
    ).to_be_visible()
    assert http(portal, "GET", begin, new_value)[0] == 401
    assert page.errors == []
