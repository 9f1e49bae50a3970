"""The token jobs as Django tasks, on the database backend (settings.TASKS): enqueued by
`manage.py token_jobs`, run by `manage.py db_worker`. The work is tokens/jobs.py's."""

from django.tasks import task

from tokens import approval, jobs


@task
def send_expiry_reminders() -> int:
    """E-mails owners of tokens expiring within 7 days and within 1 day, once each."""
    return jobs.expiry_reminders_send()


@task
def retire_dormant_tokens() -> int:
    """Revokes the tokens unused for their tenant's policy's N days."""
    return jobs.dormant_tokens_retire()


@task
def expire_approval_requests() -> int:
    """Revokes the tokens whose approval request was not decided within 7 days."""
    return approval.approval_requests_expire()
