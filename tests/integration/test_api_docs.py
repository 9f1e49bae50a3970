"""The OpenAPI schema, the documentation page (local assets only), and DRF's browsable API
on every data endpoint for a signed-in user."""

import re

import pytest
import yaml

from tests.factories import make_activity, make_alert, make_entity, make_file, make_subnet


def test_the_schema_describes_the_api(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/alerts/",
        "/api/v1/alerts/close_benign/",
        "/api/v1/activities/{id}/feedback/",
        "/api/v1/entities/{id}/retrieve_tree/",
        "/api/v1/subnet/create_rule/",
        "/api/v1/discovery/upload_url/",
        "/api/discovery/streams/",
        "/api/v1/tokens/",
        "/scim/v2/Users",
    ):
        assert path in schema["paths"], path
    assert set(schema["components"]["securitySchemes"]) == {
        "apiToken",
        "entraBearer",
        "scimToken",
        "cookieAuth",
    }
    operation_ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_the_docs_page_uses_only_local_assets(client, db):
    page = client.get("/api/docs/")
    html = page.content.decode()

    assert page.status_code == 200
    # What the page loads (scripts, images, style sheets, icons), not what it links to.
    sources = re.findall(r'src="([^"]+)"', html) + re.findall(r'<link[^>]+href="([^"]+)"', html)
    assert sources, html
    assert all(source.startswith("/") for source in sources), sources
    for source in set(sources):
        assert client.get(source).status_code == 200, source


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/alerts/",
        "/api/v1/alerts/{alert}/",
        "/api/v1/activities/",
        "/api/v1/activities/{activity}/",
        "/api/v1/entities/",
        "/api/v1/files/",
        "/api/v1/files/{file}/",
        "/api/v1/subnet/",
        "/api/v1/subnet/{subnet}/",
        "/api/v1/discovery/uploads/",
        "/api/discovery/streams/",
        "/cas/api/v1/alerts",
    ],
)
def test_the_browsable_api_answers_a_signed_in_user(client, admin_user, tenant, path):
    records = {
        "alert": make_alert(tenant),
        "activity": make_activity(tenant),
        "file": make_file(tenant),
        "subnet": make_subnet(tenant),
    }
    make_entity(tenant)
    for name, record in records.items():
        path = path.replace("{" + name + "}", record.public_id)
    client.force_login(admin_user)

    response = client.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Django REST framework" in response.content.decode()


def test_the_docs_page_writes_out_every_call(client, db):
    """Each operation of the schema, with its parameters, body fields and answers."""
    html = client.get("/api/docs/").content.decode()

    assert '<h3 id="api_v1_tokens_post">' in html
    assert "<code>/api/v1/alerts/close_benign/</code>" in html
    assert "<caption>Body: TokenListRequest" in html
    assert "<td><code>expires_in_days</code></td><td>integer</td>" in html
    assert html.count('class="api-operation"') == len(re.findall(r"<h3 id=", html))
