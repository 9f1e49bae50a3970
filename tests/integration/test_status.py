from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_token
from tokens.models import ApiToken

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)

CASES = [
    pytest.param(None, "generated", id="never-used"),
    pytest.param(timedelta(0), "active", id="used-now"),
    pytest.param(timedelta(days=3), "active", id="used-3-days-ago"),
    pytest.param(timedelta(days=7), "active", id="used-exactly-7-days-ago"),
    pytest.param(timedelta(days=7, microseconds=1), "inactive", id="used-just-over-7-days-ago"),
    pytest.param(timedelta(days=8), "inactive", id="used-8-days-ago"),
    pytest.param(timedelta(days=400), "inactive", id="used-400-days-ago"),
]


@pytest.mark.parametrize(("used_ago", "expected"), CASES)
def test_status_is_derived_from_last_use(reader, used_ago, expected):
    token, _ = make_token(reader)
    last_used = None if used_ago is None else NOW - used_ago
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=last_used)

    annotated = ApiToken.objects.with_status(NOW).get(pk=token.pk)
    matching = {
        status
        for status in ("generated", "active", "inactive")
        if ApiToken.objects.filter_status(status, NOW).filter(pk=token.pk).exists()
    }

    assert annotated.status == expected
    assert matching == {expected}


@pytest.mark.parametrize(("used_ago", "expected"), CASES)
def test_api_status_filter_returns_exactly_the_tokens_of_that_status(
    api_client, reader, used_ago, expected, monkeypatch
):
    # Tokens of all three statuses, plus the one under test.
    make_token(reader, name="generated")
    active, _ = make_token(reader, name="active")
    inactive, _ = make_token(reader, name="inactive")
    ApiToken.objects.filter(pk=active.pk).update(last_used_at=NOW - timedelta(days=1))
    ApiToken.objects.filter(pk=inactive.pk).update(last_used_at=NOW - timedelta(days=30))
    subject, _ = make_token(reader, name="subject")
    ApiToken.objects.filter(pk=subject.pk).update(
        last_used_at=None if used_ago is None else NOW - used_ago
    )
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    api_client.force_authenticate(reader)

    names = {
        status: sorted(
            t["name"] for t in api_client.get(f"/api/v1/tokens/?status={status}").json()["results"]
        )
        for status in ("generated", "active", "inactive")
    }

    expected_names = {"generated": ["generated"], "active": ["active"], "inactive": ["inactive"]}
    expected_names[expected] = sorted([*expected_names[expected], "subject"])
    assert names == expected_names
