"""Alerts: fetch, close (benign, false positive, true positive; by filter or by ids),
the deprecated dismiss/resolve, read and unread."""

import pytest

from accounts.roles import Role
from security.models import Alert, Resolution
from tests.factories import make_alert


@pytest.fixture
def alerts(tenant):
    return [make_alert(tenant, severity=i % 3) for i in range(3)]


def test_fetch_returns_the_bare_alert(admin_api, alerts, tenant):
    alert = alerts[0]

    for path in (f"/api/v1/alerts/{alert.public_id}/", f"/cas/api/v1/alerts/{alert.public_id}"):
        body = admin_api.get(path).json()
        assert body["_id"] == alert.public_id
        assert body["title"] == alert.title
        assert body["contextId"] == str(tenant.public_id)
        # The alert's page on the portal, as real alerts link to theirs.
        assert body["URL"] == f"https://contoso.us2.portal.test/alerts/{alert.public_id}/"
        assert "resolveTime" not in body  # open alerts leave it out, as real ones do


@pytest.mark.parametrize("pk", ["0" * 24, "not-an-id", "é" * 24, "../../etc"])
def test_fetching_an_unknown_or_malformed_id_is_a_404(admin_api, alerts, pk):
    response = admin_api.get(f"/api/v1/alerts/{pk}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("kind", "resolution", "reason"),
    [
        ("benign", Resolution.BENIGN, 5),
        ("false_positive", Resolution.FALSE_POSITIVE, 1),
        ("true_positive", Resolution.TRUE_POSITIVE, None),
    ],
)
def test_close_by_ids_counts_what_it_closed_and_lists_ids_not_found(
    admin_api, alerts, kind, resolution, reason
):
    missing = "5f843e9cfe3f6d80fe58a962"
    body = {
        "filters": {"id": {"eq": [alerts[0].public_id, alerts[1].public_id, missing]}},
        "comment": "Reviewed",
        "sendFeedback": True,
        "feedbackText": "Noisy rule",
        "allowContact": True,
        "contactEmail": " soc@contoso.com",
    }
    if reason is not None:
        body["reasonId"] = reason

    response = admin_api.post(f"/api/v1/alerts/close_{kind}/", body, format="json")

    assert response.status_code == 200
    assert response.json() == {f"closed_{kind}": 2, "alertsNotFound": [missing]}
    closed = Alert.objects.get(pk=alerts[0].pk)
    assert (closed.resolution_status, closed.comment, closed.handled_by) == (
        resolution,
        "Reviewed",
        admin_api.user.username,
    )
    assert closed.resolution_reason == reason
    assert closed.feedback["contactEmail"] == "soc@contoso.com"
    assert Alert.objects.get(pk=alerts[2].pk).resolution_status == Resolution.OPEN
    fetched = admin_api.get(f"/api/v1/alerts/{alerts[0].public_id}/").json()
    assert fetched["resolutionStatusValue"] == resolution
    assert fetched["handledByUser"] == admin_api.user.username


def test_close_by_filter_closes_every_match(admin_api, alerts):
    response = admin_api.post(
        "/api/v1/alerts/close_benign", {"filters": {"severity": {"eq": [0, 1]}}}, format="json"
    )

    assert response.json() == {"closed_benign": 2}
    assert list(Alert.objects.order_by("id").values_list("resolution_status", flat=True)) == [
        Resolution.BENIGN,
        Resolution.BENIGN,
        Resolution.OPEN,
    ]


def test_closing_again_counts_nothing(admin_api, alerts):
    body = {"filters": {"id": {"eq": [alerts[0].public_id]}}}
    admin_api.post("/api/v1/alerts/close_true_positive/", body, format="json")

    again = admin_api.post("/api/v1/alerts/close_true_positive/", body, format="json")

    assert again.json() == {"closed_true_positive": 0}


@pytest.mark.parametrize(
    ("kind", "body", "detail"),
    [
        ("benign", {}, "filters is required"),
        ("benign", {"filters": {}}, "filters is required"),
        (
            "benign",
            {"filters": {"id": {"eq": ["x"]}}, "reasonId": 1},
            "reasonId: close_benign takes reasonId 2, 4, 5, 6.",
        ),
        (
            "false_positive",
            {"filters": {"id": {"eq": ["x"]}}, "reasonId": 5},
            "reasonId: close_false_positive takes reasonId 0, 1, 3, 4.",
        ),
        (
            "true_positive",
            {"filters": {"id": {"eq": ["x"]}}, "reasonId": 4},
            "reasonId: close_true_positive takes no reasonId.",
        ),
        (
            "benign",
            {"filters": {"id": {"eq": ["x"]}}, "reasonId": "5"},
            "reasonId must be a whole number.",
        ),
        ("benign", {"filters": {"id": {"eq": ["x"]}}, "comment": 5}, "comment must be a string"),
        (
            "benign",
            {"filters": {"id": {"eq": ["x"]}}, "allowContact": "yes"},
            "allowContact must be true or false.",
        ),
        ("benign", {"filters": {"nope": {"eq": [1]}}}, "Unknown filter field 'nope'"),
    ],
)
def test_bad_close_requests_are_a_400_and_close_nothing(admin_api, alerts, kind, body, detail):
    response = admin_api.post(f"/api/v1/alerts/close_{kind}/", body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert set(Alert.objects.values_list("resolution_status", flat=True)) == {Resolution.OPEN}


@pytest.mark.parametrize(
    ("path", "resolution"),
    [
        ("/api/v1/alerts/dismiss_bulk/", Resolution.FALSE_POSITIVE),
        ("/api/v1/alerts/resolve", Resolution.TRUE_POSITIVE),
    ],
)
def test_the_deprecated_bulk_requests_route_to_their_replacements(
    admin_api, alerts, path, resolution
):
    response = admin_api.post(
        path,
        {"comment": "old script", "filters": {"id": {"eq": [alerts[1].public_id]}}},
        format="json",
    )

    assert response.status_code == 200
    assert Alert.objects.get(pk=alerts[1].pk).resolution_status == resolution


def test_the_deprecated_single_dismiss_closes_as_false_positive(admin_api, alerts):
    response = admin_api.post(
        f"/api/v1/alerts/{alerts[2].public_id}/dismiss/", {"comment": "noise"}, format="json"
    )

    assert response.json() == {"closed_false_positive": 1}
    assert Alert.objects.get(pk=alerts[2].pk).comment == "noise"


def test_read_and_unread(admin_api, alerts):
    alert = alerts[0]

    read = admin_api.post(
        f"/api/v1/alerts/{alert.public_id}/read/", content_type="application/json"
    )
    after_read = Alert.objects.get(pk=alert.pk).status
    unread = admin_api.post(f"/api/v1/alerts/{alert.public_id}/unread")

    assert (read.status_code, read.json()["statusValue"], after_read) == (200, 1, 1)
    assert (unread.json()["statusValue"], Alert.objects.get(pk=alert.pk).status) == (0, 0)


def test_an_application_closing_alerts_is_recorded_by_its_app_id(api_client, entra, tenant):
    alert = make_alert(tenant)
    token = entra.access_token(
        tid=entra.tid,
        audience=entra.clients[next(iter(entra.clients))].client_id,
        roles=["Investigation.manage"],
        client_id="soar-app",
    )

    response = api_client.post(
        "/api/v1/alerts/close_benign/",
        {"filters": {"id": {"eq": [alert.public_id]}}},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.json() == {"closed_benign": 1}
    assert Alert.objects.get(pk=alert.pk).handled_by == "soar-app"


@pytest.mark.parametrize("role", [Role.SECURITY_READER, Role.GLOBAL_READER])
def test_readers_read_alerts_but_cannot_close_or_mark_them(token_client, alerts, role):
    client = token_client(role)
    alert = alerts[0]

    listed = client.get("/api/v1/alerts/")
    attempts = [
        client.post(
            "/api/v1/alerts/close_benign/",
            {"filters": {"id": {"eq": [alert.public_id]}}},
            format="json",
        ),
        client.post(f"/api/v1/alerts/{alert.public_id}/read/"),
        client.post(f"/api/v1/alerts/{alert.public_id}/dismiss/"),
    ]

    assert listed.status_code == 200
    assert [a.status_code for a in attempts] == [403, 403, 403]
    assert attempts[0].json() == {
        "detail": "This requires the Investigation.manage or Discovery.manage permission."
    }
    assert Alert.objects.get(pk=alert.pk).resolution_status == Resolution.OPEN
    assert Alert.objects.get(pk=alert.pk).status == 0
