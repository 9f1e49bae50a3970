"""Django's PostgreSQL backend, failing fast while the database is out of reach.

A connection that fails or times out (DB_CONNECT_TIMEOUT) makes this process answer at
once, without trying, for DB_RETRY_SECONDS: every request that needs the database is a 503
with Retry-After (core/middleware.py) instead of another wait of DB_CONNECT_TIMEOUT. Then
one request tries again; if it connects, the process is back, otherwise the wait starts
over. The same shape as the shared cache's fallback (core/cache.py, DECISIONS 33); each
process keeps its own, so a hanging database costs each worker one timeout per period."""

import logging
import threading
import time

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base

from core import metrics

logger = logging.getLogger(__name__)


class Breaker:
    """When this process last failed to connect to a database, and until when it does not
    try again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._trying = False

    @property
    def open(self) -> bool:
        """Whether connections are refused without trying now (the fallback in force)."""
        return time.monotonic() < self._down_until

    def retry_in(self) -> float:
        return max(0.0, self._down_until - time.monotonic())

    def may_try(self) -> bool:
        """True if a connection may be tried now: none is waited out, and (once a wait is
        over) no other thread of this process is already trying."""
        with self._lock:
            if time.monotonic() < self._down_until or (self._down_until and self._trying):
                return False
            self._trying = True
            return True

    def failed(self, error: Exception) -> None:
        seconds = settings.DB_RETRY_SECONDS
        with self._lock:
            first = not self.open
            self._down_until = time.monotonic() + seconds
            self._trying = False
        metrics.fallback("database", True)
        if first:
            logger.warning(
                "PostgreSQL out of reach (%s): answering 503 without trying for %s s",
                type(error).__name__,
                seconds,
            )

    def succeeded(self) -> None:
        with self._lock:
            was_down = self._down_until != 0.0
            self._down_until = 0.0
            self._trying = False
        if was_down:
            metrics.fallback("database", False)
            logger.warning("PostgreSQL answers again")


breakers: dict[str, Breaker] = {}


def breaker_for(alias: str) -> Breaker:
    return breakers.setdefault(alias, Breaker())


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        breaker = breaker_for(self.alias)
        if not breaker.may_try():
            # Raised as the driver's error, so Django wraps it as every connection failure.
            raise psycopg.OperationalError(
                f"PostgreSQL was out of reach a moment ago; not trying again for "
                f"{breaker.retry_in():.0f} s"
            )
        try:
            connection = super().get_new_connection(conn_params)
        except Exception as error:
            breaker.failed(error)
            raise
        breaker.succeeded()
        return connection
