import pytest
from django.utils import timezone

from tests.factories import make_user


def sign_in(client, username, password, host="testserver"):
    return client.post(
        "/accounts/login/", {"login": username, "password": password}, HTTP_HOST=host
    )


def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_local_sign_in_opens_a_session(client, reader):
    response = sign_in(client, "reader@contoso.com", "correct-horse-battery-9")

    assert response.status_code == 302
    assert client.get("/api/v1/me/", HTTP_ACCEPT="application/json").json()["authentication"] == {
        "method": "session"
    }


@pytest.mark.parametrize(
    ("host", "signs_in"),
    [("contoso.us2.portal.test", True), ("fabrikam.eu2.portal.test", False), ("portal.test", True)],
)
def test_sign_in_on_a_custom_url_only_for_that_tenants_users(
    client, reader, other_tenant, host, signs_in
):
    response = sign_in(client, "reader@contoso.com", "correct-horse-battery-9", host=host)

    assert (response.status_code == 302) is signs_in
    assert ("_auth_user_id" in client.session) is signs_in


def test_another_tenants_session_counts_as_signed_out_on_a_custom_url(client, reader, other_tenant):
    client.force_login(reader)

    page = "/settings/security-extensions/api-tokens/"
    own = client.get(page, HTTP_HOST="contoso.us2.portal.test")
    theirs = client.get(page, HTTP_HOST="fabrikam.eu2.portal.test")
    api = client.get(
        "/api/v1/tokens/", HTTP_HOST="fabrikam.eu2.portal.test", HTTP_ACCEPT="application/json"
    )

    assert own.status_code == 200
    assert theirs.status_code == 302
    assert theirs["Location"].startswith("/accounts/login/")
    assert api.status_code == 401


def test_a_deprovisioned_user_cannot_sign_in(client, tenant):
    make_user(tenant, username="gone@contoso.com", deprovisioned_at=timezone.now())

    response = sign_in(client, "gone@contoso.com", "correct-horse-battery-9")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_there_is_no_public_sign_up(client, db):
    response = client.get("/accounts/signup/")

    assert response.status_code == 200
    assert b"Sign Up Closed" in response.content


def test_pages_at_an_unknown_tenant_address_are_404(client, tenant):
    unknown = client.get("/accounts/login/", HTTP_HOST="nobody.us2.portal.test")
    known = client.get("/accounts/login/", HTTP_HOST="contoso.us2.portal.test")

    assert unknown.status_code == 404
    assert known.status_code == 200


def test_local_passwords_are_never_reset_by_email(client, admin_user, mailoutbox):
    page = client.get("/accounts/password/reset/")
    attempt = client.post("/accounts/password/reset/", {"email": admin_user.email})

    assert page.status_code == 200
    assert "manage.py changepassword" in page.content.decode()
    assert attempt.status_code == 405
    assert mailoutbox == []
