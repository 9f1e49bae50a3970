"""gunicorn's settings: `gunicorn -c config/gunicorn.py config.wsgi`.

gunicorn answers some requests itself, before Django sees them (a malformed request line, a
URL or headers over its limits: 400, 414, 431), with a small HTML page. API clients parse
every error as JSON with a `detail`, so those answers are JSON too."""

import json

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
