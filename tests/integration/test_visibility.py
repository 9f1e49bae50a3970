import pytest

from accounts.roles import Role
from tests.factories import make_token, make_user
from tokens.models import ApiToken, Kind
from tokens.services import token_revoke


@pytest.fixture
def tokens_of_everyone(tenant, other_tenant):
    """One API token per role in the tenant, plus tokens that must never be listed: SIEM and
    log collector kinds, a revoked token, another tenant's token."""
    owners = {role: make_user(tenant, role) for role in Role}
    for role, owner in owners.items():
        make_token(owner, name=f"{role.value} token")
    admin = owners[Role.GLOBAL_ADMIN]
    make_token(admin, name="siem agent", kind=Kind.SIEM)
    make_token(admin, name="log collector", kind=Kind.LOG_COLLECTOR)
    revoked, _ = make_token(admin, name="revoked")
    token_revoke(token=revoked, by=admin)
    make_token(make_user(other_tenant, Role.GLOBAL_ADMIN), name="fabrikam token")
    return owners


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_own_tokens_and_only_full_admins_see_all(
    api_client, tokens_of_everyone, role
):
    user = tokens_of_everyone[role]
    api_client.force_authenticate(user)

    listed = sorted(t["name"] for t in api_client.get("/api/v1/tokens/").json()["results"])
    selected = sorted(
        ApiToken.objects.listed_for(user, user.capabilities).values_list("name", flat=True)
    )

    if role == Role.GLOBAL_ADMIN:
        expected = sorted(f"{r.value} token" for r in Role)
    else:
        expected = [f"{role.value} token"]
    assert listed == expected
    assert selected == expected


def test_a_non_admin_cannot_read_or_revoke_anothers_token(api_client, admin_user, reader):
    admins_token, _ = make_token(admin_user, name="admin's")
    api_client.force_authenticate(reader)

    fetched = api_client.get(f"/api/v1/tokens/{admins_token.pk}/")
    revoked = api_client.post(f"/api/v1/tokens/{admins_token.pk}/revoke/")
    deleted = api_client.delete(f"/api/v1/tokens/{admins_token.pk}/")

    assert [fetched.status_code, revoked.status_code, deleted.status_code] == [404, 404, 404]
    assert revoked.json() == {"detail": "Token not found."}
    admins_token.refresh_from_db()
    assert admins_token.revoked_at is None


def test_a_full_admin_revokes_anothers_token(api_client, admin_user, reader):
    readers_token, _ = make_token(reader, name="reader's")
    api_client.force_authenticate(admin_user)

    response = api_client.post(f"/api/v1/tokens/{readers_token.pk}/revoke/")

    assert response.status_code == 204
    readers_token.refresh_from_db()
    assert readers_token.revoked_by == admin_user
    assert readers_token.revoked_at is not None


def test_a_full_admin_cannot_reach_another_tenants_token(api_client, admin_user, other_tenant):
    theirs, _ = make_token(make_user(other_tenant, Role.SECURITY_READER))
    api_client.force_authenticate(admin_user)

    assert api_client.get(f"/api/v1/tokens/{theirs.pk}/").status_code == 404
    assert api_client.delete(f"/api/v1/tokens/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_siem_and_log_collector_tokens_cannot_be_revoked_here(api_client, admin_user):
    siem, _ = make_token(admin_user, name="siem", kind=Kind.SIEM)
    api_client.force_authenticate(admin_user)

    assert api_client.delete(f"/api/v1/tokens/{siem.pk}/").status_code == 404
    siem.refresh_from_db()
    assert siem.revoked_at is None
