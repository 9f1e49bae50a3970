"""Notices that are never lost (issue 20, D): every e-mail to an owner is a row written with
the change that causes it and delivered by the worker, retried until the mail server takes
it, shown to full admins while it waits; a worker killed mid-run leaves its task and its
notice to be taken up again, and the notice is sent once. Through a real SMTP server on
loopback, a port where nothing listens, and a listener that never answers."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.roles import Role
from tests.factories import make_token, make_user
from tests.servers import BlackHole, smtp_mailers, smtp_server
from tokens import jobs
from tokens.models import Notice, TokenPolicy
from tokens.outbox import CLAIM_SECONDS, notice_queue, notices_deliver
from tokens.services import token_generate

ROOT = Path(__file__).resolve().parents[2]
ACTIVITY = "/settings/security-extensions/token-activity/"


def report(client, value):
    return client.post(
        "/api/v1/credentials/revoke/",
        json.dumps({"credentials": [value]}),
        content_type="application/json",
    )


def test_notices_wait_while_the_mail_server_is_down_and_arrive_once_it_is_back(
    client, settings, tenant
):
    owner = make_user(tenant, Role.SECURITY_OPERATOR, email="pat@contoso.com")
    admin = make_user(tenant, Role.GLOBAL_ADMIN)
    _, leaked = make_token(owner, name="CI deploy")
    token_generate(user=owner, name="Stale", created_at=timezone.now() - timedelta(days=60))
    TokenPolicy.objects.create(tenant=tenant, dormant_days=30)
    with smtp_server() as (_, port):
        pass  # a port where nothing listens any more
    settings.MAILERS = smtp_mailers(port)

    assert report(client, leaked).status_code == 202
    assert jobs.dormant_tokens_retire() == 1
    assert notices_deliver() == 0  # the mail server is down
    client.force_login(admin)
    page = client.get(ACTIVITY, HTTP_HOST="contoso.us2.portal.test").content.decode()

    waiting = Notice.objects.waiting().order_by("pk")
    assert [(n.kind, n.to, n.attempts) for n in waiting] == [
        ("exposed", "pat@contoso.com", 1),  # tried, and stopped there: the server is down
        ("dormant", "pat@contoso.com", 0),
    ]
    assert waiting[0].last_error.startswith("ConnectionRefusedError")
    assert 'data-testid="notices-waiting"' in page
    assert "Your token &quot;CI deploy&quot; was exposed and has been revoked" in page
    assert "Your API token &quot;Stale&quot; was retired after 30 days unused" in page

    later = timezone.now() + timedelta(minutes=1)  # the first retry's back-off
    with smtp_server() as (inbox, port):
        settings.MAILERS = smtp_mailers(port)
        assert notices_deliver(now=later) == 2
        assert notices_deliver(now=later + timedelta(hours=1)) == 0  # sent once
    assert sorted(inbox.subjects()) == [
        'Your API token "Stale" was retired after 30 days unused',
        'Your token "CI deploy" was exposed and has been revoked',
    ]
    assert Notice.objects.waiting().count() == 0
    page = client.get(ACTIVITY, HTTP_HOST="contoso.us2.portal.test").content.decode()
    assert 'data-testid="notices-waiting"' not in page


def test_each_failed_attempt_waits_longer_up_to_half_an_hour(settings, tenant):
    owner = make_user(tenant, email="pat@contoso.com")
    token, _ = make_token(owner)
    with transaction.atomic():
        notice = notice_queue(
            tenant_id=tenant.pk,
            token=token,
            to=owner.email,
            kind="exposed",
            subject="Subject",
            body="Body",
        )
    assert notice is not None
    with smtp_server() as (_, port):
        pass
    settings.MAILERS = smtp_mailers(port)

    waits = []
    now = timezone.now()
    for _ in range(8):
        before = timezone.now()
        notices_deliver(now=now)
        notice.refresh_from_db()
        waits.append(round((notice.next_attempt_at - before) / timedelta(minutes=1)))
        now = notice.next_attempt_at

    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]
    assert notice.attempts == 8
    assert notice.sent_at is None


def test_a_claimed_notice_is_left_to_its_worker_until_the_claim_runs_out(smtp, tenant):
    owner = make_user(tenant, email="pat@contoso.com")
    token, _ = make_token(owner)
    notice = notice_queue(
        tenant_id=tenant.pk,
        token=token,
        to=owner.email,
        kind="exposed",
        subject="Claimed",
        body="Body",
    )
    assert notice is not None
    now = timezone.now()
    Notice.objects.filter(pk=notice.pk).update(claimed_until=now + timedelta(seconds=120))

    assert notices_deliver(now=now) == 0  # another worker holds it
    assert notices_deliver(now=now + timedelta(seconds=CLAIM_SECONDS + 1)) == 1

    assert smtp.subjects() == ["Claimed"]


def test_an_owner_without_an_address_gets_no_notice_and_it_is_logged(tenant, caplog):
    owner = make_user(tenant, email="")
    token, _ = make_token(owner)

    assert (
        notice_queue(tenant_id=tenant.pk, token=token, to="", kind="exposed", subject="S", body="B")
        is None
    )
    assert Notice.objects.count() == 0
    assert f"Notice 'exposed' about token {token.pk} not written: no e-mail address" in (
        caplog.text
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_leaves_nothing_running_for_ever_and_sends_once(settings, tenant):
    owner = make_user(tenant, email="pat@contoso.com")
    token, _ = make_token(owner, name="Killed")
    with transaction.atomic():  # its commit enqueues the delivery task
        notice_queue(
            tenant_id=tenant.pk,
            token=token,
            to=owner.email,
            kind="exposed",
            subject="Sent once",
            body="Body",
        )
    assert DBTaskResult.objects.ready().count() == 1
    hole = BlackHole()  # a mail server that accepts and never answers
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{hole.port}",
        "EMAIL_TIMEOUT": "60",
        "DEBUG": "0",
        "SECRET_KEY": "notices-test-" + "x" * 50,
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--worker-id", "doomed"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):  # until it holds the notice and talks to the mail server
            if hole.accepted and Notice.objects.filter(claimed_until__isnull=False).exists():
                break
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        hole.close()

    stuck = DBTaskResult.objects.get()
    assert (stuck.status, stuck.worker_ids) == ("RUNNING", ["doomed"])  # it would stay so
    assert jobs.tasks_reclaim() == 0  # within its lease: perhaps only slow
    assert jobs.tasks_reclaim(now=timezone.now() + jobs.TASK_LEASE + timedelta(seconds=1)) == 1
    assert DBTaskResult.objects.get().status == "READY"
    with smtp_server() as (inbox, port):
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
        Notice.objects.update(claimed_until=timezone.now())  # the dead worker's claim ran out
        rerun = subprocess.run(
            [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        settings.MAILERS = smtp_mailers(port)
        assert notices_deliver(now=timezone.now() + timedelta(hours=1)) == 0

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert inbox.subjects() == ["Sent once"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert Notice.objects.get().sent_at is not None
