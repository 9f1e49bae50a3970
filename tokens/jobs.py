"""The token jobs, run as background tasks (tokens/tasks.py) by `manage.py db_worker` and
enqueued by `manage.py token_jobs` (from cron or a systemd timer; `make run` runs both).

Each may run in several workers at once, or twice in a row, and still does its work once:
- an expiry reminder is a row (ExpiryReminder, unique per token and reminder) written in the
  transaction that sends the mail: a second worker's insert waits for the first's commit and
  fails, so it skips that token; a mail server that fails rolls the row back, and the next run
  tries again (a mail accepted and then a failed commit is the one way to get it twice);
- a dormant token is revoked by the conditional UPDATE of token_revoke (`revoked_at IS NULL`):
  of two workers one wins, and only the winner writes the event and sends the e-mail."""

import logging
import smtplib
from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from core.http import SYSTEM
from tokens.models import (
    ApiToken,
    EventKind,
    EventReason,
    ExpiryReminder,
    Kind,
    TokenPolicy,
)
from tokens.notifications import expiry_reminder, tell_owner_dormant
from tokens.services import token_event, token_revoke
from tokens.usage import last_used_at

logger = logging.getLogger(__name__)

REMINDER_DAYS = (1, 7)  # the most urgent first: a token with a day left gets that one only
BATCH = 500  # tokens looked at per reminder per run; the rest wait for the next run


def reminders_due(days: int, now: datetime):
    """Tokens that expire within `days` days, whose owner has not had that reminder, that
    live longer than the reminder's window (a 7-day token gets no "7 days left" on its first
    day) and still work (current, their owner not deprovisioned, with an e-mail address)."""
    lifetime = ExpressionWrapper(F("expires_at") - F("created_at"), output_field=DurationField())
    due = (
        ApiToken.objects.current()
        .filter(kind=Kind.API, expires_at__gt=now, expires_at__lte=now + timedelta(days=days))
        .alias(lifetime=lifetime)
        .filter(lifetime__gt=timedelta(days=days))
        .filter(user__deprovisioned_at__isnull=True)
        .exclude(user__email="")
        .exclude(reminders__days_before=days)
    )
    for shorter in REMINDER_DAYS:
        if shorter < days:
            due = due.exclude(expires_at__lte=now + timedelta(days=shorter))
    return due.select_related("user", "tenant").order_by("expires_at", "pk")


def expiry_reminders_send(now: datetime | None = None) -> int:
    """E-mails each owner whose token expires within 7 days, then within 1 day, once each.
    Returns how many this run sent."""
    now = now or timezone.now()
    sent = 0
    for days in REMINDER_DAYS:
        for token in reminders_due(days, now)[:BATCH]:
            sent += _remind(token, days, now)
    return sent


def _remind(token: ApiToken, days: int, now: datetime) -> int:
    try:
        with transaction.atomic():
            ExpiryReminder.objects.create(
                tenant_id=token.tenant_id, token=token, days_before=days, sent_at=now
            )
            plural = "s" if days > 1 else ""
            token_event(
                token=token, kind=EventKind.REMINDED, origin=SYSTEM, at=now,
                system="System (expiry reminder)",
                detail=f"Told its owner it expires in {days} day{plural}.",
            )  # fmt: skip
            expiry_reminder(token, days).send()
    except IntegrityError:
        return 0  # another worker sent it
    except OperationalError:
        logger.warning("Reminder for token %s left for the next run: database busy", token.pk)
        return 0
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("Reminder for token %s left for the next run: %s", token.pk, error)
        return 0
    return 1


def dormant_tokens_retire(now: datetime | None = None) -> int:
    """In each tenant whose policy retires unused tokens: revokes (reason "dormant") every
    live API token not used for its N days (never used: N days since it was made), with an
    event and an e-mail to its owner. Returns how many this run revoked."""
    now = now or timezone.now()
    retired = 0
    for policy in TokenPolicy.objects.filter(dormant_days__isnull=False).order_by("tenant_id"):
        days = policy.dormant_days
        assert days is not None  # noqa: S101  (the filter above)
        cutoff = now - timedelta(days=days)
        due = dormant(policy.tenant_id, cutoff).select_related("user", "tenant").order_by("pk")
        for token in due.iterator(chunk_size=BATCH):
            retired += _retire(token, days, cutoff)
    return retired


def dormant(tenant_id: int, cutoff: datetime):
    """The tenant's live API tokens last used before `cutoff` (never used: made before it),
    as far as the database knows."""
    return (
        ApiToken.objects.for_tenant(tenant_id)
        .live()
        .filter(kind=Kind.API)
        .filter(Q(last_used_at__lt=cutoff) | Q(last_used_at__isnull=True, created_at__lt=cutoff))
    )


def dormant_count(tenant_id: int, days: int, *, bound: int) -> int:
    """How many tokens the next retirement run would revoke, counted up to `bound` + 1."""
    cutoff = timezone.now() - timedelta(days=days)
    return dormant(tenant_id, cutoff).order_by()[: bound + 1].count()


def _retire(token: ApiToken, days: int, cutoff: datetime) -> int:
    last = last_used_at(token)
    if last is not None and last >= cutoff:
        return 0  # used within the last minute: the cache knew, the database not yet
    if not token_revoke(
        token=token, by=None, reason=EventReason.DORMANT, origin=SYSTEM,
        system=f"System (token policy: unused for {days} days)",
        detail=f"Retired: not used for {days} days.",
    ):  # fmt: skip
        return 0  # another worker, or its owner, revoked it first
    tell_owner_dormant(token, days)  # sent once the revocation has committed
    return 1
