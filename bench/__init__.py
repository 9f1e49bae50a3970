"""`make bench`: see __main__.py."""

import http.client
import os
import socket
import subprocess
import sys
import time
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


@contextmanager
def gunicorn(workers: int) -> Iterator[int]:
    """gunicorn serving the portal on a free port of 127.0.0.1 with this benchmark's
    settings and database (the environment's), as docs/operations.md runs it; its port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "config/gunicorn.py",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        env=os.environ.copy(),
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
