"""user_deprovision and its reverse, from the admin, the command and the API: sessions end,
sign-in is refused, tokens are kept but refused with a 403 until the user is restored."""

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_deprovision, user_reprovision
from tests.factories import make_token, make_user
from tests.integration.test_sign_in import sign_in

HOST = "contoso.us2.portal.test"
PAGE = "/settings/security-extensions/api-tokens/"


@pytest.fixture
def operator(tenant):
    return make_user(tenant, Role.SECURITY_OPERATOR, username="olga@contoso.com")


def signed_in(user) -> Client:
    """A browser session opened through the sign-in form, as a person would."""
    client = Client()
    assert sign_in(client, user.username, "correct-horse-battery-9", host=HOST).status_code == 302
    assert client.get(PAGE, HTTP_HOST=HOST).status_code == 200
    return client


def test_deprovisioning_ends_every_session_and_refuses_tokens(operator, api_client):
    laptop, phone = signed_in(operator), signed_in(operator)
    keys = [laptop.session.session_key, phone.session.session_key]
    _, value = make_token(operator)

    assert user_deprovision(user=operator) is True

    assert not Session.objects.filter(session_key__in=keys).exists()
    user_reprovision(user=operator)  # the ended sessions stay ended
    for session in (laptop, phone):
        response = session.get(PAGE, HTTP_HOST=HOST)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    user_deprovision(user=operator)
    refused = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}")
    assert refused.status_code == 403
    assert operator.tokens.live().count() == 1
    assert sign_in(Client(), operator.username, "correct-horse-battery-9").status_code == 200


def test_deprovisioning_twice_changes_nothing_the_second_time(operator):
    user_deprovision(user=operator)
    first = User.objects.get(pk=operator.pk).deprovisioned_at

    assert user_deprovision(user=operator) is False
    assert User.objects.get(pk=operator.pk).deprovisioned_at == first


def test_restoring_lets_the_user_and_their_tokens_back_in(operator, api_client):
    _, value = make_token(operator)
    user_deprovision(user=operator)

    assert user_reprovision(user=operator) is True

    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}").status_code == 200
    assert sign_in(Client(), operator.username, "correct-horse-battery-9").status_code == 302
    assert user_reprovision(user=operator) is False


def test_the_management_command_deprovisions_and_restores(operator, capsys):
    call_command("deprovision_user", "OLGA@contoso.com")
    operator.refresh_from_db()
    assert operator.deprovisioned_at is not None
    assert capsys.readouterr().out == "olga@contoso.com: deprovisioned.\n"

    call_command("deprovision_user", "olga@contoso.com", "--undo")
    operator.refresh_from_db()
    assert operator.deprovisioned_at is None
    assert capsys.readouterr().out == "olga@contoso.com: restored.\n"


def test_the_admin_actions_deprovision_and_restore(operator, db):
    staff = make_user(None, username="ops", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)

    admin.post(
        "/admin/accounts/user/",
        {"action": "deprovision", "_selected_action": [operator.pk, staff.pk]},
    )
    operator.refresh_from_db()
    staff.refresh_from_db()
    assert operator.deprovisioned_at is not None
    assert staff.deprovisioned_at is None  # never yourself

    admin.post(
        "/admin/accounts/user/", {"action": "reprovision", "_selected_action": [operator.pk]}
    )
    operator.refresh_from_db()
    assert operator.deprovisioned_at is None


def test_a_full_admin_deprovisions_and_restores_through_the_api(api_client, admin_user, operator):
    api_client.force_authenticate(admin_user)

    gone = api_client.post(f"/api/v1/users/{operator.pk}/deprovision/")
    back = api_client.post(f"/api/v1/users/{operator.pk}/reprovision/")

    assert gone.status_code == 200
    assert gone.json()["deprovisioned"] is True
    assert back.json()["deprovisioned"] is False
    assert back.json()["deprovisioned_at"] is None


def test_the_users_api_lists_the_tenants_users_only(api_client, admin_user, operator, other_tenant):
    make_user(other_tenant, username="zed@fabrikam.com")
    _, value = make_token(admin_user)

    response = api_client.get("/api/v1/users/", HTTP_AUTHORIZATION=f"Token {value}")

    assert [u["username"] for u in response.json()["results"]] == [
        "admin@contoso.com",
        "olga@contoso.com",
    ]


@pytest.mark.parametrize(
    ("user_id", "status", "detail"),
    [
        ("self", 403, "You cannot deprovision yourself."),
        ("other-tenant", 404, "User not found."),
        ("abc", 404, "User not found."),
        ("99999999999999999999999", 404, "User not found."),
    ],
)
def test_bad_deprovision_requests(api_client, admin_user, other_tenant, user_id, status, detail):
    ids = {"self": admin_user.pk, "other-tenant": make_user(other_tenant).pk}
    api_client.force_authenticate(admin_user)

    response = api_client.post(f"/api/v1/users/{ids.get(user_id, user_id)}/deprovision/")

    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert not User.objects.filter(deprovisioned_at__isnull=False).exists()


@pytest.mark.parametrize("role", [r for r in Role if r != Role.GLOBAL_ADMIN], ids=lambda r: r.value)
def test_only_full_admins_may_deprovision(api_client, tenant, operator, role):
    caller = make_user(tenant, role)
    _, value = make_token(caller)

    response = api_client.post(
        f"/api/v1/users/{operator.pk}/deprovision/", HTTP_AUTHORIZATION=f"Token {value}"
    )

    assert response.status_code == 403
    operator.refresh_from_db()
    assert operator.deprovisioned_at is None
