"""The token jobs (issue 14, part 5; issue 20): expiry reminders 7 days and 1 day before, once
each, worded from the time really left; dormant tokens retired by the tenant's policy, once,
with an event and an e-mail; both as Django tasks on the database backend, run by db_worker
and enqueued by token_jobs, their e-mails written to the outbox and delivered by the worker
(tests/integration/test_notices.py); two workers at once on PostgreSQL still send each
reminder and revoke each token once. Every e-mail goes through a real SMTP server on
loopback."""

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.services import user_deprovision
from tests.factories import make_user
from tests.servers import smtp_mailers, smtp_server
from tokens import jobs
from tokens.lifecycle import EventReason
from tokens.models import ApiToken, EventKind, ExpiryReminder, Notice, TokenEvent, TokenPolicy
from tokens.outbox import notices_deliver
from tokens.rotation import token_rotate
from tokens.services import token_generate, token_mark_used, token_revoke
from tokens.tasks import retire_dormant_tokens, send_expiry_reminders

ROOT = Path(__file__).resolve().parents[2]


def expiring(user, name, left, lifetime=timedelta(days=90)):
    """A token made `lifetime` before it expires, with `left` to go."""
    now = timezone.now()
    return token_generate(
        user=user, name=name, created_at=now + left - lifetime, expires_at=now + left
    )


@pytest.fixture
def owner(tenant):
    return make_user(
        tenant,
        "global_admin",
        username="megan@contoso.com",
        email="megan@contoso.com",
        first_name="Megan",
        last_name="Bowen",
    )


def test_each_reminder_once_with_what_the_owner_needs_and_never_the_value(smtp, owner):
    week, week_value = expiring(owner, "Sentinel connector", timedelta(days=6, hours=23))
    day, _ = expiring(owner, "Nightly export", timedelta(hours=20))

    sent = jobs.expiry_reminders_send()
    again = jobs.expiry_reminders_send()
    delivered = notices_deliver()

    assert (sent, again, delivered) == (2, 0, 2)
    # Whole units of what is left, never rounded up: 6 days 23 hours is "in 6 days".
    assert sorted(smtp.subjects()) == [
        'Your API token "Nightly export" expires in 19 hours',
        'Your API token "Sentinel connector" expires in 6 days',
    ]
    reminders = set(ExpiryReminder.objects.values_list("token_id", "days_before"))
    assert reminders == {(week.pk, 7), (day.pk, 1)}
    assert [m[1] for m in smtp.messages] == [["megan@contoso.com"]] * 2
    body = dict(smtp.letters())['Your API token "Sentinel connector" expires in 6 days']
    assert (
        f'Your API token "Sentinel connector" (ending in …{week.suffix}) expires in 6 days, '
        f"at {week.expires_at:%Y-%m-%d %H:%M} UTC." in " ".join(body.split())
    )
    page = f"{owner.tenant.custom_url}/settings/security-extensions/api-tokens/"
    assert f"regenerate it on the API tokens page ({page})" in " ".join(body.split())
    assert week_value not in body
    assert all(week_value not in text for _, _, text in smtp.messages)
    events = TokenEvent.objects.filter(kind=EventKind.REMINDED).order_by("token_id")
    assert [(e.token_id, e.actor_label, e.detail) for e in events] == [
        (
            week.pk,
            "System (expiry reminder)",
            f"Told its owner it expires in 6 days ({week.expires_at:%Y-%m-%d %H:%M} UTC).",
        ),
        (
            day.pk,
            "System (expiry reminder)",
            f"Told its owner it expires in 19 hours ({day.expires_at:%Y-%m-%d %H:%M} UTC).",
        ),
    ]


def test_the_week_reminder_then_the_day_reminder_as_the_expiry_nears(smtp, owner):
    token, _ = expiring(owner, "Script", timedelta(days=6))
    assert jobs.expiry_reminders_send() == 1
    assert notices_deliver() == 1

    later = timezone.now() + timedelta(days=5, hours=12)  # half a day left
    assert jobs.expiry_reminders_send(now=later) == 1
    assert jobs.expiry_reminders_send(now=later) == 0
    assert notices_deliver(now=later) == 1

    assert smtp.subjects() == [
        'Your API token "Script" expires in 5 days',
        'Your API token "Script" expires in 11 hours',
    ]
    assert sorted(token.reminders.values_list("days_before", flat=True)) == [1, 7]


def test_the_window_boundaries(smtp, owner):
    now = timezone.now().replace(microsecond=0)
    at_edge, _ = token_generate(
        user=owner,
        name="At the edge",
        created_at=now - timedelta(days=30),
        expires_at=now + timedelta(days=7),
    )
    token_generate(
        user=owner,
        name="A second past",
        created_at=now - timedelta(days=30),
        expires_at=now + timedelta(days=7, seconds=1),
    )
    token_generate(
        user=owner, name="A week token", created_at=now, expires_at=now + timedelta(days=7)
    )  # no longer than the window

    assert jobs.expiry_reminders_send(now=now) == 1

    assert list(ExpiryReminder.objects.values_list("token_id", flat=True)) == [at_edge.pk]


def test_no_reminder_for_tokens_that_no_longer_work_or_have_nowhere_to_go(smtp, tenant, owner):
    left = timedelta(days=3)
    revoked, _ = expiring(owner, "Revoked", left)
    token_revoke(token=revoked, by=owner)
    rotated, _ = expiring(owner, "Rotated", left)
    token_rotate(token=rotated, by=owner, grace="1h")  # its successor expires in 90 days
    ApiToken.objects.filter(pk=expiring(owner, "Expired", left)[0].pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    gone = make_user(tenant, email="gone@contoso.com")
    expiring(gone, "Deprovisioned owner", left)
    user_deprovision(user=gone)
    expiring(make_user(tenant, email=""), "No address", left)
    expiring(owner, "Never expires", timedelta(days=3650))

    assert jobs.expiry_reminders_send() == 0
    assert smtp.messages == []
    assert ExpiryReminder.objects.count() == 0


def test_a_mail_server_that_fails_keeps_the_reminder_until_it_is_back(settings, owner, caplog):
    token, _ = expiring(owner, "Script", timedelta(days=2))
    with smtp_server() as (_, port):
        pass  # a port where nothing listens any more
    settings.MAILERS = smtp_mailers(port)

    assert jobs.expiry_reminders_send() == 1  # recorded, with its notice
    assert notices_deliver() == 0
    notice = Notice.objects.get()
    assert (notice.token_id, notice.kind, notice.attempts, notice.sent_at) == (
        token.pk,
        "reminder",
        1,
        None,
    )
    assert notice.last_error.startswith("ConnectionRefusedError")
    assert f"Notice {notice.pk} not sent (attempt 1)" in caplog.text

    with smtp_server() as (inbox, port):
        settings.MAILERS = smtp_mailers(port)
        assert notices_deliver() == 0  # its next attempt has not come (a minute later)
        assert notices_deliver(now=timezone.now() + timedelta(minutes=1)) == 1
    assert inbox.subjects() == ['Your API token "Script" expires in 1 day']
    assert jobs.expiry_reminders_send() == 0  # reminded once


@pytest.fixture
def dormancy(tenant):
    return TokenPolicy.objects.create(tenant=tenant, dormant_days=30)


def test_dormant_tokens_are_retired_once_with_an_event_and_an_e_mail(
    smtp, owner, dormancy, other_tenant
):
    now = timezone.now()
    old = now - timedelta(days=31)
    unused, unused_value = token_generate(user=owner, name="Unused", created_at=old)
    stale, _ = token_generate(user=owner, name="Stale", created_at=now - timedelta(days=200))
    token_mark_used(token=stale, at=old)
    recent, _ = token_generate(user=owner, name="Recent", created_at=old)
    token_mark_used(token=recent, at=now - timedelta(days=29))
    young, _ = token_generate(user=owner, name="Young", created_at=now - timedelta(days=29))
    elsewhere, _ = token_generate(user=make_user(other_tenant), name="No policy", created_at=old)

    retired = jobs.dormant_tokens_retire()
    again = jobs.dormant_tokens_retire()
    delivered = notices_deliver()

    assert (retired, again, delivered) == (2, 0, 2)
    revoked = set(ApiToken.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True))
    assert revoked == {unused.pk, stale.pk}
    events = TokenEvent.objects.filter(kind=EventKind.REVOKED).order_by("token_id")
    assert [(e.token_id, e.reason, e.actor_kind, e.actor_label, e.detail) for e in events] == [
        (
            t.pk,
            EventReason.DORMANT,
            "system",
            "System (token policy: unused for 30 days)",
            "Retired: not used for 30 days.",
        )
        for t in (unused, stale)
    ]
    assert sorted(smtp.subjects()) == [
        'Your API token "Stale" was retired after 30 days unused',
        'Your API token "Unused" was retired after 30 days unused',
    ]
    assert all(unused_value not in text for _, _, text in smtp.messages)
    assert {recent.pk, young.pk, elsewhere.pk}.isdisjoint(revoked)


def test_no_policy_no_retirement(owner, tenant):
    token_generate(user=owner, name="Ancient", created_at=timezone.now() - timedelta(days=999))
    TokenPolicy.objects.create(tenant=tenant, dormant_days=None)

    assert jobs.dormant_tokens_retire() == 0
    assert ApiToken.objects.live().count() == 1


def test_a_use_the_database_has_not_seen_yet_keeps_a_token(api_client, owner, dormancy):
    token, value = token_generate(
        user=owner, name="Busy", created_at=timezone.now() - timedelta(days=40)
    )
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {value}").status_code == 200

    assert jobs.dormant_tokens_retire() == 0
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db(transaction=True)
def test_the_trigger_enqueues_and_the_worker_runs_them(smtp, owner, dormancy):
    expiring(owner, "Expiring", timedelta(days=3))
    token_generate(user=owner, name="Dormant", created_at=timezone.now() - timedelta(days=60))
    # An approval request nobody decided within its 7 days (tokens/approval.py).
    undecided, _ = token_generate(user=owner, name="Undecided")
    ApiToken.objects.filter(pk=undecided.pk).update(
        pending_until=timezone.now() - timedelta(minutes=1)
    )
    out = StringIO()

    call_command("token_jobs", stdout=out)
    call_command("token_jobs", stdout=out)  # a second trigger before the worker ran

    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "send_expiry_reminders",
        "retire_dormant_tokens",
        "expire_approval_requests",
        "deliver_notices",
        "send_expiry_reminders",
        "retire_dormant_tokens",
        "expire_approval_requests",
        "deliver_notices",
    ]
    assert lines[4:] == [
        "send_expiry_reminders: already waiting in the queue",
        "retire_dormant_tokens: already waiting in the queue",
        "expire_approval_requests: already waiting in the queue",
        "deliver_notices: already waiting in the queue",
    ]
    assert DBTaskResult.objects.ready().count() == 4

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    results = DBTaskResult.objects.order_by("task_path")
    assert [(r.task_path, r.status, r.return_value) for r in results] == [
        ("tokens.outbox.deliver_notices", "SUCCESSFUL", 4),
        ("tokens.tasks.expire_approval_requests", "SUCCESSFUL", 1),
        ("tokens.tasks.retire_dormant_tokens", "SUCCESSFUL", 2),
        ("tokens.tasks.send_expiry_reminders", "SUCCESSFUL", 1),
    ]
    undecided.refresh_from_db()
    assert undecided.revoked_reason == "approval_expired"
    assert sorted(smtp.subjects()) == [
        'Your API token "Dormant" was retired after 30 days unused',
        'Your API token "Expiring" expires in 2 days',
        'Your API token "Expiring" was retired after 30 days unused',
        'Your API token "Undecided" was not decided in time',
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_and_retire_each_token_once(tenant, dormancy):
    owners = [make_user(tenant, email=f"owner{n}@contoso.com") for n in range(4)]
    now = timezone.now()
    reminded = [
        expiring(owners[n % 4], f"Expiring {n}", timedelta(days=5), timedelta(days=20))[0]
        for n in range(40)
    ]
    dormant = [
        token_generate(
            user=owners[n % 4],
            name=f"Dormant {n}",
            created_at=now - timedelta(days=45),
            expires_at=now + timedelta(days=200),
        )[0]
        for n in range(40)
    ]
    for job in (
        send_expiry_reminders,
        send_expiry_reminders,
        retire_dormant_tokens,
        retire_dormant_tokens,
    ):
        job.enqueue()  # each twice, as from two triggers at once: the two workers run
        # the same job side by side
    db = connection.settings_dict
    with smtp_server() as (inbox, port):
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}",
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "DEBUG": "0",
            "SECRET_KEY": "jobs-test-" + "x" * 50,
        }
        command = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"]
        workers = [
            subprocess.Popen(
                [*command, "--worker-id", f"w{n}"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for n in range(2)
        ]
        logs = [worker.communicate(timeout=120)[0].decode() for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], logs
    results = DBTaskResult.objects.exclude(task_path="tokens.outbox.deliver_notices")
    assert sorted(r.status for r in results) == ["SUCCESSFUL"] * 4
    assert {tuple(r.worker_ids) for r in results} == {("w0",), ("w1",)}  # both took part
    deliveries = DBTaskResult.objects.filter(task_path="tokens.outbox.deliver_notices")
    assert sum(r.return_value for r in deliveries) == 80  # each notice sent by one of them
    ran = {}
    for result in results:
        ran.setdefault(result.task_path, []).append(result.return_value)
    assert sum(ran["tokens.tasks.send_expiry_reminders"]) == 40  # split as they raced
    assert sum(ran["tokens.tasks.retire_dormant_tokens"]) == 40
    subjects = inbox.subjects()
    for token in reminded:
        assert subjects.count(f'Your API token "{token.name}" expires in 4 days') == 1
    for token in dormant:
        assert (
            subjects.count(f'Your API token "{token.name}" was retired after 30 days unused') == 1
        )
    assert len(subjects) == 80
    assert ExpiryReminder.objects.count() == 40
    assert (
        TokenEvent.objects.filter(kind=EventKind.REVOKED, reason=EventReason.DORMANT).count() == 40
    )
