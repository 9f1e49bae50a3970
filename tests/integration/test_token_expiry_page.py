"""Expiry on the portal (issue 14, part 1): the generation dialog's choice (7, 30, 90 days,
1 year, a date, never), its errors beside the field with nothing made, the table's Expires
column with a warning within 7 days, the Expired filter, and the admin's generation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_token
from tests.pages import once
from tokens.expiry import expiry_on
from tokens.models import ApiToken

PAGE = "/settings/security-extensions/api-tokens/"
NEW = PAGE + "new/"


@pytest.fixture
def signed_in(client, admin_user):
    client.force_login(admin_user)
    client.defaults["HTTP_HOST"] = "contoso.us2.portal.test"
    return client


@pytest.mark.parametrize(("choice", "days"), [("7", 7), ("30", 30), ("90", 90), ("365", 365)])
def test_each_choice_of_days(signed_in, choice, days):
    before = timezone.now().replace(microsecond=0)
    response = signed_in.post(NEW, once({"name": "Script", "expires": choice}))

    assert response.status_code == 201
    expires = ApiToken.objects.get().expires_at
    assert before + timedelta(days=days) <= expires <= timezone.now() + timedelta(days=days)
    shown = f'It expires on <time datetime="{expires.isoformat()}">{expires:%b} {expires.day}, '
    assert shown + str(expires.year) in response.content.decode()


def test_a_date_never_and_the_default(signed_in):
    on = (timezone.now() + timedelta(days=40)).date()
    dated = signed_in.post(
        NEW, once({"name": "Dated", "expires": "date", "expires_on": on.isoformat()})
    )
    never = signed_in.post(NEW, once({"name": "Forever", "expires": "never"}))
    default = signed_in.post(NEW, once({"name": "Default"}))

    assert [dated.status_code, never.status_code, default.status_code] == [201, 201, 201]
    expiries = dict(ApiToken.objects.values_list("name", "expires_at"))
    assert expiries["Dated"] == expiry_on(on)
    assert expiries["Forever"] is None
    assert "It never expires" in never.content.decode()
    assert timedelta(days=89) < expiries["Default"] - timezone.now() <= timedelta(days=90)


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"expires": "date"}, "expires_on", "Choose the date it expires on."),
        (
            {"expires": "date", "expires_on": "2020-01-01"},
            "expires_on",
            "The expiry must be in the future.",
        ),
        ({"expires": "date", "expires_on": "2026-02-30"}, "expires_on", "Enter a valid date."),
        (
            {"expires": "date", "expires_on": "9999-01-01"},
            "expires_on",
            "The expiry can be at most 3650 days away.",
        ),
        (
            {"expires": "forever"},
            "expires",
            "Select a valid choice. forever is not one of the available choices.",
        ),
    ],
)
def test_a_bad_expiry_is_a_form_error_and_makes_nothing(signed_in, fields, field, error):
    response = signed_in.post(NEW, once({"name": "Script", **fields}))

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [error]}
    assert error in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_table_shows_when_each_token_expires(signed_in, admin_user):
    now = timezone.now()
    for name, expires in [
        ("soon", now + timedelta(days=2)),
        ("later", now + timedelta(days=60)),
        ("gone", now - timedelta(days=1)),
        ("forever", None),
    ]:
        token, _ = make_token(admin_user, name=name)
        ApiToken.objects.filter(pk=token.pk).update(expires_at=expires)

    html = signed_in.get(PAGE + "?ordering=name").content.decode()
    expired = signed_in.get(PAGE + "?status=expired")

    assert 'ordering=expires" data-table-link>Expires' in html  # a column to sort by
    assert html.count('data-testid="expiry-soon"') == 1  # only "soon": within 7 days
    assert 'class="badge status-expired">Expired</span>' in html
    assert '<td data-label="Expires"><span class="muted">Never</span></td>' in html
    assert [t.name for t in expired.context["page_obj"].object_list] == ["gone"]


def test_the_admin_generates_with_an_expiry(client, admin_user):
    from tests.factories import make_user

    client.force_login(make_user(None, is_staff=True, is_superuser=True, username="operator"))
    on = timezone.now().date() + timedelta(days=10)

    response = client.post(
        "/admin/tokens/apitoken/add/",
        {
            "user": admin_user.pk,
            "kind": "api",
            "name": "From the admin",
            "expires_in": "30",
            "expires_on": on.isoformat(),
        },
    )

    assert response.status_code == 200
    assert ApiToken.objects.get(name="From the admin").expires_at == expiry_on(on)
