"""The pages tell the truth about a token (issue 21, A): what it can do, by name and in words,
and what a narrowed one cannot; its access in the list; who made it and for whom; its
description; the detail page's addresses; search by the last 4 characters and sorting by
expiry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from core.http import Origin
from tests.factories import make_token, make_user
from tokens.models import ApiToken
from tokens.services import token_generate, token_mark_used

HOST = {"HTTP_HOST": "contoso.us2.portal.test"}
PAGE = "/settings/security-extensions/api-tokens/"


def generate(client, **fields):
    page = client.get(f"{PAGE}new/", **HOST)
    key = page.context["form"]["submission"].value()
    return client.post(f"{PAGE}new/", {"submission": key, "expires": "30", **fields}, **HOST)


@pytest.mark.parametrize(
    ("access", "can", "cannot"),
    [
        (
            {"access": "role"},
            [
                "Investigation.read",
                "Investigation.manage",
                "Discovery.read",
                "Discovery.manage",
                "Settings.read",
                "Settings.manage",
                "Tokens.manage_all",
            ],
            [],
        ),
        (
            {"access": "read_only"},
            ["Investigation.read", "Discovery.read", "Settings.read"],
            ["Investigation.manage", "Discovery.manage", "Settings.manage", "Tokens.manage_all"],
        ),
        (
            {"access": "custom", "scopes": ["Investigation.manage"]},
            ["Investigation.manage"],
            [
                "Investigation.read",
                "Discovery.read",
                "Discovery.manage",
                "Settings.read",
                "Settings.manage",
                "Tokens.manage_all",
            ],
        ),
    ],
)
def test_the_one_time_page_states_the_access_as_generated(client, admin_user, access, can, cannot):
    client.force_login(admin_user)

    response = generate(client, name="Truthful", **access)

    assert response.status_code == 201
    context_access = response.context["token"].access()
    assert [name for name, _ in context_access.can] == can
    assert [name for name, _ in context_access.cannot] == cannot
    html = response.content.decode()
    assert "whoever holds it can do through the API whatever you can" not in html
    if cannot:
        assert "Narrowed: whoever holds it can do only this" in html
        assert "It cannot (the role can):" in html
    else:
        assert "It carries the privileges of" in html
    for name in can:
        assert f"<li><code>{name}</code>" in html
    assert (
        "<code>Investigation.read</code> Read alerts, activities, files, entities and IP ranges"
        in (html)
        or "Investigation.read" not in can + cannot
    )


def test_the_list_and_the_detail_say_each_tokens_access(client, admin_user):
    token_generate(user=admin_user, name="Full")
    token_generate(user=admin_user, name="Reads", scopes=["Investigation.read", "Settings.read"])
    narrowed, _ = token_generate(
        user=admin_user,
        name="Some",
        scopes=["Investigation.read", "Investigation.manage", "Discovery.read"],
    )
    client.force_login(admin_user)

    listed = client.get(PAGE, **HOST).context["page_obj"].object_list
    detail = client.get(f"{PAGE}{narrowed.pk}/", **HOST).content.decode()

    assert {t.name: t.access_label for t in listed} == {
        "Full": "Full role",
        "Reads": "Read-only",
        "Some": "3 of 6",
    }
    assert "<strong>3 of 6</strong>" in detail
    assert (
        "<code>Investigation.manage</code> Close and mark alerts, and send feedback on activities"
        in (detail)
    )
    assert 'data-testid="token-cannot"' in detail
    assert "<code>Settings.manage</code> Change IP ranges, users and the token policy" in detail


def test_a_token_made_for_someone_says_who_made_it_and_for_whom(client, api_client, tenant):
    from accounts.models import User

    staff = User.objects.create_superuser(username="platform-admin", password="x" * 16)
    owner = make_user(tenant, Role.GLOBAL_ADMIN, first_name="Pat", last_name="Doe")
    token, _ = token_generate(user=owner, name="Made for Pat", by=staff)
    client.force_login(owner)
    api_client.force_login(owner)

    row = client.get(PAGE, **HOST).content.decode()
    detail = client.get(f"{PAGE}{token.pk}/", **HOST).content.decode()
    answer = api_client.get(f"/api/v1/tokens/{token.pk}/").json()

    assert 'data-testid="made-by">made for them by platform-admin</p>' in row
    assert 'data-testid="made-by">platform-admin, for Pat Doe</dd>' in detail
    assert (answer["generated_by"]["id"], answer["made_by"]["id"]) == (owner.pk, staff.pk)


def test_a_description_is_kept_and_shown_and_a_bad_one_is_a_form_error(client, admin_user):
    client.force_login(admin_user)

    made = generate(client, name="Described", description="  Pulls alerts for the SOC.  ")
    too_long = generate(client, name="Wordy", description="x" * 301)
    token = ApiToken.objects.get(name="Described")
    detail = client.get(f"{PAGE}{token.pk}/", **HOST).content.decode()

    assert made.status_code == 201
    assert token.description == "Pulls alerts for the SOC."
    assert 'data-testid="description">Pulls alerts for the SOC.</dd>' in detail
    assert too_long.status_code == 400
    assert too_long.context["form"].errors == {
        "description": ["Descriptions are at most 300 characters; this one has 301."]
    }
    assert not ApiToken.objects.filter(name="Wordy").exists()


def test_the_api_takes_a_description(api_client, reader):
    api_client.force_login(reader)

    made = api_client.post(
        "/api/v1/tokens/", {"name": "N", "description": "For the SOC"}, format="json"
    )
    bad = api_client.post(
        "/api/v1/tokens/", {"name": "M", "description": "a\u0000b"}, format="json"
    )

    assert (made.status_code, made.json()["description"]) == (201, "For the SOC")
    assert bad.status_code == 400
    assert ApiToken.objects.count() == 1


def test_the_detail_page_writes_each_addresss_date_and_time_apart(client, admin_user):
    token, _ = make_token(admin_user, name="Used")
    token_mark_used(token=token, at=timezone.now(), origin=Origin("192.0.2.5", "curl/8"))
    client.force_login(admin_user)

    html = client.get(f"{PAGE}{token.pk}/", **HOST).content.decode()

    token.refresh_from_db()
    when = token.last_used_at
    assert f'<code>192.0.2.5</code> <span class="muted">{when:%Y-%m-%d} {when:%H:%M:%S} UTC' in html


def test_search_finds_a_token_by_its_last_4_characters(client, api_client, admin_user):
    wanted, _ = make_token(admin_user, name="Wanted")
    make_token(admin_user, name="Other")
    client.force_login(admin_user)
    api_client.force_login(admin_user)

    for needle in (wanted.suffix, f"…{wanted.suffix}"):
        listed = client.get(PAGE, {"search": needle}, **HOST).context["page_obj"].object_list
        assert [t.name for t in listed] == ["Wanted"]
    answer = api_client.get("/api/v1/tokens/", {"search": wanted.suffix}).json()
    assert [t["name"] for t in answer["results"]] == ["Wanted"]
    swapped = wanted.suffix.swapcase()
    if swapped != wanted.suffix:  # case counts: another token's suffix, or none
        listed = client.get(PAGE, {"search": swapped}, **HOST).context["page_obj"].object_list
        assert "Wanted" not in [t.name for t in listed]


def test_the_table_sorts_by_expiry_never_last(client, admin_user):
    now = timezone.now()
    token_generate(user=admin_user, name="Never", expires_at=None)
    token_generate(user=admin_user, name="Soon", expires_at=now + timedelta(days=2))
    token_generate(user=admin_user, name="Later", expires_at=now + timedelta(days=200))
    client.force_login(admin_user)

    ascending = client.get(PAGE, {"ordering": "expires"}, **HOST).context["page_obj"]
    descending = client.get(PAGE, {"ordering": "-expires"}, **HOST).context["page_obj"]

    assert [t.name for t in ascending] == ["Soon", "Later", "Never"]
    assert [t.name for t in descending] == ["Never", "Later", "Soon"]
