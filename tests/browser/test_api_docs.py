"""The API documentation page renders in Chromium under the portal's CSP, from local files."""

from playwright.sync_api import expect


def test_swagger_ui_renders_the_api_without_csp_errors(
    browser, portal, transactional_db, screenshot
):
    context = browser.new_context()
    page = context.new_page()
    errors, requests = [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))

    page.goto(portal.generic + "/api/docs/")

    expect(page.get_by_text("/api/v1/alerts/close_benign/").first).to_be_visible(timeout=15000)
    screenshot(page, "api-docs")
    assert errors == []
    assert all(url.startswith(portal.generic) for url in requests), requests
    context.close()
