"""Property-based fuzzing of the token audit trail's inputs (hypothesis): the event log's
filters on the API and on the Token activity page and its CSV, a token's events, and the
public report of leaked credentials. Whatever is sent, the answer is never a 5xx, and every
API 4xx carries a `detail`."""

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import make_token
from tests.integration.test_fuzz_data_api import FUZZ, NASTY, TEXTS, VALUES, check
from tokens.services import token_revoke

pytestmark = pytest.mark.django_db

PARAMETERS = ["kind", "token", "user", "since", "until", "page", "page_size", "ordering"]
DATES = st.sampled_from(
    [
        "2026-12-01",
        "2026-12-01T10:00:00Z",
        "2026-13-01",
        "2026-12-01T25:00",
        "0",
        "-1",
        "9999-12-31T23:59:59+99:00",
        "1e400",
        "2026-02-30",
        "today",
    ]
)
QUERIES = st.dictionaries(
    st.sampled_from(PARAMETERS),
    st.one_of(TEXTS, DATES, st.integers().map(str), st.sampled_from(["revoked", "refused"])),
    max_size=5,
)


@pytest.fixture
def log(admin_user):
    token, _ = make_token(admin_user, name="Fuzzed")
    token_revoke(token=token, by=admin_user)
    return token


@FUZZ
@given(query=QUERIES)
def test_no_event_filter_is_answered_with_a_5xx(client, api_client, admin_user, log, query):
    encoded = urlencode(query, errors="surrogatepass")  # as raw bytes would arrive
    api_client.force_authenticate(admin_user)
    check(api_client.get(f"/api/v1/token-events/?{encoded}"))
    check(api_client.get(f"/api/v1/tokens/{log.pk}/events/?{encoded}"))
    client.force_login(admin_user)
    host = {"HTTP_HOST": "contoso.us2.portal.test"}
    page = client.get(f"/settings/security-extensions/token-activity/?{encoded}", **host)
    # A bad filter is said on the page (200); a NUL anywhere is refused before (a 400).
    assert page.status_code in (200, 400)
    export = client.get(
        f"/settings/security-extensions/token-activity/export.csv?{encoded}", **host
    )
    assert export.status_code in (200, 400)
    if export.status_code == 400 and export["Content-Type"].startswith("application/json"):
        assert isinstance(export.json()["detail"], str)


@FUZZ
@given(token_id=st.one_of(st.sampled_from(NASTY), st.integers().map(str)))
def test_no_token_id_is_answered_with_a_5xx(api_client, admin_user, token_id):
    api_client.force_authenticate(admin_user)
    raw = quote(token_id, safe="", errors="surrogatepass")  # as raw bytes would arrive
    check(api_client.get(f"/api/v1/tokens/{raw}/events/"))
    check(api_client.get(f"/api/v1/token-events/?token={raw}"))


@FUZZ
@given(body=st.one_of(VALUES, st.fixed_dictionaries({"credentials": VALUES})))
def test_no_report_body_is_answered_with_a_5xx(client, body):
    from django.core.cache import caches

    caches["default"].clear()  # the report limit (60 an hour) is not what this is about
    response = client.post(
        "/api/v1/credentials/revoke/", json.dumps(body), content_type="application/json"
    )
    check(response)
    assert response.status_code in (202, 400, 422)


@FUZZ
@given(search=TEXTS, ordering=st.sampled_from(["", "name", "-generated_by", "status", "zz"]))
def test_no_token_search_is_answered_with_a_5xx(client, api_client, admin_user, search, ordering):
    """The search goes to the name index (an FTS5 query on SQLite): any text is one literal."""
    make_token(admin_user, name='a "quoted" NEAR(x) name*')
    query = urlencode({"search": search, "ordering": ordering}, errors="surrogatepass")
    api_client.force_authenticate(admin_user)
    check(api_client.get(f"/api/v1/tokens/?{query}"))
    client.force_login(admin_user)
    assert client.get(f"/settings/security-extensions/api-tokens/?{query}").status_code in (
        200,
        400,
    )
