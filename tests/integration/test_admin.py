import pytest

from accounts.roles import Role
from accounts.service_accounts import service_account_create
from accounts.services import user_deprovision
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


# --- every write through the services -----------------------------------------------------------


def test_a_scim_token_added_in_the_admin_replaces_the_tenants_live_one(staff_client, admin_user):
    from tokens.rotation import scim_token_rotate

    old, _ = scim_token_rotate(user=admin_user)

    response = staff_client.post(
        "/admin/tokens/apitoken/add/", {"user": admin_user.pk, "kind": "scim", "name": "x"}
    )

    assert response.status_code == 200
    live = ApiToken.objects.live().filter(tenant=admin_user.tenant, kind="scim")
    assert [token.digest for token in live] == [keys.digest(response.context["value"])]
    old.refresh_from_db()
    assert old.revoked_by == admin_user  # rotated by the issuer's service, as on the page


@pytest.mark.parametrize("kind", ["siem", "log_collector"])
def test_agent_and_collector_tokens_are_not_made_in_the_token_admin(staff_client, reader, kind):
    response = staff_client.post(
        "/admin/tokens/apitoken/add/", {"user": reader.pk, "kind": kind, "name": "Loose"}
    )

    assert response.status_code == 200
    assert "kind" in response.context["adminform"].form.errors
    assert ApiToken.objects.count() == 0


def test_the_admin_refuses_a_token_for_staff_or_a_deprovisioned_user(staff_client, reader):
    from django.utils import timezone

    reader.deprovisioned_at = timezone.now()
    reader.save()

    for user in (staff_client.staff, reader):
        response = staff_client.post(
            "/admin/tokens/apitoken/add/", {"user": user.pk, "kind": "api", "name": "No"}
        )
        assert response.status_code == 200
        assert response.context["adminform"].form.non_field_errors() == [
            "Only users of a tenant can generate tokens."
            if user.tenant_id is None
            else "Deprovisioned users cannot generate tokens."
        ]
    assert ApiToken.objects.count() == 0


def test_a_rename_in_the_admin_follows_the_services_rules(staff_client, reader):
    token, _ = make_token(reader, name="Before")
    url = f"/admin/tokens/apitoken/{token.pk}/change/"

    refused = staff_client.post(url, {"name": "bad\u202ename"})
    renamed = staff_client.post(url, {"name": "  After  "})

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["name"] == [
        "Token names cannot contain control or invisible characters."
    ]
    assert renamed.status_code == 302
    token.refresh_from_db()
    assert token.name == "After"


@pytest.fixture
def agent_and_collector(admin_user):
    from extensions.services import data_source_create, log_collector_create, siem_agent_create

    agent, _ = siem_agent_create(
        user=admin_user,
        name="Sentinel",
        output_format="cef",
        send_alerts=True,
        send_activities=False,
    )
    source = data_source_create(
        tenant=admin_user.tenant, name="Proxy", log_format="SQUID", receiver_type="ftp"
    )
    collector, _ = log_collector_create(user=admin_user, name="HQ", data_sources=[source])
    return agent, collector


@pytest.mark.parametrize("model", ["siemagent", "logcollector"])
def test_agents_and_collectors_cannot_be_added_or_changed_in_the_admin(
    staff_client, agent_and_collector, model, other_tenant
):
    agent, collector = agent_and_collector
    obj = agent if model == "siemagent" else collector

    add = staff_client.post(
        f"/admin/extensions/{model}/add/", {"name": "No token", "tenant": other_tenant.pk}
    )
    change = staff_client.post(f"/admin/extensions/{model}/{obj.pk}/change/", {"name": "Renamed"})
    view = staff_client.get(f"/admin/extensions/{model}/{obj.pk}/change/")

    assert (add.status_code, change.status_code, view.status_code) == (403, 403, 200)
    obj.refresh_from_db()
    assert obj.name in {"Sentinel", "HQ"}


@pytest.mark.parametrize("how", ["page", "action"])
def test_deleting_an_agent_or_collector_in_the_admin_revokes_its_token(
    staff_client, agent_and_collector, how
):
    from extensions.models import LogCollector, SiemAgent

    agent, collector = agent_and_collector
    tokens = [agent.token_id, collector.token_id]

    if how == "page":
        staff_client.post(f"/admin/extensions/siemagent/{agent.pk}/delete/", {"post": "yes"})
        staff_client.post(f"/admin/extensions/logcollector/{collector.pk}/delete/", {"post": "yes"})
    else:
        for model, obj in (("siemagent", agent), ("logcollector", collector)):
            staff_client.post(
                f"/admin/extensions/{model}/",
                {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
            )

    assert not SiemAgent.objects.exists()
    assert not LogCollector.objects.exists()
    assert set(ApiToken.objects.filter(pk__in=tokens).values_list("revoked_by", flat=True)) == {
        staff_client.staff.pk
    }


def test_a_tenant_added_in_the_admin_is_saved(staff_client):
    from accounts.models import Tenant

    response = staff_client.post(
        "/admin/accounts/tenant/add/", {"name": "Northwind", "slug": "northwind", "region": "eu"}
    )

    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="northwind")
    assert (tenant.name, tenant.region) == ("Northwind", "eu")


def test_a_user_added_in_the_admin_gets_a_hashed_password_through_the_service(staff_client, tenant):
    from accounts.models import User

    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "new.analyst@contoso.com",
            "password1": "a-Long-passphrase-2026",
            "password2": "a-Long-passphrase-2026",
            "usable_password": "true",
            "tenant": tenant.pk,
            "role": "security_reader",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="new.analyst@contoso.com")
    assert user.tenant == tenant
    assert user.check_password("a-Long-passphrase-2026")
    assert not user.password.startswith("a-Long")


@pytest.mark.parametrize(
    "path",
    ["/admin/accounts/tenant/{tenant}/delete/", "/admin/accounts/user/{user}/delete/"],
)
def test_tenants_and_users_are_not_deleted_in_the_admin(staff_client, reader, path):
    response = staff_client.get(path.format(tenant=reader.tenant_id, user=reader.pk))

    assert response.status_code == 403


def test_records_are_read_only_in_the_admin(staff_client, tenant):
    from security.models import Alert
    from tests.factories import make_alert

    alert = make_alert(tenant, title="Impossible travel")

    page = staff_client.get(f"/admin/security/alert/{alert.pk}/change/")
    changed = staff_client.post(f"/admin/security/alert/{alert.pk}/change/", {"title": "x"})
    added = staff_client.get("/admin/security/subnet/add/")

    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()  # shown, not a form field
    assert changed.status_code == 403
    assert added.status_code == 403
    assert Alert.objects.get(pk=alert.pk).title == "Impossible travel"


def test_the_admin_sets_and_changes_an_allow_list_through_the_service(staff_client, reader):
    from tokens.models import EventKind, TokenEvent

    added = staff_client.post(
        "/admin/tokens/apitoken/add/",
        {"user": reader.pk, "kind": "api", "name": "Fenced", "allowed": "203.0.113.0/24"},
    )
    token = ApiToken.objects.get()
    url = f"/admin/tokens/apitoken/{token.pk}/change/"
    refused = staff_client.post(url, {"name": "Fenced", "allowed": "10.0.0.1/8"})
    changed = staff_client.post(url, {"name": "Fenced", "allowed": "198.51.100.7\n2001:db8::/32"})

    assert added.status_code == 200
    assert refused.context["adminform"].form.errors["allowed"] == [
        "10.0.0.1/8 has its host part set: the range it starts is 10.0.0.0/8, or give the "
        "address alone."
    ]
    assert changed.status_code == 302
    token.refresh_from_db()
    assert token.allowed_ips == ["198.51.100.7", "2001:db8::/32"]
    assert TokenEvent.objects.get(kind=EventKind.CHANGED).detail == (
        "Allow-list: 203.0.113.0/24 → 198.51.100.7, 2001:db8::/32. The value is unchanged."
    )
    assert TokenEvent.objects.get(kind=EventKind.CHANGED).actor_label == "platform-admin"


def test_the_admin_follows_the_tenants_allow_list_rule(staff_client, admin_user):
    from tokens.models import TokenPolicy

    TokenPolicy.objects.create(tenant=admin_user.tenant, manage_needs_allowlist=True)

    response = staff_client.post(
        "/admin/tokens/apitoken/add/", {"user": admin_user.pk, "kind": "api", "name": "Open"}
    )

    assert response.status_code == 200
    assert (
        response.context["adminform"]
        .form.errors["allowed"][0]
        .startswith("This tenant's token policy requires an allow-list")
    )
    assert not ApiToken.objects.exists()


def test_the_admin_marks_service_accounts_and_their_custodians(staff_client, tenant, reader):
    account = service_account_create(
        tenant=tenant, name="soar-bot", role=Role.SECURITY_READER, custodians=[reader.pk]
    )
    user_deprovision(user=reader)

    listed = staff_client.get("/admin/accounts/user/?is_service_account__exact=1")
    page = staff_client.get(f"/admin/accounts/user/{account.pk}/change/")

    assert listed.status_code == 200
    assert "Service account (no custodian)" in listed.content.decode()
    assert "reader@contoso.com (deprovisioned)" in page.content.decode()
