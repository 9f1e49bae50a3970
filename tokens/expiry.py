"""The vocabulary of a token's life span, defined once: the expiries the forms and the API
offer (and the policy's default among them), how far away an expiry may be, and the grace
periods a rotation offers for the old value."""

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

# What a token's expiry may be, as the generation dialog offers it: days from now, or never.
EXPIRY_DAYS = {"7": 7, "30": 30, "90": 90, "365": 365}
DEFAULT_EXPIRY = "90"
EXPIRY_CHOICES = [
    ("7", "7 days"),
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
    ("date", "On a date…"),
    ("never", "Never"),
]

MAX_EXPIRY_DAYS = 3650  # ten years: the furthest date the API and the dialog take


def expiry_in_days(days: int, now: datetime | None = None) -> datetime:
    """The moment `days` days from now (to the second)."""
    return (now or timezone.now()).replace(microsecond=0) + timedelta(days=days)


def expiry_on(day) -> datetime:
    """A token that expires "on" a date works through that day (UTC): it is refused from
    the next day's midnight."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def expiry_of(choice: str, on=None) -> datetime | None:
    """The moment an expiry choice of the forms means: "date" through the day `on`,
    "never" None, otherwise that many days (EXPIRY_DAYS) from now."""
    if choice == "date":
        return expiry_on(on)
    if choice == "never":
        return None
    return expiry_in_days(EXPIRY_DAYS[choice])


def token_check_expiry(expires_at: datetime | None, *, now: datetime) -> datetime | None:
    """The expiry a new token may have: None (never), or a moment after now and at most
    MAX_EXPIRY_DAYS away. Raises ValidationError (on `expires_at`) saying what is wrong."""
    if expires_at is None:
        return None
    problem = None
    if timezone.is_naive(expires_at):  # the API reads a time without a zone as UTC
        problem = "Give the expiry with its time zone (ISO 8601, e.g. 2027-01-31T00:00:00Z)."
    elif expires_at <= now:
        problem = "The expiry must be in the future."
    elif expires_at > now + timedelta(days=MAX_EXPIRY_DAYS):
        problem = f"The expiry can be at most {MAX_EXPIRY_DAYS} days away."
    if problem:
        raise ValidationError({"expires_at": [problem]})
    return expires_at


# What a tenant's token policy may name as its default expiry: the choices but a date.
POLICY_EXPIRY_CHOICES = [(value, label) for value, label in EXPIRY_CHOICES if value != "date"]

# How long a rotated-out value keeps working: (value, the dialog's label, how long).
GRACE_CHOICES = [
    ("none", "None: the old value stops now", timedelta(0)),
    ("1h", "1 hour", timedelta(hours=1)),
    ("24h", "24 hours", timedelta(hours=24)),
    ("7d", "7 days", timedelta(days=7)),
]
GRACE_PERIODS = {value: length for value, _, length in GRACE_CHOICES}
DEFAULT_GRACE = "24h"
