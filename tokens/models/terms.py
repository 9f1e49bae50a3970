"""The words a token is described with: its kinds, the rules of its name and description,
and what it may do, described."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models

from core.names import is_clean_name

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 300


class Kind(models.TextChoices):
    API = "api", "API token"
    SIEM = "siem", "SIEM agent"
    LOG_COLLECTOR = "log_collector", "Log collector"
    SCIM = "scim", "SCIM provisioning"


def validate_token_name(name: str) -> None:
    if not name:
        raise ValidationError("Enter a token name.", code="required")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            "Token names are at most %(limit)d characters; this one has %(length)d.",
            code="max_length",
            params={"limit": NAME_MAX_LENGTH, "length": len(name)},
        )
    if not is_clean_name(name):  # core/names.py: no control or invisible characters
        raise ValidationError(
            "Token names cannot contain control or invisible characters.", code="invalid"
        )


@dataclass(frozen=True)
class Access:
    """What a token may do, described (ApiToken.access)."""

    narrowed: bool
    can: list[tuple[str, str]]
    cannot: list[tuple[str, str]]


def validate_token_description(description: str) -> None:
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            "Descriptions are at most %(limit)d characters; this one has %(length)d.",
            code="max_length",
            params={"limit": DESCRIPTION_MAX_LENGTH, "length": len(description)},
        )
    if not is_clean_name(description):
        raise ValidationError(
            "Descriptions cannot contain control or invisible characters.", code="invalid"
        )
