"""Enqueues the token jobs (expiry reminders, dormant tokens retired, approval requests not
decided in time revoked, the notices that wait)
for `db_worker` to run: the periodic trigger, from cron or a systemd timer (docs/operations.md: the
jobs), say every minute. First it puts back in the queue the tasks of a worker that died
(tokens.jobs.tasks_reclaim). A job still waiting in the queue is not enqueued again, so a
stopped worker does not come back to a pile of them; two triggers at once may enqueue it
twice, which the jobs take in their stride (tokens/jobs.py, tokens/outbox.py)."""

import time

from django.core.management.base import BaseCommand, CommandParser
from django_tasks_db.models import DBTaskResult

from tokens.jobs import tasks_reclaim
from tokens.outbox import deliver_notices
from tokens.tasks import expire_approval_requests, retire_dormant_tokens, send_expiry_reminders

JOBS = (send_expiry_reminders, retire_dormant_tokens, expire_approval_requests, deliver_notices)


class Command(BaseCommand):
    help = (
        "Enqueue the token jobs: expiry reminders, dormant-token retirement, expired approval "
        "requests, notices."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            metavar="SECONDS",
            help="Keep enqueuing them every SECONDS (make run: 60), for a machine without cron.",
        )

    def handle(self, *args, every: int = 0, **options) -> None:
        while True:
            if reclaimed := tasks_reclaim():
                self.stdout.write(f"{reclaimed} task(s) of a worker that died: back in the queue")
            for job in JOBS:
                waiting = DBTaskResult.objects.ready().filter(task_path=job.module_path)
                if waiting.exists():
                    self.stdout.write(f"{job.name}: already waiting in the queue")
                    continue
                result = job.enqueue()
                self.stdout.write(f"{job.name}: enqueued ({result.id})")
            if every <= 0:
                return
            time.sleep(every)
