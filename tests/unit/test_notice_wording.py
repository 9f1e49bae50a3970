"""How the e-mails say when a token expires (issue 20, E): from the time really left when the
message is written, in whole units never rounded up, singular and plural, the exact moment in
UTC beside it."""

from datetime import UTC, datetime, timedelta

import pytest

from tokens.notifications import time_left

NOW = datetime(2026, 12, 6, 1, 24, tzinfo=UTC)


@pytest.mark.parametrize(
    ("left", "said"),
    [
        (timedelta(days=7), "in 7 days"),
        (timedelta(days=6, hours=23), "in 6 days"),  # a week's reminder sent an hour late
        (timedelta(days=5), "in 5 days"),
        (timedelta(days=1, hours=5), "in 1 day"),
        (timedelta(hours=19, minutes=59), "in 19 hours"),  # "tomorrow" it was not
        (timedelta(hours=1), "in 1 hour"),
        (timedelta(minutes=59), "in 59 minutes"),
        (timedelta(minutes=1), "in 1 minute"),
        (timedelta(seconds=5), "in 1 minute"),
        (timedelta(0), "in 1 minute"),
    ],
)
def test_the_time_left_as_a_person_says_it(left, said):
    assert time_left(NOW + left, NOW) == said
