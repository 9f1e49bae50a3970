"""gunicorn's settings: `gunicorn -c config/gunicorn.py config.wsgi`.

gunicorn answers some requests itself, before Django sees them (a malformed request line, a
URL or headers over its limits: 400, 414, 431), with a small HTML page. API clients parse
every error as JSON with a `detail`, so those answers are JSON too."""

import json
import os
import tempfile
from pathlib import Path

from gunicorn import util


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    body = json.dumps({"detail": f"{reason}: {mesg}" if mesg else reason}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


util.write_error = write_json_error


# --- metrics across workers (core/metrics.py) ---------------------------------------------------
# Each worker is a process of its own: prometheus-client keeps each one's values in files in
# PROMETHEUS_MULTIPROC_DIR, and /metrics sums them, whichever worker answers. Set here before
# any worker imports the app, unless the operator chose a directory; emptied at start (the
# values of a previous run are not this run's), and a dead worker's gauges are dropped.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="portal-metrics-"))


def on_starting(server) -> None:
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
