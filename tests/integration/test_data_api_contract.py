"""The answers have the shapes of the public reference's samples (tests/fixtures/mda-api/samples,
a copy of ../shared/mda-api/samples kept in the repository so that any clone can run them):
every key a sample shows is there, with a value of the same JSON type; and the samples'
request bodies are accepted as they are."""

import json
from pathlib import Path

import pytest

from security.models import DataSource
from tests.factories import make_activity, make_alert, make_subnet

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "mda-api"
SAMPLES = FIXTURES / "samples"
SHARED = ROOT.parent / "shared" / "mda-api"


def sample(name: str):
    return json.loads((SAMPLES / name).read_text())


def test_the_records_document_is_the_shared_one_unchanged():
    if not SHARED.is_dir():
        pytest.skip("no ../shared/mda-api beside this clone: the fixtures stand on their own")
    assert (FIXTURES / "RECORDS.md").read_bytes() == (SHARED / "RECORDS.md").read_bytes()


@pytest.mark.parametrize("folder", ["samples", "records"])
def test_the_fixtures_are_the_shared_contract_unchanged(folder):
    """Where ../shared sits beside the clone (CI, a developer's machine), the copies in
    tests/fixtures must equal it file for file; a user's clone has only the copies."""
    if not (SHARED / folder).is_dir():
        pytest.skip("no ../shared/mda-api beside this clone: the fixtures stand on their own")
    theirs = {
        p.relative_to(SHARED / folder): p.read_bytes()
        for p in (SHARED / folder).rglob("*")
        if p.is_file()
    }
    ours = {
        p.relative_to(FIXTURES / folder): p.read_bytes()
        for p in (FIXTURES / folder).rglob("*")
        if p.is_file()
    }
    assert sorted(ours) == sorted(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []


def json_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


def assert_shaped_like(ours, theirs, path="$", nullable=()):
    """Every key of `theirs` is in `ours`, with the same JSON type (recursively into objects
    and the first element of arrays). `nullable` names keys ours may leave null."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), path
        for key, value in theirs.items():
            assert key in ours, f"{path}.{key} is missing"
            if ours[key] is None and f"{path}.{key}" in nullable:
                continue
            assert_shaped_like(ours[key], value, f"{path}.{key}", nullable)
    elif isinstance(theirs, list):
        assert isinstance(ours, list), path
        if theirs and ours:
            assert_shaped_like(ours[0], theirs[0], f"{path}[0]", nullable)
    else:
        assert json_type(ours) == json_type(theirs) or (
            json_type(theirs) == "string" and ours is None and path in nullable
        ), f"{path}: {json_type(ours)} where the sample has {json_type(theirs)}"


@pytest.fixture
def handled_alert(tenant):
    """An alert like the sample's: closed, with entities of each type."""
    reference = sample("alerts-fetch-response.json")
    alert = make_alert(tenant, entities=reference["entities"], stories=[0], threat_score=34)
    admin_alert = alert
    from django.utils import timezone

    admin_alert.resolution_status = 4
    admin_alert.resolution_date = timezone.now()
    admin_alert.handled_by = "administrator@contoso.com"
    admin_alert.save()
    return alert


def test_alert_fetch_and_list_have_the_samples_shape(admin_api, handled_alert):
    fetched = admin_api.get(f"/api/v1/alerts/{handled_alert.public_id}/").json()
    listed = admin_api.post(
        "/api/v1/alerts/", sample("alerts-list-request.json") | {"skip": 0}, format="json"
    ).json()

    assert_shaped_like(fetched, sample("alerts-fetch-response.json"))
    assert_shaped_like(listed, sample("alerts-list-response.json"))
    assert set(listed) == set(sample("alerts-list-response.json"))


@pytest.mark.parametrize("kind", ["benign", "false_positive", "true_positive"])
def test_close_requests_and_answers_match_the_samples(admin_api, tenant, kind):
    request = sample(f"alerts-close-{kind.replace('_', '-')}-request.json")
    ids = request["filters"]["id"]["eq"]
    make_alert(tenant).__class__.objects.filter(tenant=tenant).update(public_id=ids[0])

    response = admin_api.post(f"/api/v1/alerts/close_{kind}/", request, format="json")

    assert response.status_code == 200
    assert_shaped_like(
        response.json(), sample(f"alerts-close-{kind.replace('_', '-')}-response-not-found.json")
    )
    assert response.json()[f"closed_{kind}"] == 1
    assert response.json()["alertsNotFound"] == ids[1:]


def test_the_deprecated_requests_samples_are_accepted(admin_api, tenant):
    alert = make_alert(tenant)
    bulk = sample("alerts-dismiss-bulk-request.json")
    resolve = sample("alerts-resolve-request.json")

    responses = [
        admin_api.post("/api/v1/alerts/dismiss_bulk/", bulk, format="json"),
        admin_api.post("/api/v1/alerts/resolve/", resolve, format="json"),
        admin_api.post(
            f"/api/v1/alerts/{alert.public_id}/dismiss/",
            sample("alerts-dismiss-request.json"),
            format="json",
        ),
    ]

    assert [r.status_code for r in responses] == [200, 200, 200]


@pytest.mark.parametrize(
    ("path", "request_sample", "response_sample"),
    [
        ("/api/v1/activities/", "activities-list-request.json", "activities-list-response.json"),
        ("/api/v1/entities/", "entities-list-request.json", "entities-list-response.json"),
        ("/api/v1/files/", "files-list-request.json", "files-list-response.json"),
        ("/api/v1/subnet/", "subnet-list-request.json", "subnet-list-response.json"),
        ("/api/example-endpoint-is-alerts/", "introduction-filters-example-request.json", None),
    ],
)
def test_list_samples_are_accepted_and_answered_in_shape(
    admin_api, tenant, path, request_sample, response_sample
):
    make_activity(tenant)
    # A built-in tag, as the sample's (000000290000000000000000, Amazon Web Services).
    make_subnet(tenant, tags=["000000290000000000000000"], organization="isp name")
    if response_sample is None:
        # The intro's generic example names made-up fields: a clear 400, not a wider result.
        response = admin_api.post("/api/v1/alerts/", sample(request_sample), format="json")
        assert response.status_code == 400
        assert response.json()["detail"].startswith("Unknown filter field 'some.field'")
        return

    response = admin_api.post(path, sample(request_sample) | {"skip": 0}, format="json")

    assert response.status_code == 200
    assert_shaped_like(response.json(), sample(response_sample), nullable=("$.data[0].location",))


def test_feedback_request_and_answer_match_the_samples(admin_api, tenant):
    activity = make_activity(tenant)

    response = admin_api.post(
        f"/api/v1/activities/{activity.public_id}/feedback",
        sample("activities-feedback-request.json"),
        format="json",
    )

    assert response.status_code == 200
    assert_shaped_like(response.json(), sample("activities-feedback-response.json"))


def test_subnet_create_and_update_samples(admin_api, tenant):
    created = admin_api.post(
        "/api/v1/subnet/create_rule/", sample("subnet-create-rule-request.json"), format="json"
    )
    updated = admin_api.post(
        f"/api/v1/subnet/{created.json()}/update_rule/",
        sample("subnet-update-rule-request.json"),
        format="json",
    )

    assert created.status_code == updated.status_code == 200
    listed = admin_api.get("/api/v1/subnet/").json()
    assert set(sample("subnet-list-response.json")) <= set(listed)
    # "existing tag" names no tag: it became a custom one, as in the range a real tenant
    # answered after the same two calls (records/subnet-record.json).
    real = json.loads((FIXTURES / "records" / "subnet-record.json").read_text())[0]
    assert_shaped_like(listed["data"][0], real, nullable=("$.location",))


def test_discovery_samples(admin_api, tenant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    DataSource.objects.create(
        tenant=tenant,
        name="dependency_udp",
        log_format="CISCO_FIREPOWER_V6_SYSLOG",
        receiver_type="syslog",
        protocol="udp",
    )

    url = admin_api.get(
        "/api/v1/discovery/upload_url/", {"filename": "a.log", "source": "CISCO_ASA"}
    ).json()
    streams = admin_api.get("/api/discovery/streams/").json()

    assert_shaped_like(url, sample("discovery-upload-url-response.json"))
    assert set(sample("discovery-done-upload-request.json")) <= {
        "uploadUrl",
        "inputStreamName",
        "uploadAsSnapshot",
    }
    assert_shaped_like(
        streams[0],
        sample("discovery-streams-response.json"),
        nullable=("$.protocol", "$.lastDataReceived"),
    )
