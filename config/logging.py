"""Log filters and formats. A Cloud Discovery upload URL carries a one-time secret in its path, and
Django logs the path of every 4xx (say, a 413 for a file over the limit, after which the URL
still works): the secret is replaced before the line is written."""

import json
import logging
import re
from datetime import UTC, datetime

UPLOAD_SECRET = re.compile(r"(/discovery/upload/)[A-Za-z0-9_-]+")


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = UPLOAD_SECRET.sub(r"\1<redacted>", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class JsonFormatter(logging.Formatter):
    """LOG_FORMAT=json: each line one JSON object (time, level, logger, message), with a
    request line's fields at the top level (core/requestlog.py) and an exception's
    traceback under "exception"."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "request_fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
