"""The least-privilege pages answer only the people they are for, and their forms say what
is wrong (the browser tests walk the happy paths: tests/browser/test_least_privilege.py)."""

from datetime import timedelta

from django.utils import timezone

from accounts.roles import Role
from tests.factories import make_token, make_user
from tokens.models import ApiToken, TokenPolicy
from tokens.services import token_generate

PAGE = "/settings/security-extensions/api-tokens/"


def test_someone_else_reaches_neither_the_allow_list_nor_the_narrowing(client, reader, tenant):
    other, _ = make_token(make_user(tenant, Role.SECURITY_OPERATOR))
    client.force_login(reader)

    pages = [
        client.get(f"{PAGE}{other.pk}/allow-list/"),
        client.post(f"{PAGE}{other.pk}/allow-list/", {"allowed_ips": "10.0.0.0/8"}),
        client.get(f"{PAGE}{other.pk}/narrow/"),
        client.post(f"{PAGE}{other.pk}/narrow/", {"scopes": ["Investigation.read"]}),
    ]

    assert [page.status_code for page in pages] == [404, 404, 404, 404]
    assert ApiToken.objects.get(pk=other.pk).allowed_ips is None


def test_only_full_admins_see_unused_capabilities_and_the_inventory(client, reader, admin_user):
    client.force_login(reader)
    refused = [client.get(f"{PAGE}unused-capabilities/"), client.get(f"{PAGE}inventory.json")]
    table = client.get(PAGE).content.decode()
    client.force_login(admin_user)
    bad_format = client.get(f"{PAGE}inventory.xml")
    admins_table = client.get(PAGE).content.decode()

    assert [page.status_code for page in refused] == [403, 403]
    assert "Download inventory" not in table
    assert "Unused capabilities" not in table
    assert "Download inventory (CSV)" in admins_table
    assert bad_format.status_code == 404


def test_the_policy_refusal_is_a_form_error_in_the_generate_dialog(client, admin_user):
    TokenPolicy.objects.create(tenant=admin_user.tenant, manage_needs_allowlist=True)
    client.force_login(admin_user)

    response = client.post(f"{PAGE}new/", {"name": "Open", "submission": "k" * 32})

    assert response.status_code == 400
    assert (
        response.context["form"]
        .errors["allowed_ips"][0]
        .startswith(
            "This tenant's token policy requires an allow-list for a token that can change data"
        )
    )
    assert "This tenant's token policy requires them" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_widening_on_the_narrow_page_is_refused(client, admin_user):
    token, _ = token_generate(user=admin_user, name="One", scopes=["Investigation.read"])
    client.force_login(admin_user)

    response = client.post(f"{PAGE}{token.pk}/narrow/", {"scopes": ["Settings.manage"]})

    assert response.status_code == 403
    assert "narrowing never widens a token" in response.content.decode()
    assert ApiToken.objects.get(pk=token.pk).scopes == ["Investigation.read"]


def test_a_token_that_used_nothing_offers_no_narrowing_but_says_why(client, admin_user):
    token, _ = token_generate(
        user=admin_user, name="Idle", created_at=timezone.now() - timedelta(days=40)
    )
    client.force_login(admin_user)

    page = client.get(f"{PAGE}{token.pk}/narrow/").content.decode()

    assert "Nothing to narrow: It used none of its capabilities in 30 days: revoke it." in page
    assert "Narrow the token" not in page


def test_a_siem_agent_and_a_log_collector_get_an_allow_list_when_added(client, admin_user):
    from extensions.models import LogCollector, SiemAgent
    from extensions.services import data_source_create

    source = data_source_create(
        tenant=admin_user.tenant, name="Proxy", log_format="SQUID", receiver_type="ftp"
    )
    client.force_login(admin_user)

    agent = client.post(
        "/settings/security-extensions/siem-agents/new/",
        {
            "submission": "a" * 32,
            "name": "Sentinel",
            "output_format": "cef",
            "send_alerts": "on",
            "allowed_ips": "203.0.113.0/24",
        },
    )
    bad = client.post(
        "/settings/cloud-discovery/log-collectors/new/",
        {"submission": "b" * 32, "name": "HQ", "data_sources": [source.pk], "allowed_ips": "x"},
    )
    collector = client.post(
        "/settings/cloud-discovery/log-collectors/new/",
        {
            "submission": "c" * 32,
            "name": "HQ",
            "data_sources": [source.pk],
            "allowed_ips": "198.51.100.7",
        },
    )

    assert (agent.status_code, collector.status_code, bad.status_code) == (200, 200, 200)
    assert SiemAgent.objects.get().token.allowed_ips == ["203.0.113.0/24"]
    assert LogCollector.objects.get().token.allowed_ips == ["198.51.100.7"]
    assert bad.context["form"].errors["allowed_ips"] == [
        "'x' is not an IP address or a CIDR range."
    ]
