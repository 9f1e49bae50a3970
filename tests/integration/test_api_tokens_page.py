"""The API tokens page as plain HTML forms (no JavaScript), and what the server guarantees."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from tests.factories import make_token, make_user
from tests.pages import once
from tokens import keys
from tokens.models import ApiToken, Kind

PAGE = "/settings/security-extensions/api-tokens/"
NEW = PAGE + "new/"


def row_names(response) -> list[str]:
    return [t.name for t in response.context["page_obj"]]


@pytest.fixture
def signed_in(client, admin_user):
    """A full admin's browser session on the tenant's custom URL."""
    client.force_login(admin_user)
    client.defaults["HTTP_HOST"] = "contoso.us2.portal.test"
    return client


def test_generating_without_javascript_shows_the_value_once(signed_in, admin_user):
    form = signed_in.get(NEW)
    key = form.context["form"]["submission"].value()  # what the browser sends back
    response = signed_in.post(NEW, {"name": "  Nightly export ", "submission": key})

    assert form.status_code == 200
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    value = response.context["value"]
    token = ApiToken.objects.get()
    assert keys.digest(value) == token.digest
    html = response.content.decode()
    assert f'data-testid="token-value">{value}</textarea>' in html
    assert "https://contoso.us2.portal.test" in html
    assert "Global administrator" in html
    assert (token.name, token.user) == ("Nightly export", admin_user)
    later = [signed_in.get(PAGE), signed_in.get(NEW), signed_in.get(PAGE + "?search=Nightly")]
    assert all(value not in r.content.decode() for r in later)
    assert row_names(later[2]) == ["Nightly export"]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "Enter a token name."),
        ("x" * 101, "Token names are at most 100 characters; this one has 101."),
        ("tab\there", "Token names cannot contain control or invisible characters."),
    ],
)
def test_a_bad_name_is_a_form_error_and_nothing_is_written(signed_in, name, error):
    response = signed_in.post(NEW, once({"name": name}))

    assert response.status_code == 400
    assert response.context["form"].errors == {"name": [error]}
    assert error in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_fetch_requests_get_only_the_part_they_replace(signed_in):
    headers = {"HTTP_X_REQUESTED_WITH": "fetch"}

    table = signed_in.get(PAGE, **headers).content.decode()
    bad = signed_in.post(NEW, once({"name": ""}), **headers)
    good = signed_in.post(NEW, once({"name": "Via dialog"}), **headers)

    assert "<html" not in table
    assert "No API tokens yet" in table
    assert bad.status_code == 400
    assert 'aria-invalid="true"' in bad.content.decode()
    assert good.status_code == 201
    assert "<html" not in good.content.decode()
    assert good.context["value"] in good.content.decode()


def test_revoking_without_javascript_confirms_with_the_name(signed_in, admin_user):
    token, value = make_token(admin_user, name="Old SOAR")
    url = f"{PAGE}{token.pk}/revoke/"

    confirm = signed_in.get(url)
    done = signed_in.post(url, follow=True)

    assert "Old SOAR" in confirm.content.decode()
    assert done.redirect_chain == [(PAGE, 302)]
    assert "The token “Old SOAR” was revoked." in done.content.decode()
    assert row_names(done) == []
    api = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}")
    assert api.status_code == 401


def test_revoke_redirects_only_within_the_portal(signed_in, admin_user):
    token, _ = make_token(admin_user)

    response = signed_in.post(f"{PAGE}{token.pk}/revoke/", {"next": "https://evil.example/"})

    assert response["Location"] == PAGE


def test_a_reader_cannot_revoke_an_admins_token(client, reader, admin_user):
    token, _ = make_token(admin_user, name="admin's")
    client.force_login(reader)

    page = client.get(f"{PAGE}{token.pk}/revoke/", follow=True)
    post = client.post(f"{PAGE}{token.pk}/revoke/", HTTP_X_REQUESTED_WITH="fetch")

    assert "That token no longer exists" in page.content.decode()
    assert post.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_forms_need_the_csrf_token(admin_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    token, _ = make_token(admin_user)

    generate = browser.post(NEW, once({"name": "forged"}))
    revoke = browser.post(f"{PAGE}{token.pk}/revoke/")

    assert [generate.status_code, revoke.status_code] == [403, 403]
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_the_table_lists_what_the_user_may_see_and_marks_deprovisioned_owners(
    client, tenant, admin_user, reader
):
    make_token(admin_user, name="admin token")
    make_token(admin_user, name="siem", kind=Kind.SIEM)
    make_token(admin_user, name="collector", kind=Kind.LOG_COLLECTOR)
    gone = make_user(tenant, Role.SECURITY_OPERATOR, first_name="Gone", last_name="User")
    make_token(gone, name="orphan")
    gone.deprovisioned_at = timezone.now()
    gone.save()
    make_token(reader, name="reader token")

    client.force_login(admin_user)
    admin_view = client.get(PAGE)
    client.force_login(reader)
    reader_view = client.get(PAGE)

    assert sorted(row_names(admin_view)) == ["admin token", "orphan", "reader token"]
    assert row_names(reader_view) == ["reader token"]
    html = admin_view.content.decode()
    assert "1 token belongs to deprovisioned users" in html
    assert html.count("Owner deprovisioned") == 1
    assert "Owner deprovisioned" not in reader_view.content.decode()


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("", ["used today", "never used", "used long ago"]),
        ("?status=generated", ["never used"]),
        ("?status=active", ["used today"]),
        ("?status=inactive", ["used long ago"]),
        ("?ordering=name", ["never used", "used long ago", "used today"]),
        ("?ordering=-name", ["used today", "used long ago", "never used"]),
        ("?ordering=status", ["never used", "used today", "used long ago"]),
        ("?ordering=-status", ["used long ago", "used today", "never used"]),
        ("?ordering=last_used", ["never used", "used long ago", "used today"]),
        ("?ordering=-last_used", ["used today", "used long ago", "never used"]),
        ("?search=LONG", ["used long ago"]),
        ("?status=bogus", ["used today", "never used", "used long ago"]),
    ],
)
def test_filter_search_and_sort_come_from_the_url(client, admin_user, query, names):
    now = timezone.now()
    for name, created_days_ago, used in [
        ("used long ago", 30, now - timezone.timedelta(days=20)),
        ("never used", 20, None),
        ("used today", 10, now),
    ]:
        token, _ = make_token(admin_user, name=name)
        ApiToken.objects.filter(pk=token.pk).update(
            created_at=now - timezone.timedelta(days=created_days_ago), last_used_at=used
        )
    client.force_login(admin_user)

    response = client.get(PAGE + query)

    assert response.status_code == 200
    assert row_names(response) == names


def test_a_bad_filter_value_is_said_not_a_500(client, admin_user):
    client.force_login(admin_user)

    response = client.get(PAGE + "?status=bogus&ordering=digest&page=zz")

    assert response.status_code == 200
    assert "Select a valid choice. bogus is not one of the available choices." in (
        response.content.decode()
    )


def test_pages_of_fifty_with_the_total(client, admin_user):
    for n in range(120):
        make_token(admin_user, name=f"t{n:03d}")
    client.force_login(admin_user)

    first = client.get(PAGE)
    last = client.get(PAGE + "?page=3")

    assert len(row_names(first)) == 50
    assert len(row_names(last)) == 20
    assert re.search(r"120 tokens · showing 1\u201350", first.content.decode())
    assert "Page 3 of 3" in last.content.decode()


def test_the_first_page_costs_the_same_queries_with_few_or_many_tokens(client, tenant, admin_user):
    client.force_login(admin_user)
    owners = [make_user(tenant) for _ in range(3)]
    for owner in owners:
        make_token(owner)
    with CaptureQueriesContext(connection) as few:
        client.get(PAGE)
    for n in range(80):
        make_token(owners[n % 3], name=f"more {n}")
    with CaptureQueriesContext(connection) as many:
        client.get(PAGE)

    assert len(few) == len(many)
    # 8, and for a full admin: the approval queue (whose length the navigation's count
    # reads) and the service accounts the Generate dialog offers.
    assert len(many) <= 10


def test_empty_state_says_what_to_do(client, reader):
    client.force_login(reader)

    html = client.get(PAGE).content.decode()

    assert "No API tokens yet" in html
    assert "Generate a token to let a script, SIEM or SOAR tool call the API" in html


def test_about_page_shows_the_tenants_addresses(client, tenant, reader):
    client.force_login(reader)

    html = client.get(
        "/settings/system/about/", HTTP_HOST="contoso.us2.portal.test"
    ).content.decode()

    assert "https://contoso.us2.portal.test" in html
    assert "https://portal.test" in html
    assert str(tenant.public_id) in html
    assert "East US 2" in html
    assert "US2" in html


def test_users_outside_a_tenant_have_no_tokens_page(client, db):
    client.force_login(make_user(None, is_staff=True))

    assert client.get(PAGE).status_code == 404


def test_past_the_count_bound_the_page_says_more_than(client, admin_user, monkeypatch):
    monkeypatch.setattr("core.pagination.COUNT_BOUND", 60)
    for n in range(61):
        make_token(admin_user, name=f"t{n:03d}")
    client.force_login(admin_user)

    first = client.get(PAGE).content.decode()
    last = client.get(PAGE + "?page=2").content.decode()

    assert "More than 60 tokens · showing 1–50" in first
    assert "Page 1 of 2+" in first
    assert "These are the first 60. Reverse the sort, or search and filter" in last


def test_same_names_sort_oldest_first_a_to_z_and_newest_first_z_to_a(client, admin_user):
    """Ties follow the index that serves the sort (tokens.filters.TokenOrdering)."""
    now = timezone.now()
    older, _ = make_token(admin_user, name="Backup")
    newer, _ = make_token(admin_user, name="Backup")
    ApiToken.objects.filter(pk=older.pk).update(created_at=now - timezone.timedelta(days=2))
    make_token(admin_user, name="Archive")
    client.force_login(admin_user)

    def ids(query):
        return [row.pk for row in client.get(PAGE + query).context["page_obj"].object_list]

    archive = ApiToken.objects.get(name="Archive").pk
    assert ids("?ordering=name") == [archive, older.pk, newer.pk]
    assert ids("?ordering=-name") == [newer.pk, older.pk, archive]


def test_search_finds_tokens_by_their_owners_names(client, admin_user, tenant):
    priya = make_user(tenant, Role.SECURITY_OPERATOR, first_name="Priya", last_name="Raman")
    make_token(priya, name="nightly export")
    make_token(admin_user, name="mine")
    client.force_login(admin_user)

    assert row_names(client.get(PAGE + "?search=priy")) == ["nightly export"]
    assert row_names(client.get(PAGE + "?search=RAMAN")) == ["nightly export"]
    assert row_names(client.get(PAGE + "?search=" + priya.username[:6])) == ["nightly export"]


def test_generated_by_sorts_owners_by_their_shown_names_then_their_tokens(
    client, admin_user, tenant
):
    """Owners A to Z by the name the table shows (a user without names by user name), each
    one's tokens newest first; Z to A is the exact reverse."""
    now = timezone.now()
    zoe = make_user(tenant, Role.SECURITY_OPERATOR, first_name="zoe", last_name="Adams")
    bob = make_user(tenant, Role.SECURITY_OPERATOR, first_name="", last_name="")
    bob.username = "bob@contoso.com"
    bob.save()
    anna = make_user(tenant, Role.SECURITY_OPERATOR, first_name="Anna", last_name="Zimmer")
    for owner, name, days_ago in [
        (zoe, "zoe old", 3),
        (zoe, "zoe new", 1),
        (bob, "bob only", 2),
        (anna, "anna old", 5),
        (anna, "anna new", 4),
    ]:
        token, _ = make_token(owner, name=name)
        ApiToken.objects.filter(pk=token.pk).update(
            created_at=now - timezone.timedelta(days=days_ago)
        )
    client.force_login(admin_user)

    forward = row_names(client.get(PAGE + "?ordering=generated_by"))
    backward = row_names(client.get(PAGE + "?ordering=-generated_by"))

    assert forward == ["anna new", "anna old", "bob only", "zoe new", "zoe old"]
    assert backward == list(reversed(forward))


def test_search_by_a_part_of_the_name_through_the_name_index(client, admin_user, other_tenant):
    """Any case, anywhere in the name, quotes and all; renamed tokens by their new name; a
    revoked token and another tenant's are never found. On SQLite the name index is an FTS5
    trigram table the tokens' triggers keep in step (on PostgreSQL a trigram index)."""
    from tokens.services import token_rename, token_revoke

    make_token(admin_user, name='Nightly "EXPORT" to S3')
    renamed, _ = make_token(admin_user, name="old label")
    token_rename(token=renamed, name="Quarterly export")
    gone, _ = make_token(admin_user, name="export (revoked)")
    token_revoke(token=gone, by=admin_user)
    make_token(make_user(other_tenant, Role.GLOBAL_ADMIN), name="export elsewhere")
    make_token(admin_user, name="unrelated")
    client.force_login(admin_user)

    with CaptureQueriesContext(connection) as seen:
        found = row_names(client.get(PAGE + "?search=xPoRt&ordering=name"))
    uses_index = any("tokens_name_search" in query["sql"] for query in seen.captured_queries)

    assert found == ['Nightly "EXPORT" to S3', "Quarterly export"]
    assert row_names(client.get(PAGE + '?search="EXPORT" t')) == ['Nightly "EXPORT" to S3']
    assert row_names(client.get(PAGE + "?search=old label")) == []
    assert row_names(client.get(PAGE + "?search=ex")) == [  # too short for trigrams: a scan
        "Quarterly export",
        'Nightly "EXPORT" to S3',
    ]
    assert uses_index == (connection.vendor == "sqlite")


def test_a_search_matching_more_than_the_bound_says_more_than(client, admin_user, monkeypatch):
    """Past the bound the count says "more than" (on SQLite the name index said so, and the
    table is not counted again); under it, the exact number."""
    monkeypatch.setattr("core.pagination.COUNT_BOUND", 3)
    monkeypatch.setattr("tokens.filters.SEARCH_BOUND", 3)
    for n in range(5):
        make_token(admin_user, name=f"export {n}")
    make_token(admin_user, name="other one")
    make_token(admin_user, name="other two")
    client.force_login(admin_user)

    many = client.get(PAGE + "?search=export")
    few = client.get(PAGE + "?search=other")

    assert row_names(many) == ["export 4", "export 3", "export 2"]  # the first 3 it offers
    assert "More than 3 tokens" in many.content.decode()
    assert row_names(few) == ["other two", "other one"]
    assert "2 tokens" in few.content.decode()
