"""The alerts the portal raises have a home (issue 21, C): the Alerts page lists the tenant's
alerts newest first, filtered by severity, status and kind and searched by title, in pages,
the view in the URL; each opens its page, where those who may close it; the navigation counts
the open high-severity ones."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from security.enumerations import Resolution, Severity
from security.models import Alert
from tests.factories import make_alert, make_user

HOST = {"HTTP_HOST": "contoso.us2.portal.test"}
PAGE = "/alerts/"


@pytest.fixture
def alerts(tenant, other_tenant):
    now = timezone.now()
    made = {
        "exposed": make_alert(
            tenant,
            title="API token exposed publicly",
            source="portal",
            severity=Severity.HIGH,
            timestamp=now - timedelta(minutes=1),
        ),
        "travel": make_alert(
            tenant,
            title="Impossible travel activity",
            severity=Severity.MEDIUM,
            timestamp=now - timedelta(hours=1),
        ),
        "ransom": make_alert(
            tenant,
            title="Ransomware activity",
            severity=Severity.HIGH,
            timestamp=now - timedelta(hours=2),
            resolution_status=Resolution.TRUE_POSITIVE,
        ),
        "admin": make_alert(
            tenant,
            title="Unusual administrative activity",
            severity=Severity.LOW,
            timestamp=now - timedelta(days=1),
        ),
    }
    make_alert(other_tenant, title="Fabrikam's own", severity=Severity.HIGH)
    return made


def titles(response) -> list[str]:
    return [alert.title for alert in response.context["page_obj"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "",
            [
                "API token exposed publicly",
                "Impossible travel activity",
                "Ransomware activity",
                "Unusual administrative activity",
            ],
        ),
        ("?severity=2", ["API token exposed publicly", "Ransomware activity"]),
        (
            "?status=0",
            [
                "API token exposed publicly",
                "Impossible travel activity",
                "Unusual administrative activity",
            ],
        ),
        ("?status=5", ["Ransomware activity"]),
        ("?kind=portal", ["API token exposed publicly"]),
        (
            "?kind=policy",
            [
                "Impossible travel activity",
                "Ransomware activity",
                "Unusual administrative activity",
            ],
        ),
        ("?search=ACTIVITY&severity=1", ["Impossible travel activity"]),
    ],
)
def test_the_tenants_alerts_newest_first_filtered_from_the_url(
    client, reader, alerts, query, expected
):
    client.force_login(reader)

    response = client.get(PAGE + query, **HOST)

    assert response.status_code == 200
    assert titles(response) == expected
    html = response.content.decode()
    for alert in Alert.objects.filter(title__in=expected):
        assert f'href="/alerts/{alert.public_id}/"' in html


def test_a_bad_filter_says_so_and_shows_every_alert(client, reader, alerts):
    client.force_login(reader)

    response = client.get(PAGE + "?severity=9&kind=nope", **HOST)

    assert response.status_code == 200
    assert len(titles(response)) == 4
    assert 'data-testid="alert-filter-errors"' in response.content.decode()
    assert set(response.context["filter_errors"]) == {"severity", "kind"}


def test_pages_of_fifty_in_the_url(client, reader, tenant):
    now = timezone.now()
    for n in range(55):
        make_alert(tenant, title=f"Alert number {n:02d}", timestamp=now - timedelta(minutes=n))
    client.force_login(reader)

    first = client.get(PAGE, **HOST)
    second = client.get(PAGE + "?page=2", **HOST)

    assert len(titles(first)) == 50
    assert titles(second) == [f"Alert number {n}" for n in range(50, 55)]
    assert "55 alerts · showing 1–50" in first.content.decode()


def test_someone_with_no_role_reads_no_alerts(client, tenant, alerts):
    client.force_login(make_user(tenant, ""))

    assert client.get(PAGE, **HOST).status_code == 403


def test_an_operator_closes_an_alert_with_a_reason_and_a_comment(client, tenant, alerts):
    operator = make_user(tenant, Role.SECURITY_OPERATOR, username="alex@contoso.com")
    travel = alerts["travel"]
    client.force_login(operator)

    page = client.get(f"/alerts/{travel.public_id}/", **HOST).content.decode()
    wrong = client.post(
        f"/alerts/{travel.public_id}/close/", {"kind": "benign", "reason": "0"}, **HOST
    )
    closed = client.post(
        f"/alerts/{travel.public_id}/close/",
        {"kind": "benign", "reason": "5", "comment": "The user was on a plane"},
        **HOST,
    )

    assert 'data-testid="close-alert"' in page
    assert wrong.status_code == 400
    assert wrong.context["form"].errors == {
        "reason": ["That reason does not go with this way of closing."]
    }
    assert (closed.status_code, closed["Location"]) == (302, f"/alerts/{travel.public_id}/")
    travel.refresh_from_db()
    assert (
        travel.resolution_status,
        travel.resolution_reason,
        travel.comment,
        travel.handled_by,
    ) == (Resolution.BENIGN, 5, "The user was on a plane", "alex@contoso.com")


def test_a_reader_may_not_close(client, reader, alerts):
    travel = alerts["travel"]
    client.force_login(reader)

    page = client.get(f"/alerts/{travel.public_id}/", **HOST).content.decode()
    refused = client.post(f"/alerts/{travel.public_id}/close/", {"kind": "benign"}, **HOST)

    assert 'data-testid="close-alert"' not in page
    assert refused.status_code == 403
    travel.refresh_from_db()
    assert travel.resolution_status == Resolution.OPEN


def test_the_navigation_counts_the_open_high_severity_alerts(client, reader, alerts):
    client.force_login(reader)

    html = client.get("/settings/security-extensions/api-tokens/", **HOST).content.decode()

    # The exposed token's (open, high); not the closed ransomware one, nor Fabrikam's.
    assert 'data-testid="open-high-alerts" title="Open high-severity alerts">1<' in html
    Alert.objects.filter(pk=alerts["exposed"].pk).update(resolution_status=Resolution.BENIGN)
    html = client.get("/settings/security-extensions/api-tokens/", **HOST).content.decode()
    assert 'data-testid="open-high-alerts"' not in html
    assert 'data-testid="nav-alerts"' in html
