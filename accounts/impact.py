"""What deprovisioning a user would break, told by the apps above accounts (tokens/ says
which of their API tokens were used lately): each registers a provider in its ready(), and
the users API and the Users page show what they answer before and after the change."""

from collections.abc import Callable
from typing import Any

_PROVIDERS: list[Callable[[Any], dict]] = []


def register(provider: Callable[[Any], dict]) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def deprovision_impact(user) -> dict:
    """Every provider's answer about `user`, merged (keys are the providers' own)."""
    impact: dict = {}
    for provider in _PROVIDERS:
        impact.update(provider(user))
    return impact
