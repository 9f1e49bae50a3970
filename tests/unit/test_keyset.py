"""Keyset positions (core/keyset.py), the one codec inside the scan cursor and the SIEM
feed's cursor."""

from datetime import UTC, datetime

import pytest
from django.db.models import Q

from core.keyset import MAX_MICROS, Position


def test_a_position_keeps_the_exact_microsecond_and_id():
    when = datetime(2026, 11, 30, 23, 59, 59, 123456, tzinfo=UTC)

    position = Position.of(when, 42)

    assert position.text == "1796083199123456_42"
    assert Position.from_text(position.text) == position
    assert Position.parse(position.micros, position.pk) == position
    assert position.at == when


@pytest.mark.parametrize(
    ("micros", "pk"),
    [
        (-1, 1),
        (MAX_MICROS + 1, 1),
        (1, 2**63),
        (True, 1),
        (1.0, 1),
        ("١٢", 1),  # Arabic-Indic digits: isdigit() says yes, this codec says no
        ("²", 1),
        ("1" * 20, 1),
        (None, 1),
        ([1], 1),
    ],
)
def test_anything_this_product_did_not_write_is_refused(micros, pk):
    assert Position.parse(micros, pk) is None


@pytest.mark.parametrize("text", ["", "_", "12", "12_", "_12", "12_x", "12_3_4", "-1_2"])
def test_malformed_texts_are_refused(text):
    assert Position.from_text(text) is None


def test_after_is_strictly_past_the_position_in_either_direction():
    position = Position(1_000_000, 7)
    at = position.at

    assert position.after("created") == Q(created__gte=at) & (
        Q(created__gt=at) | Q(created=at, pk__gt=7)
    )
    assert position.after("timestamp", descending=True) == Q(timestamp__lte=at) & (
        Q(timestamp__lt=at) | Q(timestamp=at, pk__lt=7)
    )
