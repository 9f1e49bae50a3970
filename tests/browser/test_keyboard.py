"""With the keyboard alone (issue 21, D): after sorting, paging, revoking, regenerating and
closing About, focus is on something that makes sense, never on <body>; the "?" and account
menus close on Escape."""

from playwright.sync_api import expect

from tests.factories import make_token

PAGE = "/settings/security-extensions/api-tokens/"


def focused(page) -> str:
    """The focused element: its tag and text (or test id)."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return `${e.tagName.toLowerCase()}:${(e.dataset.testid || e.textContent).trim()}`; }"
    )


def test_sorting_keeps_focus_on_the_column_pressed(open_page, portal, contoso, admin):
    for name in ("Alpha", "Beta"):
        make_token(admin, name=name)
    page = open_page(admin, portal.tenant_url(contoso), PAGE)

    page.get_by_role("link", name="Token name").focus()
    page.keyboard.press("Enter")

    expect(page.locator("th[aria-sort=ascending]")).to_have_count(1)
    assert focused(page) == "a:Token name▲"


def test_paging_keeps_focus_on_the_pages_links(open_page, portal, contoso, admin):
    for n in range(55):
        make_token(admin, name=f"Token {n:02d}")
    page = open_page(admin, portal.tenant_url(contoso), PAGE)

    page.get_by_role("link", name="Next").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    assert focused(page) == "a:Previous"


def test_revoking_puts_focus_on_the_message(open_page, portal, contoso, admin):
    make_token(admin, name="Leaked")
    page = open_page(admin, portal.tenant_url(contoso), PAGE)

    page.get_by_role("link", name="Revoke Leaked").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # the dialog's Revoke has focus

    expect(page.get_by_text("The token “Leaked” was revoked.")).to_be_focused()


def test_closing_a_regenerated_tokens_dialog_leaves_focus_in_the_table(
    open_page, portal, contoso, admin
):
    make_token(admin, name="Nightly")
    page = open_page(admin, portal.tenant_url(contoso), PAGE)
    page.get_by_role("link", name="Regenerate Nightly").click()
    dialog = page.get_by_role("dialog", name="Regenerate token")
    dialog.get_by_role("button", name="Regenerate").click()
    dialog.get_by_role("button", name="Copy", exact=True).click()

    dialog.get_by_role("link", name="Close").click()

    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("token-count")).to_be_focused()


def test_about_and_the_menus_close_with_escape_and_give_focus_back(
    open_page, portal, contoso, admin
):
    page = open_page(admin, portal.tenant_url(contoso), PAGE)
    help_menu = page.locator("summary", has_text="Help and information")

    help_menu.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details.menu[open]")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator("details.menu[open]")).to_have_count(0)
    expect(help_menu).to_be_focused()

    page.keyboard.press("Enter")
    page.locator("details.menu[open]").get_by_role("link", name="About").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(help_menu).to_be_focused()

    account = page.locator("summary", has_text="Account menu for Megan Bowen")
    account.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(page.locator("details.menu[open]")).to_have_count(0)
    expect(account).to_be_focused()


def test_the_policy_pages_checkboxes_sit_beside_their_labels(open_page, portal, contoso, admin):
    """A checkbox on the line of its label, not floating above it; dropdowns and number
    fields drawn as the text fields are (the same border)."""
    page = open_page(admin, portal.tenant_url(contoso), "/settings/system/token-policy/")

    box = page.get_by_label("Allow tokens that never expire").bounding_box()
    label = page.locator("label[for=id_allow_never]").bounding_box()
    assert box is not None
    assert label is not None
    assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 6
    assert box["x"] < label["x"]
    borders = page.evaluate(
        "() => ['#id_default_expiry', '#id_max_lifetime_days'].map("
        "s => getComputedStyle(document.querySelector(s)).borderTopLeftRadius)"
    )
    assert borders == ["6px", "6px"]
