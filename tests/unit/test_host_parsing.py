import pytest

from accounts.middleware import parse_tenant_host


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("contoso.us2.portal.test", ("contoso", "us2")),
        ("contoso.us2.portal.test:8443", ("contoso", "us2")),
        ("portal.test", None),
        ("portal.test:8000", None),
        ("us2.portal.test", None),
        ("a.b.us2.portal.test", None),
        (".us2.portal.test", None),
        ("contoso.us2.portal.test.evil.com", None),
        ("contoso.us2.evilportal.test", None),
        ("127.0.0.1:8000", None),
        ("[::1]", None),
        ("testserver", None),
    ],
)
def test_custom_urls_name_slug_and_region(settings, host, expected):
    settings.PORTAL_DOMAIN = "portal.test"
    assert parse_tenant_host(host) == expected
