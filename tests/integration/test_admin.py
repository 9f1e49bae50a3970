import pytest

from tests.factories import make_token, make_user
from tokens import keys
from tokens.models import ApiToken


@pytest.fixture
def staff_client(client, db):
    """The Django admin as a platform operator (a superuser outside any tenant)."""
    staff = make_user(None, is_staff=True, is_superuser=True, username="platform-admin")
    client.force_login(staff)
    client.staff = staff
    return client


def test_admin_generates_through_the_service_and_shows_the_value_once(staff_client, reader):
    response = staff_client.post(
        "/admin/tokens/apitoken/add/", {"user": reader.pk, "kind": "api", "name": " From admin "}
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"].split(", ")
    token = ApiToken.objects.get()
    value = response.context["value"]
    assert keys.digest(value) == token.digest
    assert value in response.content.decode()
    assert (token.name, token.tenant, token.user) == ("From admin", reader.tenant, reader)
    change_page = staff_client.get(f"/admin/tokens/apitoken/{token.pk}/change/").content.decode()
    assert value not in change_page
    assert token.digest not in change_page


def test_admin_add_refuses_a_bad_name_and_writes_nothing(staff_client, reader):
    response = staff_client.post(
        "/admin/tokens/apitoken/add/", {"user": reader.pk, "kind": "api", "name": "x" * 101}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "Ensure this value has at most 100 characters (it has 101)."
    ]
    assert ApiToken.objects.count() == 0


def test_digest_is_not_a_form_field_and_tokens_cannot_be_deleted(staff_client, reader):
    token, _ = make_token(reader)

    page = staff_client.get(f"/admin/tokens/apitoken/{token.pk}/change/")
    delete = staff_client.post(f"/admin/tokens/apitoken/{token.pk}/delete/", {"post": "yes"})

    assert "digest" not in page.context["adminform"].form.fields
    assert delete.status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_admin_action_revokes_selected_tokens(staff_client, reader, tenant):
    first, _ = make_token(reader, name="first")
    second, _ = make_token(reader, name="second")
    make_token(make_user(tenant), name="kept")

    response = staff_client.post(
        "/admin/tokens/apitoken/",
        {"action": "revoke_selected", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert response.status_code == 200
    revoked = set(
        ApiToken.objects.filter(revoked_at__isnull=False).values_list("name", "revoked_by")
    )
    assert revoked == {("first", staff_client.staff.pk), ("second", staff_client.staff.pk)}
    assert "Revoked 2 token(s)." in response.content.decode()
