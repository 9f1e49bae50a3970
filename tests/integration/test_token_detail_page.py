"""A token's page on the portal: who generated it and when, its status, where it was last
used from, its last addresses, a server-drawn chart of its requests per day with the
numbers beside it, and its events newest first; seen as the tokens table is."""

import re

from django.core.cache import caches
from django.utils import timezone

from accounts.roles import Role
from tests.factories import make_tenant, make_token, make_user
from tokens.services import token_revoke

PAGE = "/settings/security-extensions/api-tokens/"


def use(api_client, value, ip, times=1):
    for _ in range(times):
        api_client.get(
            "/api/v1/me/",
            HTTP_AUTHORIZATION=f"Token {value}",
            REMOTE_ADDR=ip,
            HTTP_USER_AGENT="Nightly/2.0",
        )


def test_the_page_shows_usage_chart_numbers_and_events(client, api_client, admin_user):
    caches["default"].clear()
    token, value = make_token(admin_user, name="Nightly export")
    use(api_client, value, "203.0.113.8", times=3)
    token_revoke(token=token, by=admin_user)
    client.force_login(admin_user)

    page = client.get(f"{PAGE}{token.pk}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert "Nightly export" in html
    assert "Revoked" in html
    assert "from <code>203.0.113.8</code> with <code>Nightly/2.0</code>" in html
    # 30 bars, today's the tallest, each with its number; the same numbers as a table.
    bars = re.findall(r'<rect [^>]*height="([\d.]+)" class="bar"><title>([^<]+)</title>', html)
    today = timezone.now().date().isoformat()
    assert len(bars) == 30
    assert bars[-1] == ("100.0", f"{today}: 3 requests")
    assert {height for height, _ in bars[:-1]} == {"0.0"}
    assert "3 requests in 30 days; the busiest day had 3." in html
    assert f"<tr><td>{today}</td><td>3</td></tr>" in html
    events = re.findall(r"<tr>\s*<td><time[^>]*>[^<]+</time></td>\s*<td>([^<]+)", html)
    assert [e.strip() for e in events] == ["Revoked", "First used", "Generated"]
    assert value not in html


def test_the_tokens_table_links_each_name_to_its_page(client, admin_user):
    token, _ = make_token(admin_user, name="Weekly report")
    client.force_login(admin_user)

    html = client.get(PAGE).content.decode()

    assert f'<a href="{PAGE}{token.pk}/">Weekly report</a>' in html


def test_visibility_follows_the_table(client, tenant, admin_user):
    reader = make_user(tenant, Role.SECURITY_READER)
    readers, _ = make_token(reader, name="Reader's")
    admins, _ = make_token(admin_user, name="Admin's")
    fabrikam = make_tenant(name="Fabrikam", slug="fabrikam", region="eu2")
    outsider, _ = make_token(make_user(fabrikam, Role.GLOBAL_ADMIN))

    client.force_login(reader)
    as_reader = [client.get(f"{PAGE}{t.pk}/").status_code for t in (readers, admins, outsider)]
    client.force_login(admin_user)
    as_admin = [client.get(f"{PAGE}{t.pk}/").status_code for t in (readers, admins, outsider)]

    assert as_reader == [200, 404, 404]
    assert as_admin == [200, 200, 404]
