"""Token values: how they are made, recognised and digested.

A value is `{marker}{secret}{checksum}`, letters and digits only, 64 characters:

- marker: 6 characters naming the kind (`mdaapi`, `mdasie`, `mdalog`, `mdascm`), so that secret
  scanners can find leaked tokens and a token of one kind is never mistaken for another;
- secret: 52 characters drawn uniformly from 62 by `secrets` (52 x log2(62) = 309 bits);
- checksum: CRC32 of marker + secret, in base62, 6 characters, zero-padded.

A mistyped or made-up value fails the checksum and is refused without a database query. Only
the SHA-256 digest of a value is stored: the secret has far more entropy than anyone could
search, so a plain, unsalted digest is enough to make a stolen table useless and lets the
lookup be one indexed equality.
"""

import hashlib
import secrets
import string
import zlib

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
_ALPHABET_SET = frozenset(ALPHABET)

MARKERS = {"api": "mdaapi", "siem": "mdasie", "log_collector": "mdalog", "scim": "mdascm"}
KIND_BY_MARKER = {marker: kind for kind, marker in MARKERS.items()}
MARKER_LENGTH = 6
SECRET_LENGTH = 52
CHECKSUM_LENGTH = 6
TOKEN_LENGTH = MARKER_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH  # 64
SUFFIX_LENGTH = 4  # shown on the page to tell tokens apart


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(ALPHABET[remainder])
    return "".join(reversed(digits)).rjust(width, "0")


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), CHECKSUM_LENGTH)


def generate(kind: str) -> str:
    """A new token value of the given kind."""
    body = MARKERS[kind] + "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))
    return body + _checksum(body)


def kind_of(value: str) -> str | None:
    """The kind of a well-formed value, or None when the value cannot be one of ours (wrong
    length, a character outside [0-9A-Za-z], an unknown marker, a failed checksum)."""
    if len(value) != TOKEN_LENGTH or not _ALPHABET_SET.issuperset(value):
        return None
    kind = KIND_BY_MARKER.get(value[:MARKER_LENGTH])
    if kind is None:
        return None
    body = value[:-CHECKSUM_LENGTH]
    if not secrets.compare_digest(_checksum(body), value[-CHECKSUM_LENGTH:]):
        return None
    return kind


def digest(value: str) -> str:
    """The stored form of a value: SHA-256, hex."""
    return hashlib.sha256(value.encode("ascii")).hexdigest()


def suffix(value: str) -> str:
    return value[-SUFFIX_LENGTH:]
