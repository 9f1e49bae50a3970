"""Regenerate on the portal (issue 14, part 4): the owner chooses the grace period, gets the
new value once, and the table shows the token once with "rotated, old value valid until …"
while the old value works; another's, a revoked or an already regenerated token is refused
with the reason and nothing changes; an expired one is regenerated, its old value refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_token
from tokens.models import ApiToken, EventKind, TokenEvent
from tokens.services import token_revoke

PAGE = "/settings/security-extensions/api-tokens/"


def regenerate(token):
    return f"{PAGE}{token.pk}/regenerate/"


@pytest.fixture
def signed_in(client, admin_user):
    client.force_login(admin_user)
    client.defaults["HTTP_HOST"] = "contoso.us2.portal.test"
    return client


def test_the_form_names_the_token_and_offers_the_grace_periods(signed_in, admin_user):
    token, _ = make_token(admin_user, name="Sentinel connector")

    page = signed_in.get(regenerate(token))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Regenerate “<strong>Sentinel connector</strong>”" in html
    assert '<option value="24h" selected>24 hours</option>' in html
    for value in ("none", "1h", "7d"):
        assert f'<option value="{value}" >' in html
    assert ApiToken.objects.count() == 1  # asking makes nothing


def test_regenerating_shows_the_new_value_once_and_the_table_shows_the_token_once(
    signed_in, admin_user, api_client
):
    old, old_value = make_token(admin_user, name="Sentinel connector")

    response = signed_in.post(regenerate(old), {"grace": "1h"})

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    new = ApiToken.objects.exclude(pk=old.pk).get()
    old.refresh_from_db()
    html = response.content.decode()
    assert "The token “Sentinel connector” was regenerated" in html
    assert f"The old value (…{old.suffix}) keeps working until" in html
    assert old.grace_until - old.replaced_at == timedelta(hours=1)
    assert html.count('data-testid="token-value"') == 1
    new_value = html.split('data-testid="token-value">')[1].split("</textarea>")[0]
    assert new_value.endswith(new.suffix)
    assert new_value != old_value
    for value in (old_value, new_value):
        me = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}")
        assert me.status_code == 200
    assert TokenEvent.objects.filter(token=old, kind=EventKind.ROTATED).count() == 1

    table = signed_in.get(PAGE).content.decode()
    assert table.count("<tr data-token-id=") == 1
    assert f'<tr data-token-id="{new.pk}">' in table
    until = old.grace_until
    assert (
        'data-testid="rotated-note">Rotated, old value valid until '
        f'<time datetime="{until.isoformat()}"' in table
    )
    assert new_value not in table


def test_the_note_goes_once_the_old_value_stops(signed_in, admin_user):
    old, _ = make_token(admin_user)
    assert signed_in.post(regenerate(old), {"grace": "none"}).status_code == 201

    table = signed_in.get(PAGE).content.decode()

    assert 'data-testid="rotated-note"' not in table
    assert table.count("<tr data-token-id=") == 1


def test_the_detail_page_of_each_side_of_a_rotation(signed_in, admin_user):
    old, _ = make_token(admin_user, name="Nightly")
    signed_in.post(regenerate(old), {"grace": "7d"})
    new = ApiToken.objects.exclude(pk=old.pk).get()

    old_page = signed_in.get(f"{PAGE}{old.pk}/").content.decode()
    new_page = signed_in.get(f"{PAGE}{new.pk}/").content.decode()

    assert 'data-testid="rotated-out">Rotated out' in old_page
    assert "this value works until" in old_page
    assert regenerate(old) not in old_page  # a rotated-out value is not regenerated again
    assert 'data-testid="rotated-note">Rotated, old value valid until' in new_page
    assert regenerate(new) in new_page


def test_an_already_regenerated_token_is_a_form_error_and_nothing_changes(signed_in, admin_user):
    token, _ = make_token(admin_user)
    signed_in.post(regenerate(token), {"grace": "24h"})
    before = list(ApiToken.objects.order_by("pk").values_list("pk", "replaced_at", "revoked_at"))

    response = signed_in.post(regenerate(token), {"grace": "24h"})

    assert response.status_code == 409
    error = "This token was already rotated: rotate its successor."
    assert f'<div class="field-errors" role="alert" data-testid="rotate-errors"><p>{error}</p>' in (
        response.content.decode()
    )
    after = list(ApiToken.objects.order_by("pk").values_list("pk", "replaced_at", "revoked_at"))
    assert after == before


def test_an_expired_token_is_regenerated_and_its_old_value_stays_refused(
    signed_in, api_client, admin_user
):
    """Regenerating on an expiry reminder comes too late as often as not: the expired token
    gets a new value with the expiry chosen, and the old one gains no grace period."""
    token, old_value = make_token(admin_user, name="Nightly")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())

    response = signed_in.post(regenerate(token), {"grace": "7d", "expires": "30"})

    assert response.status_code == 201
    new = ApiToken.objects.get(chain_id=token.pk, replaced_at__isnull=True)
    assert timedelta(days=29, hours=23) < new.expires_at - timezone.now() <= timedelta(days=30)
    token.refresh_from_db()
    assert token.grace_until == token.replaced_at  # no grace for an expired value
    assert "The old value (…" in response.content.decode()
    assert "no longer works." in response.content.decode()
    refused = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {old_value}")
    assert refused.status_code == 401


def test_a_grace_period_not_offered_is_a_form_error(signed_in, admin_user):
    token, _ = make_token(admin_user)

    response = signed_in.post(regenerate(token), {"grace": "30d"})

    assert response.status_code == 400
    assert (
        "Choose how long the old value keeps working: none, 1 hour, 24 hours or 7 days."
        in response.content.decode()
    )
    assert ApiToken.objects.count() == 1


def test_a_revoked_token_is_a_form_error_before_and_after_sending(signed_in, admin_user):
    token, _ = make_token(admin_user)
    token_revoke(token=token, by=admin_user)
    error = '<div class="field-errors" role="alert" data-testid="rotate-errors">' + (
        "<p>A revoked token cannot be rotated.</p>"
    )

    asked = signed_in.get(regenerate(token))
    sent = signed_in.post(regenerate(token), {"grace": "24h"})

    assert asked.status_code == 200
    assert error in asked.content.decode()
    assert sent.status_code == 409
    assert error in sent.content.decode()
    assert ApiToken.objects.count() == 1


def test_an_unknown_id_goes_back_to_the_table_saying_so(signed_in):
    response = signed_in.post(f"{PAGE}999999/regenerate/", {"grace": "24h"}, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert "That token does not exist." in response.content.decode()


def test_an_admin_revokes_another_users_token_but_does_not_regenerate_it(
    signed_in, admin_user, reader
):
    token, _ = make_token(reader, name="Reader report")

    table = signed_in.get(PAGE).content.decode()
    response = signed_in.post(regenerate(token), {"grace": "24h"})

    assert regenerate(token) not in table
    assert f"{PAGE}{token.pk}/revoke/" in table
    assert response.status_code == 403
    assert "Only its owner can regenerate a token" in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_a_fetch_gets_the_pieces_the_dialog_swaps_in(signed_in, admin_user):
    token, _ = make_token(admin_user, name="Sentinel")
    fetch = {"HTTP_X_REQUESTED_WITH": "fetch"}

    form = signed_in.get(regenerate(token), **fetch).content.decode()
    done = signed_in.post(regenerate(token), {"grace": "24h"}, **fetch)

    assert form.lstrip().startswith('<h2 id="rotate-title">Regenerate token</h2>')
    assert "<html" not in form
    assert done.status_code == 201
    assert "<html" not in done.content.decode()
    assert 'data-testid="token-value"' in done.content.decode()
