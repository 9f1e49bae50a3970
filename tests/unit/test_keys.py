import math
import re

import pytest

from tokens import keys

# What existing Defender for Cloud Apps clients check a token against.
CLIENT_PATTERN = re.compile(r"^[0-9a-zA-Z=]{64,192}$")


@pytest.mark.parametrize("kind", ["api", "siem", "log_collector"])
def test_generated_value_has_the_kind_marker_and_passes_client_validation(kind):
    value = keys.generate(kind)

    assert CLIENT_PATTERN.match(value)
    assert len(value) == 64
    assert value.startswith(keys.MARKERS[kind])
    assert keys.kind_of(value) == kind


def test_secret_part_carries_at_least_256_bits():
    assert keys.SECRET_LENGTH * math.log2(len(keys.ALPHABET)) >= 256
    assert len(set(keys.ALPHABET)) == 62


def test_values_do_not_repeat():
    assert len({keys.generate("api") for _ in range(1000)}) == 1000


def test_every_single_character_change_fails_the_checksum():
    value = keys.generate("api")
    for position in range(keys.MARKER_LENGTH, len(value)):
        replacement = "A" if value[position] != "A" else "B"
        changed = value[:position] + replacement + value[position + 1 :]
        assert keys.kind_of(changed) is None, f"change at {position} went unnoticed"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Token",
        "a" * 64,
        "mdaapi" + "a" * 57,  # one short
        "mdaapi" + "a" * 59,  # one long
        "mdaxyz" + "a" * 58,  # unknown marker
        "mdaapi" + "é" * 58,
        "mdaapi" + "a" * 52 + "=====" + "a",
        "x" * 10_000,
    ],
)
def test_values_that_cannot_be_ours_are_recognised_as_such(value):
    assert keys.kind_of(value) is None


def test_digest_is_sha256_hex_and_suffix_is_the_last_four():
    value = keys.generate("api")

    assert keys.digest(value) == __import__("hashlib").sha256(value.encode()).hexdigest()
    assert keys.suffix(value) == value[-4:]


def test_the_format_readme_gives_secret_scanners_finds_and_verifies_every_kind():
    """docs/api.md ("Leaked tokens"): the regular expression, and the checksum recomputed as it is
    described there, without this product's code."""
    import re
    import zlib
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    pattern = re.compile(r"\bmda(api|sie|log|scm)[0-9A-Za-z]{58}\b")
    assert r"`\bmda(api|sie|log|scm)[0-9A-Za-z]{58}\b`" in readme
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    for kind in keys.MARKERS:
        value = keys.generate(kind)
        number, digits = zlib.crc32(value[:58].encode("ascii")), ""
        while number:
            number, remainder = divmod(number, 62)
            digits = alphabet[remainder] + digits
        assert pattern.fullmatch(value)
        assert digits.rjust(6, "0") == value[-6:]
