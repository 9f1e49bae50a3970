"""Where a request came from (core.http.origin_of), as the token event log and usage record
it: the trusted proxies' reading of X-Forwarded-For, or a trusted header, never a spoofed
value that is not an address."""

import pytest
from django.test import RequestFactory

from core.http import origin_of


@pytest.mark.parametrize(
    ("proxies", "header", "meta", "ip"),
    [
        (0, None, {"REMOTE_ADDR": "198.51.100.7"}, "198.51.100.7"),
        # without trusted proxies, X-Forwarded-For is the client's word: ignored
        (0, None, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "10.0.0.1"),
        (
            1,
            None,
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"},
            "203.0.113.9",
        ),
        (
            2,
            None,
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9, 10.0.0.2"},
            "203.0.113.9",
        ),
        (2, None, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "10.0.0.1"),
        (1, None, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "not-an-ip"}, None),
        (
            0,
            "X-Real-IP",
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "2001:db8::1"},
            "2001:db8::1",
        ),
        (0, "X-Real-IP", {"REMOTE_ADDR": "10.0.0.1"}, None),
    ],
)
def test_the_client_address(settings, proxies, header, meta, ip):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = header
    request = RequestFactory().get("/", **meta, HTTP_USER_AGENT="curl/8.5.0")

    origin = origin_of(request)

    assert (origin.ip, origin.user_agent) == (ip, "curl/8.5.0")


def test_a_long_user_agent_is_cut_to_300_characters():
    request = RequestFactory().get("/", HTTP_USER_AGENT="x" * 5000)

    assert origin_of(request).user_agent == "x" * 300
