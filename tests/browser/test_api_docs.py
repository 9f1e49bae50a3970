"""The API documentation page renders in Chromium under the portal's CSP, from local files."""

from playwright.sync_api import expect


def test_the_api_documentation_renders_without_csp_errors(
    browser, portal, transactional_db, screenshot
):
    context = browser.new_context()
    page = context.new_page()
    errors, requests = [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))

    page.goto(portal.generic + "/api/docs/")

    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens portal: Cloud Apps API")
    expect(page.get_by_text("/api/v1/alerts/close_benign/").first).to_be_visible()
    page.get_by_role("navigation", name="Resources").get_by_role("link", name="tokens").click()
    expect(page.get_by_role("heading", name="tokens", exact=True)).to_be_in_viewport()
    screenshot(page, "api-docs")
    assert errors == []
    assert all(url.startswith(portal.generic) for url in requests), requests
    context.close()
