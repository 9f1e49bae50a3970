"""Log filters. A Cloud Discovery upload URL carries a one-time secret in its path, and
Django logs the path of every 4xx (say, a 413 for a file over the limit, after which the URL
still works): the secret is replaced before the line is written."""

import logging
import re

UPLOAD_SECRET = re.compile(r"(/discovery/upload/)[A-Za-z0-9_-]+")


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = UPLOAD_SECRET.sub(r"\1<redacted>", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
