"""Who you are, before minting, in the system Chromium (issue 21, B): with a sign-in older
than 10 minutes, Generate and Regenerate send the person to confirm it's them (the password
again), and bring them back to the dialog with every choice kept; one more click mints."""

import time
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import expect

from accounts.reauthentication import SIGNED_IN_AT
from tests.browser.test_token_lifecycle import row, script_errors
from tests.factories import make_token
from tokens.models import ApiToken

PAGE = "/settings/security-extensions/api-tokens/"
PASSWORD = "Megan-Local-2026!"


def age_sign_ins(seconds: int) -> None:
    """Every session's sign-in, `seconds` older."""
    for row_ in Session.objects.all():
        data = row_.get_decoded()
        data[SIGNED_IN_AT] = time.time() - seconds
        Session.objects.save(row_.session_key, data, row_.expire_date)


def confirm(page) -> None:
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()


def test_generate_asks_who_you_are_and_comes_back_with_every_choice(
    open_page, portal, contoso, admin
):
    admin.set_password(PASSWORD)
    admin.save()
    page = open_page(admin, portal.tenant_url(contoso), PAGE)
    age_sign_ins(11 * 60)
    page.get_by_role("link", name="Generate new token").first.click()
    dialog = page.get_by_role("dialog", name="Generate new token")
    dialog.get_by_label("Token name").fill("After confirming")
    dialog.get_by_label("Expires").select_option("30")
    dialog.get_by_label("Read-only").check()
    dialog.get_by_role("button", name="Generate").click()

    confirm(page)

    dialog = page.get_by_role("dialog", name="Generate new token")
    expect(dialog.get_by_text("Nothing was generated yet")).to_be_visible()
    expect(dialog.get_by_label("Token name")).to_have_value("After confirming")
    expect(dialog.get_by_label("Expires")).to_have_value("30")
    expect(dialog.get_by_label("Read-only")).to_be_checked()
    assert not ApiToken.objects.exists()
    dialog.get_by_role("button", name="Generate").click()
    expect(dialog.get_by_text("API token was successfully generated")).to_be_visible()
    token = ApiToken.objects.get()
    assert token.scopes == ["Discovery.read", "Investigation.read", "Settings.read"]
    # The one 401 is the answer that sent the browser to confirm: expected, not an error.
    assert [e for e in script_errors(page) if "status of 401" not in e] == []


def test_regenerate_asks_who_you_are_and_comes_back_with_every_choice(
    open_page, portal, contoso, admin
):
    admin.set_password(PASSWORD)
    admin.save()
    old, _ = make_token(admin, name="Nightly")
    page = open_page(admin, portal.tenant_url(contoso), PAGE)
    age_sign_ins(11 * 60)
    row(page, "Nightly").get_by_role("link", name="Regenerate").click()
    dialog = page.get_by_role("dialog", name="Regenerate token")
    dialog.get_by_label("The old value keeps working for").select_option("1h")
    dialog.get_by_label("The new value expires").select_option("7")
    dialog.get_by_role("button", name="Regenerate").click()

    confirm(page)

    dialog = page.get_by_role("dialog", name="Regenerate token")
    expect(dialog.get_by_label("The old value keeps working for")).to_have_value("1h")
    expect(dialog.get_by_label("The new value expires")).to_have_value("7")
    dialog.get_by_role("button", name="Regenerate").click()
    expect(dialog.get_by_text("The token “Nightly” was regenerated")).to_be_visible()
    old.refresh_from_db()
    assert old.grace_until - old.replaced_at == timedelta(hours=1)
    new = ApiToken.objects.get(replaced_at__isnull=True)
    assert timedelta(days=6, hours=23) < new.expires_at - timezone.now() <= timedelta(days=7)
