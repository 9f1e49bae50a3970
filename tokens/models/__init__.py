"""The tokens app's models, one module each by what they are (Django finds models through
this package, so each is named here once)."""

from tokens.models.events import ActorKind, EventKind, TokenEvent, TokenEventQuerySet
from tokens.models.notices import ExpiryReminder, Notice, NoticeQuerySet
from tokens.models.policy import DEFAULT_NOTICE_DAYS, MAX_NOTICE_DAYS, TokenPolicy
from tokens.models.queries import ApiTokenQuerySet
from tokens.models.terms import (
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Access,
    Kind,
    validate_token_description,
    validate_token_name,
)
from tokens.models.token import EXPIRY_WARNING, ApiToken, TokenCapabilityDay, TokenUsageDay

__all__ = [
    "DEFAULT_NOTICE_DAYS",
    "DESCRIPTION_MAX_LENGTH",
    "EXPIRY_WARNING",
    "MAX_NOTICE_DAYS",
    "NAME_MAX_LENGTH",
    "Access",
    "ActorKind",
    "ApiToken",
    "ApiTokenQuerySet",
    "EventKind",
    "ExpiryReminder",
    "Kind",
    "Notice",
    "NoticeQuerySet",
    "TokenCapabilityDay",
    "TokenEvent",
    "TokenEventQuerySet",
    "TokenPolicy",
    "TokenUsageDay",
    "validate_token_description",
    "validate_token_name",
]
