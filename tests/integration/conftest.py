import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from tests.factories import make_token, make_user

CONTOSO = "contoso.us2.portal.test"


@pytest.fixture
def token_client(tenant):
    """An API client holding the API token of a new user of Contoso with the given role, as a
    script would (the user is on `client.user`)."""

    def token_client(role: str = Role.GLOBAL_ADMIN, kind: str = "api", host: str = CONTOSO):
        user = make_user(tenant, role)
        _, value = make_token(user, kind=kind)
        client = APIClient(
            HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION=f"Token {value}", HTTP_HOST=host
        )
        client.user = user
        return client

    return token_client


class Clock:
    """A clock the test moves by hand: `now` seconds since the epoch, starting 10 s into a
    one-minute window, so that a test's requests fall in one window unless it says so."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0 - 1_800_000_000.0 % 60 + 10

    def __call__(self) -> float:
        return self.now

    def next_window(self, length: int) -> None:
        self.now = self.now - self.now % length + length + 0.01


@pytest.fixture
def throttle_clock(monkeypatch):
    """The throttle's clock, under the test's control (core/throttling.py)."""
    from core.throttling import TenantRateThrottle

    clock = Clock()
    monkeypatch.setattr(TenantRateThrottle, "clock", staticmethod(clock))
    return clock


@pytest.fixture
def admin_api(token_client):
    """A full admin's token: may read and change everything."""
    return token_client(Role.GLOBAL_ADMIN)
