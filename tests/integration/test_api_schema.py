"""The OpenAPI schema says what the API really does: each answer below, made by a real call,
has a status code the schema lists for its operation and a body that validates against the
schema given for that code; and the schema lists the parameters, bodies and error answers
that clients and schema-driven fuzzers need."""

import json

import jsonschema
import pytest
import yaml

from accounts.roles import Role
from tests.factories import make_alert, make_subnet, make_token, make_user


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    return yaml.safe_load(response.content)


def _resolved(node, components):
    """The schema with every $ref replaced by its component, and OpenAPI's `nullable` as JSON
    Schema's null type, so that jsonschema can check a body against it."""
    if isinstance(node, list):
        return [_resolved(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _resolved(components[node["$ref"].rsplit("/", 1)[1]], components)
    node = {key: _resolved(value, components) for key, value in node.items()}
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


def check_answer(schema, path: str, method: str, response) -> None:
    operation = schema["paths"][path][method]
    code = str(response.status_code)
    assert code in operation["responses"], (path, method, code, list(operation["responses"]))
    content = operation["responses"][code].get("content")
    if content is None:
        assert response.content == b""
        return
    body_schema = _resolved(content["application/json"]["schema"], schema["components"]["schemas"])
    jsonschema.validate(json.loads(response.content), body_schema)  # as sent: request_id too


def test_create_rule_answers_the_new_id_as_a_json_string(schema, admin_api):
    response = admin_api.post(
        "/api/v1/subnet/create_rule/",
        {"name": "Office", "category": 1, "subnets": ["10.0.0.0/8"]},
        format="json",
    )

    assert response.status_code == 200
    assert isinstance(response.json(), str)
    check_answer(schema, "/api/v1/subnet/create_rule/", "post", response)
    assert schema["paths"]["/api/v1/subnet/create_rule/"]["post"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"] == {"type": "string", "description": "The new range's id."}


def test_a_taken_name_is_a_409_the_schema_lists(schema, admin_api, tenant):
    make_subnet(tenant, name="Office")

    response = admin_api.post(
        "/api/v1/subnet/create_rule/",
        {"name": "Office", "category": 1, "subnets": ["10.0.0.0/8"]},
        format="json",
    )

    assert response.status_code == 409
    check_answer(schema, "/api/v1/subnet/create_rule/", "post", response)


def test_deleting_a_range_answers_200_with_its_id(schema, admin_api, tenant):
    subnet = make_subnet(tenant)

    response = admin_api.delete(f"/api/v1/subnet/{subnet.public_id}/")

    assert response.json() == {"_id": subnet.public_id, "deleted": True}
    check_answer(schema, "/api/v1/subnet/{id}/", "delete", response)


def test_streams_answer_an_array(schema, admin_api):
    response = admin_api.get("/api/discovery/streams/")

    assert response.status_code == 200
    assert isinstance(response.json(), list)
    check_answer(schema, "/api/discovery/streams/", "get", response)


def test_a_list_answers_the_envelope_and_bad_filters_the_error_body(schema, admin_api, tenant):
    make_alert(tenant)

    listed = admin_api.get("/api/v1/alerts/")
    refused = admin_api.get("/api/v1/alerts/", {"filters": '{"nope": {"eq": [1]}}'})
    closed = admin_api.post(
        "/api/v1/alerts/close_benign/", {"filters": {"severity": {"eq": [2]}}}, format="json"
    )

    check_answer(schema, "/api/v1/alerts/", "get", listed)
    assert refused.status_code == 400
    check_answer(schema, "/api/v1/alerts/", "get", refused)
    check_answer(schema, "/api/v1/alerts/close_benign/", "post", closed)


def test_token_creation_is_201_and_revocation_204(schema, client, admin_user):
    client.force_login(admin_user)

    created = client.post("/api/v1/tokens/", {"name": "Report"}, content_type="application/json")
    other = client.post("/api/v1/tokens/", {"name": "SIEM"}, content_type="application/json")
    revoked = client.post(f"/api/v1/tokens/{created.json()['id']}/revoke/")
    deleted = client.delete(f"/api/v1/tokens/{other.json()['id']}/")

    assert (created.status_code, revoked.status_code, deleted.status_code) == (201, 204, 204)
    check_answer(schema, "/api/v1/tokens/", "post", created)
    check_answer(schema, "/api/v1/tokens/{token_id}/revoke/", "post", revoked)
    check_answer(schema, "/api/v1/tokens/{token_id}/", "delete", deleted)


def test_rotation_answers_and_refusals_are_the_ones_the_schema_lists(
    schema, client, api_client, admin_user, tenant
):
    token, _ = make_token(admin_user, name="Nightly")
    _, value = make_token(admin_user, name="Self")
    others, _ = make_token(make_user(tenant, Role.SECURITY_READER), name="Reader's")
    client.force_login(admin_user)

    rotated = client.post(
        f"/api/v1/tokens/{token.pk}/rotate/", {"grace": "1h"}, content_type="application/json"
    )
    again = client.post(f"/api/v1/tokens/{token.pk}/rotate/", {}, content_type="application/json")
    not_mine = client.post(
        f"/api/v1/tokens/{others.pk}/rotate/", {}, content_type="application/json"
    )
    itself = api_client.post(
        "/api/v1/tokens/self/rotate/",
        {"grace": "none"},
        format="json",
        HTTP_AUTHORIZATION=f"Token {value}",
    )
    read = client.get(f"/api/v1/tokens/{token.pk}/")

    assert [r.status_code for r in (rotated, again, not_mine, itself, read)] == [
        201,
        409,
        403,
        201,
        200,
    ]
    for response in (rotated, again, not_mine):
        check_answer(schema, "/api/v1/tokens/{token_id}/rotate/", "post", response)
    check_answer(schema, "/api/v1/tokens/self/rotate/", "post", itself)
    check_answer(schema, "/api/v1/tokens/{token_id}/", "get", read)
    assert read.json()["valid_until"] is not None


def test_refusals_are_the_error_answers_the_schema_lists(schema, api_client, tenant):
    _, value = make_token(make_user(tenant, Role.SECURITY_READER))

    anonymous = api_client.get("/api/v1/alerts/")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {value}")
    forbidden = api_client.post(
        "/api/v1/alerts/close_benign/", {"filters": {"id": {"eq": ["x"]}}}, format="json"
    )
    missing = api_client.get("/api/v1/alerts/0123456789abcdef01234567/")

    assert (anonymous.status_code, forbidden.status_code, missing.status_code) == (401, 403, 404)
    check_answer(schema, "/api/v1/alerts/", "get", anonymous)
    check_answer(schema, "/api/v1/alerts/close_benign/", "post", forbidden)
    check_answer(schema, "/api/v1/alerts/{id}/", "get", missing)


def _parameters(schema, path: str, method: str) -> set[str]:
    return {p["name"] for p in schema["paths"][path][method].get("parameters", [])}


def _body(schema, path: str, method: str = "post") -> dict:
    return schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


def test_the_list_language_is_in_the_schema(schema):
    # Scan mode is stated in the body, where limit's bounds can depend on it.
    assert _parameters(schema, "/api/v1/activities/", "get") == {
        "filters",
        "skip",
        "limit",
        "sortField",
        "sortDirection",
    }
    body = _body(schema, "/api/v1/alerts/")
    assert body["properties"]["sortField"]["enum"] == ["date", "severity", None]
    assert body["properties"]["limit"] | {"description": ""} == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "",
    }
    severity = body["properties"]["filters"]["properties"]["severity"]
    assert set(severity["properties"]) == {"eq", "neq"}
    assert severity["minProperties"] == 1
    # What each operator takes: a number (or its digits), or a list of 1 to 250 of them.
    whole = {
        "anyOf": [
            {"type": "integer", "minimum": -(2**63 - 1), "maximum": 2**63 - 1},
            {"type": "string", "pattern": "^[+-]?[0-9]{1,18}$"},
        ]
    }
    assert severity["properties"]["eq"] == {
        "anyOf": [whole, {"type": "array", "items": whole, "minItems": 1, "maxItems": 250}]
    }
    paged, scan = _body(schema, "/api/v1/activities/")["oneOf"]
    assert (paged["properties"]["isScan"]["enum"], paged["properties"]["limit"]["maximum"]) == (
        [False],
        100,
    )
    assert scan["required"] == ["isScan"]
    assert (scan["properties"]["limit"]["minimum"], scan["properties"]["limit"]["maximum"]) == (
        500,
        5000,
    )
    assert scan["properties"]["skip"]["enum"] == [0]
    assert _parameters(schema, "/api/v1/tokens/", "get") == {
        "status",
        "unrestricted",
        "search",
        "ordering",
        "page",
        "page_size",
    }
    assert _parameters(schema, "/api/v1/siem/events/", "get") == {"cursor", "limit"}
    assert _parameters(schema, "/scim/v2/Users", "get") == {"filter", "startIndex", "count"}


def test_bodies_and_error_answers_are_declared(schema):
    close = schema["paths"]["/api/v1/alerts/close_benign/"]["post"]
    create = schema["paths"]["/api/v1/subnet/create_rule/"]["post"]
    scim_create = schema["paths"]["/scim/v2/Users"]["post"]
    components = schema["components"]["schemas"]

    assert set(close["responses"]) == {"200", "400", "401", "403", "429", "503"}
    assert set(create["responses"]) == {"200", "400", "401", "403", "409", "429", "503"}
    assert set(scim_create["responses"]) == {"201", "400", "401", "403", "409", "503"}
    close_body = close["requestBody"]
    assert close_body["required"] is True
    assert list(close_body["content"]) == ["application/json"]
    assert close_body["content"]["application/json"]["schema"]["required"] == ["filters"]
    assert close_body["content"]["application/json"]["schema"]["properties"]["reasonId"][
        "enum"
    ] == [2, 4, 5, 6, None]
    assert set(close_body["content"]["application/json"]["schema"]["properties"]) == {
        "filters",
        "comment",
        "reasonId",
        "sendFeedback",
        "feedbackText",
        "allowContact",
        "contactEmail",
    }
    assert sorted(components["SubnetBody"]["required"]) == ["category", "name", "subnets"]
    assert scim_create["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ScimError"
    }
