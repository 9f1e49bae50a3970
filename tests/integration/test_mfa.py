"""TOTP for local accounts (allauth's MFA): the break-glass admin's second factor."""

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.test import Client

from tests.integration.test_sign_in import sign_in

PASSWORD = "correct-horse-battery-9"


def current_code(secret: str) -> str:
    import time

    from allauth.mfa import app_settings

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def test_a_user_sets_up_totp_from_the_account_menu(client, admin_user):
    sign_in(client, admin_user.username, PASSWORD)
    portal = client.get("/settings/security-extensions/api-tokens/").content.decode()
    assert 'href="/accounts/2fa/"' in portal

    # Turning on a second factor asks for the password again first.
    asked = client.get("/accounts/2fa/totp/activate/")
    assert (
        asked["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    )
    client.post(asked["Location"], {"password": PASSWORD})
    form = client.get("/accounts/2fa/totp/activate/")
    secret = form.context["form"].secret
    activated = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})

    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=admin_user, type=Authenticator.Type.TOTP).exists()


def test_with_totp_a_password_alone_does_not_sign_in(admin_user):
    secret = generate_totp_secret()
    TOTP.activate(admin_user, secret)
    client = Client()

    after_password = sign_in(client, admin_user.username, PASSWORD)
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    still_out = client.get("/settings/security-extensions/api-tokens/")
    right = client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})

    assert after_password["Location"] == "/accounts/2fa/authenticate/"
    assert wrong.status_code == 200
    assert wrong.context["form"].errors == {"code": ["Incorrect code."]}
    assert still_out.status_code == 302
    assert still_out["Location"].startswith("/accounts/login/")
    assert right.status_code == 302
    assert client.get("/settings/security-extensions/api-tokens/").status_code == 200


def test_the_sign_in_page_limits_failed_attempts(client, admin_user):
    for _ in range(5):
        assert sign_in(client, admin_user.username, "wrong-password-123").status_code == 200

    blocked = sign_in(client, admin_user.username, PASSWORD)

    assert blocked.status_code == 200
    assert blocked.context["form"].non_field_errors() == [
        "Too many failed login attempts. Try again later."
    ]
    assert "_auth_user_id" not in client.session


def test_allauths_pages_use_the_portals_buttons(client, admin_user):
    """The re-authentication and second-factor pages in the portal's style: the main action
    primary, the way out plain."""
    sign_in(client, admin_user.username, PASSWORD)

    html = client.get("/accounts/reauthenticate/?next=/").content.decode()

    assert '<button class="button primary" type="submit">' in html
