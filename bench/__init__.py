"""`make bench`: see __main__.py."""

import os
from collections.abc import Iterator
from contextlib import contextmanager


def setup_django(database_url: str) -> None:
    """Configures Django for a benchmark on this database and applies the migrations."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """The SQL of every query run inside the block, as Django sends it to the database."""
    from django.db import connection

    seen: list[str] = []

    def count(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield seen


def rotated(items: list[str], round_number: int) -> list[str]:
    """The items in the order of this round, so that each goes first in turn (interleaving)."""
    shift = round_number % len(items)
    return items[shift:] + items[:shift]
