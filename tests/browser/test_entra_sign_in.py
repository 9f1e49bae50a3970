"""Sign in with Microsoft in the system Chromium: the portal's button, the fake Entra's
account picker (a real page on another origin), and back to the API tokens page."""

import uuid

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import Role
from tests.factories import make_tenant


@pytest.fixture
def contoso(transactional_db, entra_settings):
    tenant = make_tenant(name="Contoso", slug="contoso", region="us2", entra_tenant_id=uuid.uuid4())
    entra_settings.tid = str(tenant.entra_tenant_id)
    return tenant


def test_sign_in_with_microsoft_lands_on_the_api_tokens_page_with_the_role_from_the_claim(
    browser, portal, entra_settings, contoso, screenshot
):
    entra_settings.add_account(
        entra_settings.tid,
        upn="lidia@contoso.com",
        name="Lidia Holloway",
        roles=["SecurityOperator"],
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    page.goto(portal.tenant_url(contoso) + "/settings/security-extensions/api-tokens/")
    expect(page).to_have_url(
        portal.tenant_url(contoso)
        + "/accounts/login/?next=/settings/security-extensions/api-tokens/"
    )
    screenshot(page, "sign-in")
    page.get_by_role("button", name="Sign in with Microsoft").click()
    expect(page).to_have_title("Fake Entra ID: pick an account")
    page.get_by_role("button", name="Sign in as Lidia Holloway").click()

    expect(page).to_have_url(
        portal.tenant_url(contoso) + "/settings/security-extensions/api-tokens/"
    )
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    page.locator("summary", has_text="Account menu for Lidia Holloway").click()
    expect(page.locator(".user-panel .badge.role")).to_have_text("Security operator")
    screenshot(page, "signed-in-with-microsoft")
    user = User.objects.get(username="lidia@contoso.com")
    assert (user.tenant, user.role) == (contoso, Role.SECURITY_OPERATOR)
    context.close()


def test_a_refused_microsoft_sign_in_shows_why_and_opens_no_session(
    browser, portal, entra_settings, contoso
):
    entra_settings.add_account(entra_settings.tid, upn="nestor@contoso.com", name="Nestor Wilke")
    context = browser.new_context()
    page = context.new_page()

    page.goto(portal.tenant_url(contoso) + "/accounts/login/")
    page.get_by_role("button", name="Sign in with Microsoft").click()
    page.get_by_role("button", name="Sign in as Nestor Wilke").click()

    expect(page.get_by_role("heading", name="You could not be signed in")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        "Your account has no role in this portal. Ask an administrator to assign you one of "
        "the portal's app roles in Microsoft Entra ID."
    )
    page.goto(portal.tenant_url(contoso) + "/settings/security-extensions/api-tokens/")
    expect(page).to_have_url(
        f"{portal.tenant_url(contoso)}/accounts/login/?next=/settings/security-extensions/api-tokens/"
    )
    context.close()
