"""Usage insight without a write per request (tokens/usage.py): counts, addresses and user
agents are added up in the process, go to the shared cache in the throttle's round trip
once due (at once in these tests, unless one says otherwise), are folded into the database at
most once a minute per token, and are shown current (database plus cache) on the API; the
steady-state request stays at one SELECT and no write. On the local cache and on a real
Redis."""

from datetime import timedelta

import pytest
import redis
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import skip_or_fail
from tests.factories import make_token
from tokens.models import ApiToken, TokenUsageDay
from tokens.usage import usage_of


@pytest.fixture(params=["local", "redis"])
def shared_cache(request, settings, worker_id):
    """The default cache as the product runs it: Django's local memory, or Redis through
    core.cache.ResilientRedisCache (a database of this test worker's own, emptied for each
    test: xdist's workers run at once)."""
    if request.param == "redis":
        number = 8 + (int(worker_id[2:]) if worker_id.startswith("gw") else 0)
        url = f"redis://127.0.0.1:6379/{number}"
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
        except redis.RedisError as error:
            skip_or_fail(f"Redis is not reachable at {url}: {error}")
        settings.CACHES = {
            "default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": url}
        }
    caches["default"].clear()
    yield request.param
    caches["default"].clear()


def use(api_client, value, ip="203.0.113.1", agent="Script/1.0", times=1):
    for _ in range(times):
        response = api_client.get(
            "/api/v1/me/",
            HTTP_AUTHORIZATION=f"Token {value}",
            REMOTE_ADDR=ip,
            HTTP_USER_AGENT=agent,
        )
        assert response.status_code == 200


def a_minute_passes(token):
    """The next use is due to write again (as 61 seconds later)."""
    stale = ApiToken.objects.get(pk=token.pk).last_used_at - timedelta(seconds=61)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)


def test_uses_are_counted_without_a_write_and_shown_current(api_client, reader, shared_cache):
    token, value = make_token(reader)
    use(api_client, value)  # the first use writes (and logs it)

    with CaptureQueriesContext(connection) as steady:
        use(api_client, value, times=4)

    assert len(steady) == 4  # one SELECT each
    assert all(q["sql"].lstrip().upper().startswith(("SELECT", "QUERY = 'SELECT")) for q in steady)
    shown = usage_of(ApiToken.objects.get(pk=token.pk))
    assert shown["requests_per_day"][-1] == {"day": timezone.now().date().isoformat(), "count": 5}
    assert len(shown["requests_per_day"]) == 30
    assert TokenUsageDay.objects.filter(token=token).count() == 0  # nothing folded yet


def test_a_fold_moves_counts_and_addresses_into_the_database(api_client, reader, shared_cache):
    token, value = make_token(reader)
    use(api_client, value, ip="198.51.100.1", agent="First/1.0")
    use(api_client, value, ip="198.51.100.2", agent="Second/2.0", times=3)
    a_minute_passes(token)

    use(api_client, value, ip="198.51.100.3", agent="Third/3.0")

    token.refresh_from_db()
    assert (token.last_used_ip, token.last_used_user_agent) == ("198.51.100.3", "Third/3.0")
    assert [entry["ip"] for entry in token.recent_ips] == [
        "198.51.100.3",
        "198.51.100.2",
        "198.51.100.1",
    ]
    # The four earlier uses folded; this one is still in the cache, and shown.
    assert TokenUsageDay.objects.get(token=token).count == 4
    assert usage_of(token)["requests_per_day"][-1]["count"] == 5


def test_the_last_five_distinct_addresses_newest_first(api_client, reader, shared_cache):
    token, value = make_token(reader)
    for n in range(1, 8):
        use(api_client, value, ip=f"192.0.2.{n}")
        a_minute_passes(token)
    use(api_client, value, ip="192.0.2.3")  # used again: it moves to the front

    token.refresh_from_db()
    assert [entry["ip"] for entry in token.recent_ips] == [
        "192.0.2.3",
        "192.0.2.7",
        "192.0.2.6",
        "192.0.2.5",
        "192.0.2.4",
    ]
    assert TokenUsageDay.objects.get(token=token).count == 7


def test_losing_the_cache_loses_counts_since_the_last_fold_never_events(
    api_client, reader, shared_cache
):
    token, value = make_token(reader)
    use(api_client, value, times=3)
    a_minute_passes(token)
    use(api_client, value)  # folds the three
    use(api_client, value, times=2)

    cache.clear()  # Redis lost

    shown = usage_of(ApiToken.objects.get(pk=token.pk))
    assert shown["requests_per_day"][-1]["count"] == 3
    assert list(token.events.values_list("kind", flat=True).order_by("id")) == [
        "generated",
        "first_used",
    ]


def test_the_api_answers_a_tokens_usage(client, admin_user, api_client, shared_cache):
    token, value = make_token(admin_user, name="Nightly export")
    use(api_client, value, ip="203.0.113.50", agent="curl/8.5.0", times=2)
    client.force_login(admin_user)

    body = client.get(f"/api/v1/tokens/{token.pk}/").json()

    assert (body["last_used_ip"], body["last_used_user_agent"]) == ("203.0.113.50", "curl/8.5.0")
    assert [entry["ip"] for entry in body["recent_ips"]] == ["203.0.113.50"]
    assert body["requests_per_day"][-1]["count"] == 2
    assert sum(day["count"] for day in body["requests_per_day"]) == 2
    assert body["last_used"] is not None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_process_adds_its_uses_up_and_sends_them_when_due(
    api_client, reader, shared_cache, settings, monkeypatch
):
    """As the product runs (TOKEN_USAGE_FLUSH_SECONDS > 0): uses wait in the process, and the
    first request after the interval sends them all, the day's count and each address."""
    from tokens import usage

    clock = Clock()
    monkeypatch.setattr(usage, "TALLY", usage.Tally(clock=clock))
    settings.TOKEN_USAGE_FLUSH_SECONDS = 3600  # no idle sender in time for this test
    token, value = make_token(reader)
    use(api_client, value)  # the first use writes its own fold (and the first-use event)
    use(api_client, value, ip="198.51.100.7", agent="Agent/2", times=4)

    waiting = usage_of(ApiToken.objects.get(pk=token.pk))
    assert waiting["requests_per_day"][-1]["count"] == 0
    assert [entry["ip"] for entry in waiting["recent_ips"]] == ["203.0.113.1"]

    clock.now += 3600
    use(api_client, value, ip="198.51.100.7", agent="Agent/3")

    sent = usage_of(ApiToken.objects.get(pk=token.pk))
    assert sent["requests_per_day"][-1]["count"] == 6
    assert [entry["ip"] for entry in sent["recent_ips"]] == ["198.51.100.7", "203.0.113.1"]
    assert (sent["last_used_ip"], sent["last_used_user_agent"]) == ("198.51.100.7", "Agent/3")
