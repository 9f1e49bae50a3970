"""The tokens page in Chromium, tried as a careless user would: double clicks, Enter pressed
three times, a session that ends with a name half typed, a value closed without copying, a
wide screen; and the browsable API under the CSP."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from tokens.models import ApiToken

PAGE = "/settings/security-extensions/api-tokens/"


@pytest.fixture
def tokens_page(open_page, portal, contoso, admin):
    def tokens_page(**kwargs):
        return open_page(admin, portal.tenant_url(contoso), PAGE, **kwargs)

    return tokens_page


def open_generate(page):
    page.get_by_role("link", name="Generate new token").first.click()
    dialog = page.get_by_role("dialog", name="Generate new token")
    expect(dialog).to_be_visible()
    return dialog


def test_a_double_click_on_generate_makes_one_token_and_shows_it(tokens_page):
    page = tokens_page()
    dialog = open_generate(page)
    dialog.get_by_label("Token name").fill("Double click")

    dialog.get_by_role("button", name="Generate").dblclick()

    expect(dialog.get_by_text("API token was successfully generated")).to_be_visible()
    value = dialog.get_by_test_id("token-value").input_value()
    token = ApiToken.objects.get()
    assert (token.name, token.suffix) == ("Double click", value[-4:])
    assert page.errors == []


def test_enter_pressed_three_times_makes_one_token(tokens_page):
    page = tokens_page()
    dialog = open_generate(page)
    field = dialog.get_by_label("Token name")
    field.fill("Three times")

    field.focus()
    for _ in range(3):
        page.keyboard.press("Enter")

    expect(dialog.get_by_text("API token was successfully generated")).to_be_visible()
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["Three times"]


def test_without_javascript_enter_three_times_still_makes_one_token(tokens_page):
    page = tokens_page(javascript=False)
    page.get_by_role("link", name="Generate new token").first.click()
    field = page.get_by_label("Token name")
    field.fill("No script")

    field.focus()
    for _ in range(3):  # as fast as a key can be pressed: before the first answer arrives
        page.keyboard.press("Enter")
    page.wait_for_load_state()

    expect(page.get_by_role("heading", name="Generate new token")).to_be_visible()
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["No script"]


def test_when_the_session_ends_generate_sends_to_sign_in_and_keeps_every_choice(tokens_page, admin):
    admin.set_password("Megan-Local-2026!")
    admin.save()
    page = tokens_page()
    dialog = open_generate(page)
    dialog.get_by_label("Token name").fill("Typed before expiry")
    dialog.get_by_label("Expires").select_option("7")
    dialog.get_by_label("Only these capabilities").check()
    dialog.get_by_label("Investigation.read").check()
    Session.objects.all().delete()  # the session ends while the dialog is open

    dialog.get_by_role("button", name="Generate").click()

    page.wait_for_url("**/accounts/login/?next=%2Fsettings%2Fsecurity-extensions%2Fapi-tokens%2F")
    expect(page.get_by_text("Your session has ended. Sign in again to continue.")).to_be_visible()
    assert not ApiToken.objects.exists()
    page.get_by_label("Username").fill("admin@contoso.com")
    page.get_by_label("Password").fill("Megan-Local-2026!")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"**{PAGE}")
    dialog = page.get_by_role("dialog", name="Generate new token")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Token name")).to_have_value("Typed before expiry")
    expect(
        dialog.get_by_text("Nothing was generated yet: you had to sign in again first.")
    ).to_be_visible()
    # Never wider than what was chosen: the access, its capability and the expiry came back.
    expect(dialog.get_by_label("Expires")).to_have_value("7")
    expect(dialog.get_by_label("Only these capabilities")).to_be_checked()
    expect(dialog.get_by_label("Same as my role")).not_to_be_checked()
    expect(dialog.get_by_label("Investigation.read")).to_be_checked()
    expect(dialog.get_by_label("Investigation.manage")).not_to_be_checked()
    dialog.get_by_role("button", name="Generate").click()
    expect(dialog.get_by_text("API token was successfully generated")).to_be_visible()
    token = ApiToken.objects.get()
    assert (token.name, token.scopes) == ("Typed before expiry", ["Investigation.read"])
    assert timedelta(days=6, hours=23) < token.expires_at - token.created_at <= timedelta(days=7)


@pytest.mark.parametrize("action", ["revoke", "filter"])
def test_when_the_session_ends_revoke_and_filter_send_to_sign_in(tokens_page, admin, action):
    from tests.factories import make_token

    make_token(admin, name="Kept")
    page = tokens_page()
    Session.objects.all().delete()

    if action == "revoke":
        page.get_by_role("link", name="Revoke Kept").click()
        page.get_by_role("dialog", name="Revoke token").get_by_role("button", name="Revoke").click()
    else:
        # click, not check(): the page leaves for sign-in before the radio could be seen checked
        page.locator(".segmented").get_by_label("Active", exact=True).click()

    page.wait_for_url("**/accounts/login/?next=*")
    expect(page.get_by_text("Your session has ended. Sign in again to continue.")).to_be_visible()
    assert ApiToken.objects.get().revoked_at is None


def test_closing_an_uncopied_value_asks_first(tokens_page):
    page = tokens_page()
    dialog = open_generate(page)
    dialog.get_by_label("Token name").fill("Uncopied")
    dialog.get_by_role("button", name="Generate").click()
    expect(dialog.get_by_text("API token was successfully generated")).to_be_visible()

    page.keyboard.press("Escape")
    warning = dialog.get_by_text("You have not copied this token.")
    expect(warning).to_be_visible()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Back to the token").click()
    expect(warning).to_be_hidden()
    dialog.get_by_role("link", name="Close").click()
    expect(warning).to_be_visible()
    dialog.get_by_role("button", name="Close without copying").click()

    expect(dialog).to_be_hidden()


def test_a_copied_value_closes_at_once(tokens_page):
    page = tokens_page()
    dialog = open_generate(page)
    dialog.get_by_label("Token name").fill("Copied")
    dialog.get_by_role("button", name="Generate").click()
    value = dialog.get_by_test_id("token-value").input_value()

    dialog.get_by_role("button", name="Copy", exact=True).click()
    page.keyboard.press("Escape")

    expect(dialog).to_be_hidden()
    assert page.evaluate("navigator.clipboard.readText()") == value


@pytest.mark.parametrize("width", [1440, 1280, 375])
def test_the_whole_value_is_visible_at_every_width(tokens_page, width, screenshot):
    page = tokens_page(width=width)
    dialog = open_generate(page)
    dialog.get_by_label("Token name").fill("Wide")
    dialog.get_by_role("button", name="Generate").click()
    field = dialog.get_by_test_id("token-value")
    expect(field).to_be_visible()

    hidden = field.evaluate(
        "el => ({x: el.scrollWidth - el.clientWidth, y: el.scrollHeight - el.clientHeight})"
    )

    screenshot(page, f"token-value-{width}")
    assert hidden == {"x": 0, "y": 0}


def test_the_browsable_api_runs_under_the_csp(open_page, portal, contoso, admin, screenshot):
    from tests.factories import make_token

    make_token(admin, name="Listed")

    page = open_page(admin, portal.tenant_url(contoso), "/api/v1/tokens/")

    expect(page.get_by_text('"name": "Listed"')).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "browsable-api")
    assert page.errors == []


def test_the_browsable_api_sends_a_request(open_page, portal, contoso, admin):
    """Its form sends the method and JSON body chosen, with the session, and shows the
    answer: here a token generated (the value shown once, in that answer)."""
    from tokens.models import ApiToken

    page = open_page(admin, portal.tenant_url(contoso), "/api/v1/tokens/")
    page.get_by_label("Method").select_option("POST")
    page.get_by_label("Body (JSON)").fill('{"name": "From the browsable API"}')
    page.get_by_role("button", name="Send").click()

    expect(page.locator("[data-api-answer]")).to_contain_text("HTTP 201")
    assert ApiToken.objects.get().name == "From the browsable API"
    assert page.errors == []
