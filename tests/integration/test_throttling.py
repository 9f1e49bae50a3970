"""30 requests a minute per tenant by default, counted in the shared cache; over it a 429
that says "throttled" with a Retry-After; the count starts again with the next window."""

import pytest

from accounts.roles import Role


@pytest.fixture
def throttle(settings, throttle_clock):
    """The throttle on, as in production (the suite turns it off elsewhere), with a clock
    the test moves (`throttle_clock`), so no test sleeps through a window."""
    settings.API_THROTTLE_PER_MINUTE = 30
    settings.API_THROTTLE_WINDOW = 60
    return settings


def test_the_31st_request_in_a_minute_is_a_429(token_client, throttle):
    client = token_client(Role.SECURITY_READER)

    statuses = [client.get("/api/v1/me/").status_code for _ in range(30)]
    refused = client.get("/api/v1/alerts/")

    assert statuses == [200] * 30
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_the_count_is_per_tenant_not_per_token(token_client, tenant, other_tenant, throttle):
    from rest_framework.test import APIClient

    from tests.factories import make_token, make_user

    throttle.API_THROTTLE_PER_MINUTE = 3
    first, second = token_client(), token_client()
    _, theirs = make_token(make_user(other_tenant, Role.GLOBAL_ADMIN))
    fabrikam = APIClient(HTTP_AUTHORIZATION=f"Token {theirs}", HTTP_ACCEPT="application/json")

    statuses = [c.get("/api/v1/me/").status_code for c in (first, second, first, second)]
    other = fabrikam.get("/api/v1/me/")

    assert statuses == [200, 200, 200, 429]
    assert other.status_code == 200


def test_the_count_resets_with_the_window(token_client, throttle, throttle_clock):
    throttle.API_THROTTLE_PER_MINUTE = 2
    throttle.API_THROTTLE_WINDOW = 2  # a two-second "minute"
    client = token_client()
    throttle_clock.next_window(2)

    before = [client.get("/api/v1/me/").status_code for _ in range(3)]
    throttle_clock.next_window(2)
    after = client.get("/api/v1/me/").status_code

    assert before == [200, 200, 429]
    assert after == 200


def test_zero_turns_it_off(token_client, throttle):
    throttle.API_THROTTLE_PER_MINUTE = 0
    client = token_client()

    assert {client.get("/api/v1/me/").status_code for _ in range(40)} == {200}


def test_scim_and_the_siem_feed_are_not_counted(token_client, admin_user, throttle, settings):
    from rest_framework.test import APIClient

    from extensions.services import siem_agent_create
    from tokens.rotation import scim_token_rotate

    throttle.API_THROTTLE_PER_MINUTE = 2
    settings.SIEM_FEED_LAG_SECONDS = 0
    _, scim = scim_token_rotate(user=admin_user)
    _, siem = siem_agent_create(
        user=admin_user, name="S", output_format="json", send_alerts=True, send_activities=False
    )
    scim_client = APIClient(HTTP_AUTHORIZATION=f"Bearer {scim}")
    siem_client = APIClient(HTTP_AUTHORIZATION=f"Token {siem}")

    provisioning = {scim_client.get("/scim/v2/Users").status_code for _ in range(5)}
    feed = {siem_client.get("/api/v1/siem/events/").status_code for _ in range(5)}
    api = [token_client().get("/api/v1/me/").status_code for _ in range(3)]

    assert (provisioning, feed) == ({200}, {200})
    assert api == [200, 200, 429]


def test_on_redis_the_count_is_one_pipelined_round_trip(token_client, throttle, settings):
    """The production cache: the counter lives in Redis with an expiry, and counts right."""
    import redis
    from django.core.cache import caches

    from conftest import skip_or_fail

    url = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        skip_or_fail(f"Redis is not reachable at {url}: {error}")
    settings.CACHES = {"default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": url}}
    throttle.API_THROTTLE_PER_MINUTE = 3
    client = token_client()

    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    raw = redis.Redis.from_url(url)
    (key,) = raw.keys("*throttle:tenant:*")
    assert int(raw.get(key)) == 4
    assert 0 < raw.ttl(key) <= 65
    assert caches["default"].__class__.__name__ == "ResilientRedisCache"
    assert caches["default"].available
    raw.flushdb()
