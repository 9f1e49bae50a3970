"""The token jobs, run as background tasks (tokens/tasks.py) by `manage.py db_worker` and
enqueued by `manage.py token_jobs` (from cron or a systemd timer; `make run` runs both).

Each may run in several workers at once, or twice in a row, and still does its work once:
- an expiry reminder is a row (ExpiryReminder, unique per token and reminder) written in the
  transaction that writes its notice (tokens/outbox.py, which sends it): a second worker's
  insert waits for the first's commit and fails, so it skips that token;
- a dormant token is revoked by the conditional UPDATE of token_revoke (`revoked_at IS NULL`):
  of two workers one wins, and only the winner writes the event and the notice;
- a task whose worker died (killed mid-run) stays "RUNNING" in the queue: the trigger puts
  it back in the queue once it has run longer than TASK_LEASE (`tasks_reclaim`)."""

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import DurationField, ExpressionWrapper, F, Min
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from core.http import SYSTEM
from core.metrics import database_gauge
from tokens.events import token_event
from tokens.lifecycle import EventReason
from tokens.models import ApiToken, EventKind, ExpiryReminder, Kind, Notice, TokenPolicy
from tokens.notifications import tell_owner_dormant, tell_owner_expiring, time_left
from tokens.policy import dormant
from tokens.services import token_revoke
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
    assert token.expires_at is not None  # noqa: S101  (reminders_due: expiring tokens)
    left = time_left(token.expires_at, now)
    try:
        with transaction.atomic():
            ExpiryReminder.objects.create(
                tenant_id=token.tenant_id, token=token, days_before=days, sent_at=now
            )
            token_event(
                token=token,
                kind=EventKind.REMINDED,
                origin=SYSTEM,
                at=now,
                system="System (expiry reminder)",
                detail=f"Told its owner it expires {left} ({token.expires_at:%Y-%m-%d %H:%M} UTC).",
            )
            tell_owner_expiring(token, now)
    except IntegrityError:
        return 0  # another worker reminded it
    except OperationalError:
        logger.warning("Reminder for token %s left for the next run: database busy", token.pk)
        return 0
    return 1


def dormant_tokens_retire(now: datetime | None = None) -> int:
    """In each tenant whose policy retires unused tokens (past the rule's notice period):
    revokes (reason "dormant") every live API token not used for its N days (never used: N
    days since it was made), with an event and an e-mail to its owner. Returns how many
    this run revoked."""
    now = now or timezone.now()
    retired = 0
    for policy in TokenPolicy.objects.filter(dormant_days__isnull=False).order_by("tenant_id"):
        if not policy.retiring(now):
            continue  # a new or shortened rule in its notice period: nothing retires yet
        days = policy.dormant_days
        assert days is not None  # noqa: S101  (the filter above)
        cutoff = now - timedelta(days=days)
        due = dormant(policy.tenant_id, cutoff).select_related("user", "tenant").order_by("pk")
        for token in due.iterator(chunk_size=BATCH):
            retired += _retire(token, days, cutoff)
    return retired


def _retire(token: ApiToken, days: int, cutoff: datetime) -> int:
    last = last_used_at(token)
    if last is not None and last >= cutoff:
        return 0  # used within the last minute: the cache knew, the database not yet
    with transaction.atomic():
        return _retire_now(token, days)


def _retire_now(token: ApiToken, days: int) -> int:
    if not token_revoke(
        token=token,
        by=None,
        reason=EventReason.DORMANT,
        origin=SYSTEM,
        system=f"System (token policy: unused for {days} days)",
        detail=f"Retired: not used for {days} days.",
    ):
        return 0  # another worker, or its owner, revoked it first
    tell_owner_dormant(token, days)  # a notice, in the revocation's transaction
    return 1


TASK_LEASE = timedelta(minutes=10)  # far longer than a job's batch takes


def tasks_reclaim(now: datetime | None = None) -> int:
    """Puts back in the queue the tasks left "RUNNING" for longer than TASK_LEASE: their
    worker died (killed, its machine lost) and nobody else would ever finish them. Every
    job here is safe to run again. Returns how many."""
    now = now or timezone.now()
    stale = DBTaskResult.objects.running().filter(started_at__lt=now - TASK_LEASE)
    return stale.update(status=TaskResultStatus.READY, started_at=None)


# --- what /metrics reads of the queue and the outbox when scraped (core/metrics.py) ----------


@database_gauge("portal_tasks_waiting", "Tasks due in the queue, waiting for a worker.")
def tasks_waiting() -> int:
    return DBTaskResult.objects.ready().count()


@database_gauge(
    "portal_task_oldest_waiting_seconds",
    "How long the task that waited longest has waited for a worker since it was due (0: none).",
)
def task_oldest_waiting_seconds() -> float:
    now = timezone.now()
    due = DBTaskResult.objects.ready()  # django-tasks-db: run_after is a far date when unset
    at_once = due.filter(run_after=get_date_max()).aggregate(at=Min("enqueued_at"))["at"]
    later = due.exclude(run_after=get_date_max()).aggregate(at=Min("run_after"))["at"]
    since = min((at for at in (at_once, later) if at is not None), default=None)
    return max(0.0, (now - since).total_seconds()) if since else 0.0


@database_gauge("portal_notices_waiting", "E-mails to token owners not yet delivered.")
def notices_waiting() -> int:
    return Notice.objects.waiting().count()
