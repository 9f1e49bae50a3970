"""Who you are, before minting (issue 21, B): generating and regenerating a token, changing
the token policy and replacing the SCIM secret need a sign-in within the last 10 minutes;
otherwise the person confirms (the password again, or Entra again with prompt=login) and
comes back to the form with every choice kept. The tokens API's minting through a session
answers 401 naming where to confirm."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.reauthentication import SIGNED_IN_AT
from accounts.roles import Role
from tests.entra_flow import CONTOSO, pick_account
from tests.factories import make_token, make_user
from tokens.models import ApiToken, Kind, TokenPolicy
from tokens.rotation import scim_token_rotate

HOST = {"HTTP_HOST": CONTOSO}
PAGE = "/settings/security-extensions/api-tokens/"
PASSWORD = "Megan-Local-2026!"


def signed_in_ago(client, user, seconds: int):
    """`client` signed in as `user`, its sign-in `seconds` old."""
    client.force_login(user)
    session = client.session
    session[SIGNED_IN_AT] = time.time() - seconds
    session.save()
    return client


@pytest.fixture
def megan(tenant):
    return make_user(tenant, Role.GLOBAL_ADMIN, password=PASSWORD)


def test_a_form_sent_too_late_is_kept_and_sent_again_after_confirming(client, megan):
    signed_in_ago(client, megan, 11 * 60)
    key = client.get(f"{PAGE}new/", **HOST).context["form"]["submission"].value()
    choices = {
        "submission": key,
        "name": "Late",
        "description": "Kept",
        "expires": "7",
        "access": "custom",
        "scopes": ["Investigation.read"],
    }

    sent = client.post(f"{PAGE}new/", choices, **HOST)
    asked = client.get(sent["Location"], **HOST)
    wrong = client.post(sent["Location"], {"password": "not it", "next": f"{PAGE}new/"}, **HOST)
    confirmed = client.post(sent["Location"], {"password": PASSWORD}, **HOST)
    back = client.get(confirmed["Location"], **HOST)

    assert sent.status_code == 302
    assert (
        sent["Location"]
        == "/accounts/confirm/?next=%2Fsettings%2Fsecurity-extensions%2Fapi-tokens%2Fnew%2F"
    )
    assert not ApiToken.objects.exists()  # nothing made before confirming
    assert "Confirm it's you" in asked.content.decode()
    assert (wrong.status_code, wrong.context["error"]) == (400, "That is not your password.")
    assert (confirmed.status_code, confirmed["Location"]) == (302, f"{PAGE}new/")
    form = back.context["form"]
    assert {
        name: form[name].value()
        for name in ("name", "description", "expires", "access", "scopes", "submission")
    } == {
        "name": "Late",
        "description": "Kept",
        "expires": "7",
        "access": "custom",
        "scopes": ["Investigation.read"],
        "submission": key,
    }
    made = client.post(f"{PAGE}new/", choices, **HOST)
    assert made.status_code == 201
    assert ApiToken.objects.get().scopes == ["Investigation.read"]


def test_within_ten_minutes_nothing_is_asked(client, megan):
    signed_in_ago(client, megan, 9 * 60)
    key = client.get(f"{PAGE}new/", **HOST).context["form"]["submission"].value()

    made = client.post(f"{PAGE}new/", {"submission": key, "name": "Soon"}, **HOST)

    assert made.status_code == 201


def test_the_dialog_is_told_where_to_confirm(client, megan):
    signed_in_ago(client, megan, 11 * 60)

    answer = client.post(f"{PAGE}new/", {"name": "Late"}, HTTP_X_REQUESTED_WITH="fetch", **HOST)

    assert answer.status_code == 401
    assert answer.json() == {
        "detail": "Confirm it's you: sign in again to do this (it was more than 10 minutes ago).",
        "login_url": "/accounts/confirm/",
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/tokens/", {"name": "Late"}),
        ("post", "ROTATE", {}),
        ("patch", "/api/v1/token-policy/", {"dormant_days": 30}),
    ],
)
def test_the_api_answers_401_with_where_to_confirm(api_client, megan, method, path, body):
    token, _ = make_token(megan, name="Existing")
    signed_in_ago(api_client, megan, 11 * 60)
    url = f"/api/v1/tokens/{token.pk}/rotate/" if path == "ROTATE" else path

    answer = getattr(api_client, method)(url, body, format="json")

    assert answer.status_code == 401
    assert answer.json() == {
        "detail": "Confirm it's you: sign in again to do this (it was more than 10 minutes ago).",
        "reauthenticate_url": "/accounts/confirm/",
    }
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["Existing"]
    assert not TokenPolicy.objects.exists()


def test_a_dry_run_of_the_policy_needs_no_confirmation(api_client, megan):
    signed_in_ago(api_client, megan, 11 * 60)

    answer = api_client.patch(
        "/api/v1/token-policy/", {"dormant_days": 30, "dry_run": True}, format="json"
    )

    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/settings/system/token-policy/", {"default_expiry": "30", "dormant_days": ""}),
        ("/settings/system/provisioning/", {}),
        ("REGENERATE", {"grace": "1h"}),
    ],
)
def test_the_other_pages_ask_too(client, megan, path, body):
    token, _ = make_token(megan, name="Existing")
    live, _ = scim_token_rotate(user=megan)
    signed_in_ago(client, megan, 11 * 60)
    url = f"{PAGE}{token.pk}/regenerate/" if path == "REGENERATE" else path

    sent = client.post(url, body, **HOST)

    assert sent.status_code == 302
    assert sent["Location"].startswith("/accounts/confirm/?next=")
    assert ApiToken.objects.filter(kind=Kind.API).count() == 1
    assert ApiToken.objects.get(kind=Kind.SCIM, revoked_at__isnull=True).pk == live.pk
    assert not TokenPolicy.objects.exists()


def test_five_wrong_passwords_make_it_wait(client, megan):
    signed_in_ago(client, megan, 11 * 60)

    answers = [client.post("/accounts/confirm/", {"password": "wrong"}, **HOST) for _ in range(5)]
    right = client.post("/accounts/confirm/", {"password": PASSWORD}, **HOST)

    assert [a.status_code for a in answers] == [400] * 5
    assert right.status_code == 400
    assert right.context["error"] == (
        "Too many wrong passwords: try again in 15 minutes, or sign out and in again."
    )


def test_an_entra_user_confirms_through_entra_with_prompt_login(client, entra, tenant):
    account = entra.add_account(
        entra.tid, upn="alice@contoso.com", name="Alice Smith", roles=["GlobalAdmin"]
    )
    from tests.entra_flow import sign_in_with_microsoft

    sign_in_with_microsoft(client, account)
    session = client.session
    session[SIGNED_IN_AT] = time.time() - 11 * 60
    session.save()
    page = client.get("/accounts/confirm/", {"next": f"{PAGE}new/"}, **HOST).content.decode()

    begin = client.post("/sso/login/entra/", {"next": f"{PAGE}new/", "prompt": "login"}, **HOST)
    query = parse_qs(urlsplit(begin["Location"]).query)
    callback = urlsplit(pick_account(begin["Location"], account.oid))
    done = client.get(f"{callback.path}?{callback.query}", HTTP_HOST=callback.netloc)
    key = client.get(f"{PAGE}new/", **HOST).context["form"]["submission"].value()
    made = client.post(f"{PAGE}new/", {"submission": key, "name": "Confirmed"}, **HOST)

    assert 'data-testid="confirm-entra"' in page
    assert 'data-testid="confirm-password"' not in page  # no password to ask for
    assert query["prompt"] == ["login"]
    assert done["Location"] == f"{PAGE}new/"
    assert made.status_code == 201


def test_another_entra_account_cannot_confirm_for_this_session(client, entra, tenant):
    from tests.entra_flow import sign_in_with_microsoft

    alice = entra.add_account(
        entra.tid, upn="alice@contoso.com", name="Alice Smith", roles=["GlobalAdmin"]
    )
    bob = entra.add_account(
        entra.tid, upn="bob@contoso.com", name="Bob Jones", roles=["GlobalAdmin"]
    )
    sign_in_with_microsoft(client, alice)
    session = client.session
    session[SIGNED_IN_AT] = time.time() - 11 * 60
    session.save()

    begin = client.post("/sso/login/entra/", {"next": f"{PAGE}new/", "prompt": "login"}, **HOST)
    callback = urlsplit(pick_account(begin["Location"], bob.oid))
    refused = client.get(f"{callback.path}?{callback.query}", HTTP_HOST=callback.netloc)
    still = client.post(f"{PAGE}new/", {"name": "Not confirmed"}, **HOST)

    assert refused.status_code == 403
    assert refused.context["reason"] == (
        "You confirmed as bob@contoso.com, but alice@contoso.com is signed in here: nothing "
        "was confirmed. To switch accounts, sign out first."
    )
    assert client.session["_auth_user_id"] == str(
        ApiToken._meta.get_field("user").related_model.objects.get(username="alice@contoso.com").pk
    )
    assert still.status_code == 302  # still asked to confirm
