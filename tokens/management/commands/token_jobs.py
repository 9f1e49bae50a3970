"""Enqueues the token jobs (expiry reminders, dormant tokens retired) for `db_worker` to run:
the periodic trigger, from cron or a systemd timer (README: the jobs), say every 15 minutes.
A job still waiting in the queue is not enqueued again, so a stopped worker does not come
back to a pile of them; two triggers at once may enqueue it twice, which the jobs take in
their stride (tokens/jobs.py)."""

import time

from django.core.management.base import BaseCommand, CommandParser
from django_tasks_db.models import DBTaskResult

from tokens.tasks import retire_dormant_tokens, send_expiry_reminders

JOBS = (send_expiry_reminders, retire_dormant_tokens)


class Command(BaseCommand):
    help = "Enqueue the token jobs: expiry reminders and dormant-token retirement."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every", type=int, default=0, metavar="SECONDS",
            help="Keep enqueuing them every SECONDS (make run: 60), for a machine without cron.",
        )  # fmt: skip

    def handle(self, *args, every: int = 0, **options) -> None:
        while True:
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
