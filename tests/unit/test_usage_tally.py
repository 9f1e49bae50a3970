"""A process adds up its tokens' uses (tokens/usage.Tally) and hands the cache writes over
once they are due, or sends them itself when no request comes."""

import threading
import time
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from core.cache import ADD, MAP_PUT
from core.http import Origin
from tokens.usage import LIFETIME, Tally

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_uses_wait_until_the_interval_has_passed_then_go_together():
    clock = Clock()
    tally = Tally(clock=clock)
    a, b = Origin("203.0.113.1", "A/1"), Origin("203.0.113.2", "B/1")

    assert tally.add(7, a, NOW, interval=60) == []
    assert tally.add(7, b, NOW, interval=60) == []
    assert tally.add(8, a, NOW, interval=60) == []
    clock.now += 60
    ops = tally.add(7, Origin("203.0.113.1", "A/2"), NOW, interval=60)

    stamp = f"{NOW.timestamp():.3f}"
    assert sorted(ops) == sorted(
        [
            (ADD, "token-usage:7:day:20261201", 3, LIFETIME),
            (ADD, "token-usage:8:day:20261201", 1, LIFETIME),
            (MAP_PUT, "token-usage:7:ips", "203.0.113.1", f"{stamp} A/2", LIFETIME),
            (MAP_PUT, "token-usage:7:ips", "203.0.113.2", f"{stamp} B/1", LIFETIME),
            (MAP_PUT, "token-usage:8:ips", "203.0.113.1", f"{stamp} A/1", LIFETIME),
        ]
    )
    # Sent means gone: the next interval starts empty.
    assert tally.add(7, a, NOW, interval=60) == []


def test_with_no_interval_each_use_goes_with_its_request():
    tally = Tally(clock=Clock())
    ops = tally.add(7, Origin(None, "curl/8"), NOW, interval=0)

    assert ops == [
        (ADD, "token-usage:7:day:20261201", 1, LIFETIME),
        (MAP_PUT, "token-usage:7:ips", "", f"{NOW.timestamp():.3f} curl/8", LIFETIME),
    ]


class Naps:
    """The sender thread's sleep, ended by the test: each call waits for one `wake()`."""

    def __init__(self) -> None:
        self._wakes = threading.Semaphore(0)
        self.taken: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)
        self._wakes.acquire()

    def wake(self) -> None:
        self._wakes.release()


@pytest.mark.django_db
def test_an_idle_process_sends_what_it_holds_by_itself():
    cache.clear()
    clock, naps = Clock(), Naps()
    tally = Tally(clock=clock, sleep=naps)
    assert tally.add(9, Origin("203.0.113.9", "Idle/1"), NOW, interval=60) == []
    assert tally.add(9, Origin("203.0.113.9", "Idle/1"), NOW, interval=60) == []

    clock.now += 60  # the interval passes and no request comes: the sender wakes and sends
    naps.wake()
    deadline = time.monotonic() + 10  # only a thread that never ran could take this long
    while cache.get("token-usage:9:day:20261201") is None and time.monotonic() < deadline:
        time.sleep(0.01)

    assert naps.taken[0] == 60
    assert cache.get("token-usage:9:day:20261201") == 2
    assert cache.get("token-usage:9:ips") == {"203.0.113.9": f"{NOW.timestamp():.3f} Idle/1"}
    assert tally.add(9, Origin("203.0.113.9", "Idle/1"), NOW, interval=60) == []  # sent: empty


# The child only adds to its (emptied) tally and exits: no lock the parent's threads hold.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_starts_empty_and_sends_only_its_own_uses():
    """A forking server's worker inherits the parent's memory: it must not send the parent's
    uses a second time (register_at_fork empties its tally)."""
    import os

    from tokens.usage import TALLY

    TALLY.add(11, Origin("203.0.113.11", "Parent/1"), NOW, interval=3600)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: report what it would send after one use of its own
        try:
            ops = TALLY.add(12, Origin("203.0.113.12", "Child/1"), NOW, interval=0)
            os.write(write, repr(sorted(op[1] for op in ops)).encode())
        finally:
            os._exit(0)
    os.close(write)
    sent_by_child = os.read(read, 4096).decode()
    os.waitpid(child, 0)

    assert sent_by_child == repr(["token-usage:12:day:20261201", "token-usage:12:ips"])
    parent = TALLY.add(11, Origin("203.0.113.11", "Parent/1"), NOW, interval=0)
    assert (ADD, "token-usage:11:day:20261201", 2, LIFETIME) in parent
