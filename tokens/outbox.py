"""The notices' outbox: every e-mail to a token's owner (exposed, retired as dormant, an
expiry reminder, a coming retirement) is a Notice row written in the transaction of the
change that causes it, and sent by the worker (`deliver_notices`, enqueued after that commit
and by `manage.py token_jobs` every run), retried until the mail server takes it.

Delivery under several workers, and a worker killed mid-run:
- a notice is claimed by a conditional UPDATE that sets `claimed_until` (now + CLAIM_SECONDS):
  of two workers one claims it, the other skips it; no transaction stays open while SMTP
  talks, so a slow mail server holds up no request;
- sent, it gets `sent_at`; refused or unreachable, it is released with the error and tried
  again after a back-off (1, 2, 4 … minutes, at most 30);
- a worker killed after claiming leaves the claim to run out, and the notice is tried again
  then. It is sent twice only if the worker died after the mail server accepted the message
  and before `sent_at` was written: the window SMTP itself leaves open (one UPDATE of one row
  by primary key, a few milliseconds; DECISIONS 70)."""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tokens.models import ApiToken, Notice

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 120  # longer than a send can take (EMAIL_TIMEOUT for each SMTP step)
MAX_BACKOFF = timedelta(minutes=30)
BATCH = 200  # notices one delivery run tries


def notice_queue(
    *, tenant_id: int, to: str, kind: str, subject: str, body: str, token: ApiToken | None = None
) -> Notice | None:
    """Writes a notice to be sent, in the caller's transaction (so it exists exactly when the
    change that causes it does), and has the worker deliver it after the commit. An owner
    with no e-mail address gets none (logged)."""
    if not to:
        logger.warning(
            "Notice %r about token %s not written: no e-mail address",
            kind,
            getattr(token, "pk", None),
        )
        return None
    notice = Notice.objects.create(
        tenant_id=tenant_id, token=token, kind=kind, to=to, subject=subject[:300], body=body
    )
    transaction.on_commit(deliver_soon)
    return notice


def deliver_soon() -> None:
    """Enqueues a delivery run unless one is already waiting in the queue."""
    if not DBTaskResult.objects.ready().filter(task_path=deliver_notices.module_path).exists():
        deliver_notices.enqueue()


def due(now: datetime):
    """The notices to try at `now`: not sent, their next attempt come, nobody holding them."""
    return Notice.objects.waiting().filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), next_attempt_at__lte=now
    )


def notices_deliver(now: datetime | None = None) -> int:
    """Sends the notices that are due (up to BATCH), each claimed first; stops at the first
    failure to reach the mail server (the rest wait for the next run). Returns how many
    were sent."""
    now = now or timezone.now()
    sent = 0
    waiting = due(now).order_by("next_attempt_at", "id").values_list("pk", flat=True)
    for notice_id in list(waiting[:BATCH]):
        claimed = (
            due(now)
            .filter(pk=notice_id)
            .update(
                claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1
            )
        )
        if not claimed:
            continue  # another worker has it
        notice = Notice.objects.get(pk=notice_id)
        message = EmailMessage(
            subject=notice.subject,
            body=notice.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notice.to],
        )
        try:
            message.send()
        except (OSError, smtplib.SMTPException) as error:
            wait = min(timedelta(minutes=2 ** (notice.attempts - 1)), MAX_BACKOFF)
            Notice.objects.filter(pk=notice_id).update(
                claimed_until=None,
                next_attempt_at=timezone.now() + wait,
                last_error=f"{type(error).__name__}: {error}"[:300],
            )
            logger.warning("Notice %s not sent (attempt %s): %s", notice_id, notice.attempts, error)
            break
        Notice.objects.filter(pk=notice_id).update(
            sent_at=timezone.now(), claimed_until=None, last_error=""
        )
        sent += 1
    return sent


@task
def deliver_notices() -> int:
    """Sends the notices that wait (tokens/outbox.py)."""
    return notices_deliver()
