"""Token expiry (issue 14, part 1): chosen at generation (a moment, days from now, or never),
refused from its very second with 401 "Token expired" and a refused-use event, the Expired
status derived at query time, and bad expiries refused with nothing made."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import make_token
from tokens.expiry import expiry_on
from tokens.lifecycle import EventReason, Status
from tokens.models import ApiToken, EventKind, TokenEvent

TOKENS = "/api/v1/tokens/"


def generate(api_client, user, **body):
    api_client.force_login(user)
    response = api_client.post(TOKENS, {"name": "Expiring", **body}, format="json")
    api_client.logout()
    return response


@pytest.mark.parametrize("days", [7, 30, 90, 365])
def test_expires_in_days_is_that_many_days_from_now(api_client, reader, days):
    before = timezone.now().replace(microsecond=0)
    response = generate(api_client, reader, expires_in_days=days)

    assert response.status_code == 201
    expires = datetime.fromisoformat(response.json()["expires_at"])
    assert before + timedelta(days=days) <= expires <= timezone.now() + timedelta(days=days)
    assert ApiToken.objects.get().expires_at == expires


def test_an_expiry_moment_and_never(api_client, reader):
    moment = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    at = generate(api_client, reader, expires_at=moment.isoformat())
    naive = generate(api_client, reader, expires_at="2030-06-01T12:00:00")  # read as UTC
    never = generate(api_client, reader, expires_at=None)
    default = generate(api_client, reader)

    assert at.status_code == never.status_code == default.status_code == 201
    assert datetime.fromisoformat(at.json()["expires_at"]) == moment
    utc_noon = datetime(2030, 6, 1, 12, tzinfo=UTC)
    assert datetime.fromisoformat(naive.json()["expires_at"]) == utc_noon
    assert never.json()["expires_at"] is None
    # neither: the tenant policy's default, 90 days when the tenant has set none
    lifetime = datetime.fromisoformat(default.json()["expires_at"]) - timezone.now()
    assert timedelta(days=89) < lifetime <= timedelta(days=90)


def test_a_date_means_through_that_day_in_utc():
    assert expiry_on(date(2027, 1, 31)) == datetime(2027, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at: The expiry must be in the future."),
        ({"expires_at": "2027-02-30T00:00:00Z"}, "expires_at: Datetime has wrong format."),
        ({"expires_at": "next week"}, "expires_at: Datetime has wrong format."),
        ({"expires_at": "9999-12-31T00:00:00Z"}, "expires_at: The expiry can be at most 3650"),
        (
            {"expires_in_days": 0},
            "expires_in_days: Ensure this value is greater than or equal to 1",
        ),
        ({"expires_in_days": 3651}, "expires_in_days: Ensure this value is less than or equal"),
        ({"expires_in_days": "²"}, "expires_in_days: A valid integer is required."),
        ({"expires_in_days": "30"}, "expires_in_days: A valid integer is required."),
        ({"expires_in_days": True}, "expires_in_days: A valid integer is required."),
        (
            {"expires_in_days": 7, "expires_at": None},
            "Give expires_at or expires_in_days, not both.",
        ),
    ],
)
def test_a_bad_expiry_is_a_400_and_makes_nothing(api_client, reader, body, detail):
    response = generate(api_client, reader, **body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert not ApiToken.objects.exists()


def test_an_expired_token_is_refused_from_its_very_second_and_logged(api_client, reader):
    token, value = make_token(reader)
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(expires_at=now + timedelta(seconds=30))
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}").status_code == 200

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}")

    assert response.status_code == 401
    assert response.json() == {"detail": "Token expired"}
    refused = TokenEvent.objects.get(token=token, kind=EventKind.REFUSED)
    assert (refused.reason, refused.detail) == (
        EventReason.EXPIRED,
        "Refused: the token has expired.",
    )


def test_expired_is_a_status_of_its_own_and_first(reader):
    now = timezone.now()
    make_token(reader, name="fresh")
    used_expired, _ = make_token(reader, name="used, expired")
    soon, _ = make_token(reader, name="expires later")
    ApiToken.objects.filter(pk=used_expired.pk).update(
        last_used_at=now - timedelta(days=1), expires_at=now - timedelta(seconds=1)
    )
    ApiToken.objects.filter(pk=soon.pk).update(expires_at=now + timedelta(days=1))

    statuses = dict(ApiToken.objects.with_status(now).values_list("name", "status"))
    expired = ApiToken.objects.filter_status(Status.EXPIRED, now).values_list("name", flat=True)
    generated = ApiToken.objects.filter_status(Status.GENERATED, now)

    assert statuses == {
        "fresh": "generated",
        "used, expired": "expired",
        "expires later": "generated",
    }
    assert list(expired) == ["used, expired"]
    assert sorted(generated.values_list("name", flat=True)) == ["expires later", "fresh"]


def test_the_api_lists_expired_tokens_under_their_filter(api_client, reader):
    token, _ = make_token(reader, name="old")
    make_token(reader, name="current")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))
    api_client.force_login(reader)

    listed = api_client.get(TOKENS, {"status": "expired"}).json()["results"]

    assert [(t["name"], t["status"]) for t in listed] == [("old", "expired")]
