"""The pages, tried as a careless user would: a form sent twice makes one thing, a session
that ended sends the browser to sign in (and back), sorting follows what the table shows,
refusals are portal pages, and lists of tokens are never stored by a browser or proxy."""

import pytest
from django.test import Client

from accounts.roles import Role
from core.forms import new_submission_key
from extensions.models import LogCollector, SiemAgent
from tests.factories import make_token, make_user
from tests.pages import once
from tokens.models import ApiToken
from tokens.services import AlreadySubmitted, token_generate

HOST = "contoso.us2.portal.test"
PAGE = "/settings/security-extensions/api-tokens/"
NEW = PAGE + "new/"


@pytest.fixture
def signed_in(client, admin_user):
    client.force_login(admin_user)
    client.defaults["HTTP_HOST"] = HOST
    return client


@pytest.mark.parametrize("fetch", [False, True], ids=["plain-form", "dialog"])
def test_a_form_sent_three_times_makes_one_token(signed_in, fetch):
    headers = {"HTTP_X_REQUESTED_WITH": "fetch"} if fetch else {}
    body = {"name": "Nightly", "submission": new_submission_key()}

    answers = [signed_in.post(NEW, body, **headers) for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 409, 409]
    token = ApiToken.objects.get()
    assert token.name == "Nightly"
    repeat = answers[2].content.decode()
    assert "This form was sent more than once" in repeat
    assert f"…{token.suffix}" in repeat
    assert answers[0].context["value"] not in repeat
    assert answers[2]["Cache-Control"] == "no-store"


def test_two_submissions_racing_with_one_key_make_one_token(admin_user, monkeypatch):
    """The other request committed its token after our check looked and before our insert:
    the unique constraint refuses ours, and the answer is the same AlreadySubmitted."""
    from tokens import services

    key = new_submission_key()
    first, _ = token_generate(user=admin_user, name="First", submission_key=key)
    real = services._submitted
    looks = []

    def check_that_ran_too_early(user, submission_key):
        looks.append(submission_key)
        return None if len(looks) == 1 else real(user, submission_key)

    monkeypatch.setattr(services, "_submitted", check_that_ran_too_early)

    with pytest.raises(AlreadySubmitted) as raised:
        token_generate(user=admin_user, name="Second", submission_key=key)

    assert raised.value.token == first
    assert looks == [key, key]  # the early check, then the one after the refused insert
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["First"]


@pytest.mark.parametrize("key", ["", "short", "no spaces allowed in here!", "x" * 65])
def test_a_form_without_a_valid_one_time_key_makes_nothing(signed_in, key):
    response = signed_in.post(NEW, {"name": "Nightly", "submission": key})

    assert response.status_code == 400
    assert "This form is out of date: reload the page and submit it again." in (
        response.content.decode()
    )
    assert not ApiToken.objects.exists()


def test_an_agent_form_sent_twice_adds_one_agent(signed_in):
    body = once({"name": "Sentinel", "output_format": "cef", "send_alerts": "on"})

    first = signed_in.post("/settings/security-extensions/siem-agents/new/", body)
    second = signed_in.post("/settings/security-extensions/siem-agents/new/", body)

    assert (first.status_code, second.status_code) == (200, 409)
    assert SiemAgent.objects.count() == 1
    assert "This form was already sent" in second.content.decode()
    assert "is already taken" not in second.content.decode()


def test_a_collector_form_sent_twice_adds_one_collector(signed_in, admin_user):
    from extensions.services import data_source_create

    source = data_source_create(
        tenant=admin_user.tenant, name="Proxy", log_format="SQUID", receiver_type="ftp"
    )
    body = once({"name": "Branch", "data_sources": [source.pk]})

    first = signed_in.post("/settings/cloud-discovery/log-collectors/new/", body)
    second = signed_in.post("/settings/cloud-discovery/log-collectors/new/", body)

    assert (first.status_code, second.status_code) == (200, 409)
    assert LogCollector.objects.count() == 1


# --- a session that ended ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", NEW), ("get", PAGE + "?status=active"), ("post", PAGE + "1/revoke/")],
    ids=["generate", "filter", "revoke"],
)
def test_a_script_request_after_the_session_ended_is_a_401_naming_the_sign_in_page(
    client, admin_user, method, path
):
    client.force_login(admin_user)
    client.session.flush()  # the session ends (expired, or signed out elsewhere)
    client.cookies["sessionid"] = "expired-session"

    response = getattr(client, method)(
        path,
        {"name": "Typed"} if method == "post" else None,
        HTTP_HOST=HOST,
        HTTP_X_REQUESTED_WITH="fetch",
    )

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Your session has ended. Sign in again to continue.",
        "login_url": "/accounts/login/",
    }
    assert not ApiToken.objects.exists()


def test_a_plain_request_after_the_session_ended_goes_to_sign_in_and_says_why(client, tenant):
    client.cookies["sessionid"] = "expired-session"

    response = client.get(PAGE + "?status=active", HTTP_HOST=HOST, follow=True)

    assert response.redirect_chain == [
        ("/accounts/login/?next=/settings/security-extensions/api-tokens/%3Fstatus%3Dactive", 302)
    ]
    assert "Your session has ended. Sign in again to continue." in response.content.decode()


def test_a_first_visit_is_not_told_its_session_ended(client, tenant):
    response = client.get(PAGE, HTTP_HOST=HOST, follow=True)

    assert "Your session has ended" not in response.content.decode()


# --- sorting as shown --------------------------------------------------------------------------


def names(response) -> list[str]:
    return [token.name for token in response.context["page_obj"]]


def test_sorting_by_name_ignores_case(signed_in, admin_user):
    for name in ["beta", "Alpha", "alpha 2", "Charlie", "bravo"]:
        make_token(admin_user, name=name)

    ascending = signed_in.get(PAGE, {"ordering": "name"})
    descending = signed_in.get(PAGE, {"ordering": "-name"})

    assert names(ascending) == ["Alpha", "alpha 2", "beta", "bravo", "Charlie"]
    assert names(descending) == ["Charlie", "bravo", "beta", "alpha 2", "Alpha"]


def test_sorting_by_generated_by_follows_the_name_shown(signed_in, admin_user, tenant):
    people = {
        "zed@contoso.com": ("Anna", "Zimmer"),  # shown "Anna Zimmer"
        "amy@contoso.com": ("Yuri", "Adams"),  # shown "Yuri Adams"
        "mike@contoso.com": ("", ""),  # shown "mike@contoso.com"
    }
    for username, (first, last) in people.items():
        person = make_user(
            tenant, Role.SECURITY_READER, username=username, first_name=first, last_name=last
        )
        make_token(person, name=f"of {username}")
    admin_user.first_name, admin_user.last_name = "Bea", "Boss"
    admin_user.save()
    make_token(admin_user, name="of admin")

    response = signed_in.get(PAGE, {"ordering": "generated_by"})

    shown = [token.user.display_name for token in response.context["page_obj"]]
    assert shown == ["Anna Zimmer", "Bea Boss", "mike@contoso.com", "Yuri Adams"]


# --- refusals and caching ----------------------------------------------------------------------


def test_a_reader_opening_siem_agents_by_url_gets_a_portal_page_naming_the_permission(
    client, reader
):
    client.force_login(reader)

    response = client.get("/settings/security-extensions/siem-agents/", HTTP_HOST=HOST)

    assert response.status_code == 403
    html = response.content.decode()
    assert "This page needs the Settings.manage permission." in html
    assert 'href="/static/css/portal.css"' in html  # the portal's own layout
    assert "reader@contoso.com" in html or "First" in html  # signed in, with the account menu


@pytest.mark.parametrize("path", ["/api/v1/tokens/", "/api/v1/tokens/{pk}/"])
def test_the_tokens_api_is_never_stored(reader, path):
    token, value = make_token(reader)
    api = Client(HTTP_AUTHORIZATION=f"Token {value}", HTTP_HOST=HOST)

    response = api.get(path.format(pk=token.pk))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_a_refused_sign_in_shows_the_time_of_the_attempt(client, tenant, settings):
    import re

    settings.ENTRA_CLIENT_ID = ""

    response = client.post("/sso/login/entra/", HTTP_HOST=HOST)

    assert response.status_code == 403
    shown = re.search(
        r'data-testid="attempt-time">(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC<',
        response.content.decode(),
    )
    assert shown is not None
