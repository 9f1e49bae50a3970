"""Settings > Security extensions > SIEM agents, and how these kinds of token stay off the
API tokens page and API."""

import pytest

from accounts.roles import Role
from extensions.models import SiemAgent
from extensions.services import log_collector_create, siem_agent_create
from security.models import DataSource
from tests.factories import make_user
from tests.pages import once
from tokens.models import ApiToken, Kind

PAGE = "/settings/security-extensions/siem-agents/"
HOST = "contoso.us2.portal.test"


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def test_adding_an_agent_shows_its_token_once(admin, admin_user):
    shown = admin.post(
        f"{PAGE}new/",
        once(
            {
                "name": "Sentinel",
                "output_format": "cef",
                "send_alerts": "on",
                "send_activities": "on",
            }
        ),
        HTTP_HOST=HOST,
    )
    listed = admin.get(PAGE, HTTP_HOST=HOST).content.decode()

    value = shown.context["value"]
    assert value.startswith("mdasie")
    assert value in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert "https://contoso.us2.portal.test/api/v1/siem/events/" in shown.content.decode()
    agent = SiemAgent.objects.get()
    assert (agent.name, agent.output_format, agent.send_alerts, agent.send_activities) == (
        "Sentinel",
        "cef",
        True,
        True,
    )
    assert agent.token.user == admin_user
    assert agent.token.kind == Kind.SIEM
    assert value not in listed
    assert f"…{value[-4:]}" in listed
    assert "Never connected" in listed


@pytest.mark.parametrize(
    ("form", "error"),
    [
        (
            {"name": "  ", "output_format": "cef", "send_alerts": "on"},
            "Enter a name of 1 to 80 characters.",
        ),
        ({"name": "A", "output_format": "xml", "send_alerts": "on"}, "Select a valid choice."),
        ({"name": "A", "output_format": "json"}, "Choose at least one event type."),
        (
            {"name": "taken", "output_format": "json", "send_alerts": "on"},
            "&#x27;taken&#x27; is already taken in this tenant.",
        ),
    ],
)
def test_agent_form_errors_are_shown_and_nothing_is_made(admin, admin_user, form, error):
    siem_agent_create(
        user=admin_user, name="Taken", output_format="cef", send_alerts=True, send_activities=False
    )

    response = admin.post(f"{PAGE}new/", once(form), HTTP_HOST=HOST)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert SiemAgent.objects.count() == 1
    assert ApiToken.objects.filter(kind=Kind.SIEM).count() == 1


def test_edit_regenerate_and_delete_from_the_page(admin, admin_user):
    agent, old = siem_agent_create(
        user=admin_user, name="QRadar", output_format="cef", send_alerts=True, send_activities=True
    )

    admin.post(
        f"{PAGE}{agent.pk}/edit/",
        {"name": "QRadar EU", "output_format": "json", "send_alerts": "on"},
        HTTP_HOST=HOST,
    )
    agent.refresh_from_db()
    regenerated = admin.post(f"{PAGE}{agent.pk}/regenerate/", HTTP_HOST=HOST)
    new = regenerated.context["value"]
    confirm = admin.get(f"{PAGE}{agent.pk}/delete/", HTTP_HOST=HOST)
    deleted = admin.post(f"{PAGE}{agent.pk}/delete/", HTTP_HOST=HOST)

    assert (agent.name, agent.output_format, agent.send_activities) == ("QRadar EU", "json", False)
    assert new != old
    assert new in regenerated.content.decode()
    assert "Delete SIEM agent QRadar EU?" in confirm.content.decode()
    assert deleted.status_code == 302
    assert not SiemAgent.objects.exists()
    assert ApiToken.objects.filter(kind=Kind.SIEM, revoked_at__isnull=True).count() == 0


@pytest.mark.parametrize("role", [r for r in Role if r != Role.GLOBAL_ADMIN], ids=lambda r: r.value)
def test_only_full_admins_have_the_siem_page(client, tenant, role):
    client.force_login(make_user(tenant, role))

    assert client.get(PAGE, HTTP_HOST=HOST).status_code == 403
    assert (
        client.post(
            f"{PAGE}new/",
            {"name": "x", "output_format": "cef", "send_alerts": "on"},
            HTTP_HOST=HOST,
        ).status_code
        == 403
    )
    assert not SiemAgent.objects.exists()


def test_another_tenants_agent_is_not_found(admin, other_tenant):
    theirs, _ = siem_agent_create(
        user=make_user(other_tenant, Role.GLOBAL_ADMIN),
        name="Theirs",
        output_format="cef",
        send_alerts=True,
        send_activities=True,
    )

    assert admin.get(f"{PAGE}{theirs.pk}/edit/", HTTP_HOST=HOST).status_code == 404
    assert admin.post(f"{PAGE}{theirs.pk}/delete/", HTTP_HOST=HOST).status_code == 404
    assert SiemAgent.objects.filter(pk=theirs.pk).exists()


def test_siem_and_collector_tokens_stay_off_the_api_tokens_page_and_api(
    admin, admin_user, api_client, tenant
):
    agent, _ = siem_agent_create(
        user=admin_user,
        name="Sentinel",
        output_format="cef",
        send_alerts=True,
        send_activities=True,
    )
    source = DataSource.objects.create(tenant=tenant, name="Proxy", log_format="SQUID")
    collector, _ = log_collector_create(user=admin_user, name="Branch", data_sources=[source])
    api_client.force_login(admin_user)

    page = admin.get("/settings/security-extensions/api-tokens/", HTTP_HOST=HOST)
    listed = api_client.get("/api/v1/tokens/").json()
    revoke_page = admin.post(
        f"/settings/security-extensions/api-tokens/{agent.token.pk}/revoke/", HTTP_HOST=HOST
    )
    revoke_api = api_client.post(f"/api/v1/tokens/{collector.token.pk}/revoke/")

    assert page.context["page_obj"].paginator.count == 0
    assert "SIEM agent: Sentinel" not in page.content.decode()
    assert listed["count"] == 0
    # The page answers as for a token that no longer exists; the API with a 404.
    assert revoke_page.status_code == 302
    assert revoke_api.status_code == 404
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 2


def test_the_django_admin_lists_every_kind_with_a_filter_by_kind(admin_user, tenant):
    from django.test import Client

    siem_agent_create(
        user=admin_user,
        name="Sentinel",
        output_format="cef",
        send_alerts=True,
        send_activities=True,
    )
    source = DataSource.objects.create(tenant=tenant, name="Proxy", log_format="SQUID")
    log_collector_create(user=admin_user, name="Branch", data_sources=[source])
    staff = Client()
    staff.force_login(make_user(None, username="ops", is_staff=True, is_superuser=True))

    everything = staff.get("/admin/tokens/apitoken/").content.decode()
    siem_only = staff.get("/admin/tokens/apitoken/?kind__exact=siem").content.decode()

    assert "SIEM agent: Sentinel" in everything
    assert "Log collector: Branch" in everything
    assert "SIEM agent: Sentinel" in siem_only
    assert "Log collector: Branch" not in siem_only


def test_every_form_puts_its_action_before_cancel(admin, admin_user):
    """One order in every dialog and form of the portal: the action, then Cancel (as the
    Generate dialog has it)."""
    import re

    agent, _ = siem_agent_create(
        user=admin_user,
        name="Sentinel",
        output_format="cef",
        send_alerts=True,
        send_activities=False,
    )
    pages = [
        f"{PAGE}new/",
        f"{PAGE}{agent.pk}/edit/",
        f"{PAGE}{agent.pk}/delete/",
        "/settings/cloud-discovery/log-collectors/new/",
    ]

    for path in pages:
        html = admin.get(path, HTTP_HOST=HOST).content.decode()
        actions = re.search(r'<div class="actions">(.*?)</div>', html, re.S).group(1)
        assert actions.index("<button") < actions.index("Cancel"), path
