"""Inputs that Python takes and a database does not: numbers in other scripts' digits, NUL
characters, lone surrogates, JSON nested until the interpreter gives up, numbers past 64
bits, values of the wrong JSON type. Each is a 400 whose `detail` names the problem, and
nothing is written."""

import base64
import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from accounts.models import User
from security.models import Alert, Subnet
from tests.factories import make_alert, make_entity, make_subnet, make_token
from tokens.rotation import scim_token_rotate

CONTOSO = "contoso.us2.portal.test"


def bad(response, detail: str) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == detail


@pytest.mark.parametrize("number", ["²", "①", "--1", "١٢", "1e3", "+-1", " "])
@pytest.mark.parametrize("parameter", ["skip", "limit"])
def test_paging_numbers_must_be_ascii_digits(admin_api, parameter, number):
    response = admin_api.get("/api/v1/alerts/", {parameter: number})

    bad(response, f"{parameter}: expected a number, got {json.dumps(number)}")


@pytest.mark.parametrize("number", ["²", "①", "--1"])
def test_filter_values_must_be_ascii_digits(admin_api, number):
    response = admin_api.post(
        "/api/v1/alerts/", {"filters": {"severity": {"eq": [number]}}}, format="json"
    )

    bad(response, f"filters.severity.eq: expected a number, got {json.dumps(number)}")


@pytest.mark.parametrize("after", ["²_1", "1_①", "-1_1", "1_--1", "_", "1_"])
def test_a_scan_cursor_must_be_one_this_api_made(admin_api, after):
    response = admin_api.post(
        "/api/v1/activities/",
        {"isScan": True, "filters": {"scanCursor": {"after": after}}},
        format="json",
    )

    bad(response, "filters.scanCursor.after is not a cursor this API made")


@pytest.mark.parametrize("value", [["asc"], {"asc": 1}, 1, True])
def test_sort_direction_must_be_a_string(admin_api, value):
    response = admin_api.post("/api/v1/alerts/", {"sortDirection": value}, format="json")

    bad(response, "sortDirection must be asc or desc")


@pytest.mark.parametrize("category", ["²", "①", "--1"])
def test_a_subnet_category_must_be_ascii_digits(admin_api, category):
    body = {"name": "Office", "category": category, "subnets": ["10.0.0.0/8"]}

    response = admin_api.post("/api/v1/subnet/create_rule/", body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("category: category must be one of 1 Corporate")
    assert not Subnet.objects.exists()


# --- texts a database cannot store --------------------------------------------------------------

UNSTORABLE = [("\x00", "contains a NUL character"), ("\ud800", "contains a lone surrogate")]


def _json_bytes(body) -> bytes:
    # json.dumps writes a lone surrogate as the escape "\ud800", as an attacker would send it.
    return json.dumps(body).encode()


@pytest.mark.parametrize(("text", "problem"), UNSTORABLE)
def test_unstorable_texts_in_a_filter_are_refused(admin_api, text, problem):
    body = {"filters": {"title": {"contains": [f"a{text}b"]}}}

    response = admin_api.generic(
        "POST", "/api/v1/alerts/", _json_bytes(body), content_type="application/json"
    )

    suffix = "" if text == "\x00" else " (not valid Unicode)"
    bad(response, f"filters.title.contains[0] {problem}{suffix}")


@pytest.mark.parametrize(("text", "problem"), UNSTORABLE)
def test_unstorable_texts_in_a_query_string_filter_are_refused(admin_api, text, problem):
    filters = json.dumps({"title": {"contains": [f"a{text}b"]}})

    response = admin_api.get("/api/v1/alerts/", {"filters": filters})

    suffix = "" if text == "\x00" else " (not valid Unicode)"
    bad(response, f"filters.title.contains[0] {problem}{suffix}")


def test_a_nul_anywhere_in_the_address_is_refused_before_anything_reads_it(admin_api):
    assert admin_api.get("/api/v1/entities/ab%00cd/").json() == {
        "detail": "The address contains a NUL character."
    }
    assert admin_api.get("/api/v1/alerts/", {"skip": "1\x00"}).status_code == 400
    assert admin_api.get("/api/v1/alerts/?sortField=%00").status_code == 400


def test_a_page_address_with_a_nul_is_a_400_too(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/settings/security-extensions/api-tokens/?search=%00", HTTP_HOST=CONTOSO)

    assert response.status_code == 400
    assert response.content == b"The address contains a NUL character."


@pytest.mark.parametrize(("text", "problem"), UNSTORABLE)
def test_unstorable_texts_in_a_list_filter_sent_as_a_form_are_refused(admin_api, text, problem):
    """A form carries the filters as JSON text, which the body parser cannot look into."""
    filters = json.dumps({f"k{text}": {"eq": ["1"]}})

    response = admin_api.post(
        "/api/v1/alerts/",
        urlencode({"filters": filters}),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert response.json()["detail"] == f"a key in filters {problem}" + (
        "" if text == "\x00" else " (not valid Unicode)"
    )


def test_an_action_takes_its_body_as_json_only(admin_api):
    # A form's values are all text, where an action's fields are numbers and flags.
    response = admin_api.post(
        "/api/v1/alerts/close_benign/",
        urlencode({"filters": '{"id": {"eq": ["x"]}}', "reasonId": "2"}),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415
    assert response.json()["detail"] == (
        'Unsupported media type "application/x-www-form-urlencoded" in request.'
    )


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"])
def test_an_entity_key_with_unstorable_text_in_its_base64_is_not_found(admin_api, tenant, text):
    make_entity(tenant, entity_id="ab")
    key = json.dumps({"id": text, "saas": 11161, "inst": 0}).encode()
    pk = base64.b64encode(key).decode()

    response = admin_api.get(f"/api/v1/entities/{pk}/")

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


@pytest.mark.parametrize(("text", "problem"), UNSTORABLE)
def test_unstorable_subnet_names_and_close_comments_write_nothing(admin_api, tenant, text, problem):
    alert = make_alert(tenant)
    subnet = {"name": f"Office{text}", "category": 1, "subnets": ["10.0.0.0/8"]}
    close = {"filters": {"id": {"eq": [alert.public_id]}}, "comment": f"done{text}"}

    created = admin_api.generic(
        "POST", "/api/v1/subnet/create_rule/", _json_bytes(subnet), content_type="application/json"
    )
    closed = admin_api.generic(
        "POST", "/api/v1/alerts/close_benign/", _json_bytes(close), content_type="application/json"
    )

    suffix = "" if text == "\x00" else " (not valid Unicode)"
    bad(created, f"name {problem}{suffix}")
    bad(closed, f"comment {problem}{suffix}")
    assert not Subnet.objects.exists()
    assert Alert.objects.get(pk=alert.pk).resolution_status == alert.resolution_status


@pytest.fixture
def scim(admin_user):
    """Contoso's SCIM secret token, as Entra's provisioning service holds it."""
    _, value = scim_token_rotate(user=admin_user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {value}", HTTP_HOST=CONTOSO)


@pytest.mark.parametrize("text", ["\x00", "\ud800"])
def test_unstorable_scim_attributes_create_nobody(scim, text):
    body = {"userName": f"eve{text}@contoso.com", "name": {"givenName": f"E{text}"}}

    response = scim.post("/scim/v2/Users", _json_bytes(body), content_type="application/scim+json")

    assert response.status_code == 400
    assert "contains a" in response.json()["detail"]
    assert not User.objects.filter(username__startswith="eve").exists()


def test_a_scim_start_index_past_64_bits_is_a_400_and_a_huge_one_an_empty_page(scim):
    response = scim.get("/scim/v2/Users", {"startIndex": "1000000000000000000000"})

    assert response.status_code == 400  # more than 64 bits: not an integer this API takes
    assert response.json()["detail"] == "startIndex and count must be integers"
    assert scim.get("/scim/v2/Users", {"startIndex": str(2**62)}).json()["Resources"] == []


# --- nesting --------------------------------------------------------------------------------------


def deep(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


def test_json_bodies_nested_deeper_than_the_interpreter_can_parse_are_a_400(admin_api, scim):
    body = '{"filters": ' + deep(50_000) + "}"

    listed = admin_api.generic("POST", "/api/v1/alerts/", body, content_type="application/json")
    subnet = admin_api.generic(
        "POST", "/api/v1/subnet/create_rule/", body, content_type="application/json"
    )
    provisioned = scim.post("/scim/v2/Users", body, content_type="application/scim+json")

    bad(listed, "JSON parse error - the body is nested too deeply")
    bad(subnet, "JSON parse error - the body is nested too deeply")
    assert provisioned.status_code == 400
    assert provisioned.json()["detail"] == "JSON parse error - the body is nested too deeply"


def test_json_bodies_nested_more_than_32_levels_are_a_400(admin_api):
    body = '{"filters": ' + deep(40) + "}"

    response = admin_api.generic("POST", "/api/v1/alerts/", body, content_type="application/json")

    bad(response, "the body is nested more than 32 levels deep")


@pytest.mark.parametrize("levels", [40, 50_000])
def test_filters_nested_deeply_in_the_query_or_a_form_are_a_400(admin_api, levels):
    detail = (
        "filters is nested more than 32 levels deep"
        if levels < 1000
        else "filters is nested too deeply"
    )

    in_query = admin_api.get("/api/v1/alerts/", {"filters": deep(levels)})
    in_form = admin_api.post("/api/v1/alerts/", {"filters": deep(levels)})

    bad(in_query, detail)
    bad(in_form, detail)


# --- methods ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "PATCH", "TRACE", "DELETE"])
@pytest.mark.parametrize("path", ["/api/v1/alerts/", "/api/v1/subnet/", "/api/v1/activities/"])
def test_an_undeclared_method_is_a_405_that_says_which_are_allowed(admin_api, method, path):
    response = admin_api.generic(method, path)

    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"


# --- races --------------------------------------------------------------------------------


@pytest.fixture
def wins_the_race():
    """Makes a concurrent request commit between a service's uniqueness check and its write:
    just before the row is saved, `make_rival()` writes the row that takes the name."""
    from django.db.models.signals import pre_save

    receivers = []

    def arrange(model, make_rival):
        done = []

        def receiver(sender, instance, **kwargs):
            if not done:
                done.append(True)
                make_rival()

        pre_save.connect(receiver, sender=model, weak=False)
        receivers.append((receiver, model))

    yield arrange
    for receiver, model in receivers:
        pre_save.disconnect(receiver, sender=model)


def test_a_rename_that_loses_the_race_for_a_name_is_a_409(admin_api, tenant, wins_the_race):
    subnet = make_subnet(tenant, name="Branch")
    wins_the_race(Subnet, lambda: make_subnet(tenant, name="Head office"))
    body = {"name": "Head office", "category": 1, "subnets": ["10.1.0.0/16"]}

    response = admin_api.post(
        f"/api/v1/subnet/{subnet.public_id}/update_rule/", body, format="json"
    )

    assert (response.status_code, response.json()) == (
        409,
        {"detail": "name: An IP range named 'Head office' exists."},
    )
    subnet.refresh_from_db()
    assert (subnet.name, subnet.subnets) == ("Branch", subnet.subnets)
    assert "10.1.0.0/16" not in subnet.subnets


def test_a_scim_create_that_loses_the_race_for_a_user_name_is_a_409(scim, tenant, wins_the_race):
    from tests.factories import make_user

    wins_the_race(User, lambda: make_user(tenant, "", username="dana@contoso.com"))

    response = scim.post(
        "/scim/v2/Users", {"userName": "dana@contoso.com"}, content_type="application/scim+json"
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "A user named dana@contoso.com exists"
    assert response.json()["scimType"] == "uniqueness"


@pytest.mark.parametrize("ordering", ["name,", ",name", "name,,-status", ","])
def test_an_empty_part_of_the_tokens_ordering_is_left_out(api_client, admin_user, ordering):
    """It was a 500 (schemathesis found it): the empty name reached order_by()."""
    make_token(admin_user, name="Beta")
    make_token(admin_user, name="alpha")
    api_client.force_authenticate(admin_user)

    response = api_client.get("/api/v1/tokens/", {"ordering": ordering})

    assert response.status_code == 200
    assert [t["name"] for t in response.json()["results"]] == ["alpha", "Beta"]


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("2858-09-11T03:47:08+17:37", 200),  # was a 500 on PostgreSQL (offsets stop at 15:59)
        ("2026-01-01T00:00:00-23:59", 200),
        ("9999-12-31T23:00:00-17:00", 400),  # past year 9999 in UTC
    ],
)
def test_an_event_filters_offset_beyond_postgresqls_is_taken_in_utc(
    api_client, admin_user, since, status
):
    api_client.force_authenticate(admin_user)

    response = api_client.get("/api/v1/token-events/", {"since": since})

    assert response.status_code == status
    if status == 400:
        assert response.json()["detail"] == "since: That moment is out of range."
