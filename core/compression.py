"""gzip for the data API's large answers, for clients that ask for it (`Accept-Encoding:
gzip`, as Python's requests and every SIEM's HTTP client send it): a scan step of 5,000
activities is some 19 MB of JSON, about 3 MB compressed.

Only answers a view marks `compressible` are compressed (the data API's lists: records an
app reported, no secret in them), never a page or an answer that holds a token value or a
CSRF token beside what a client sent: compressing those together would let an observer of
sizes guess the secret (BREACH). A marked answer always carries `Vary: Accept-Encoding`,
compressed or not, so that no cache hands a compressed answer to a client that did not ask.

Compressed by ISA-L (isal), at its level 1: on this machine a 5,000 step of 19 MB takes
26 ms and comes to 3.2 MB, where zlib's fastest level takes 116 ms for 3.3 MB and its
default (6) 278 ms for 2.4 MB: zlib would have doubled a step's time (docs/DECISIONS.md
85). The output is ordinary gzip."""

from collections.abc import Iterable, Iterator

from django.utils.cache import patch_vary_headers
from isal import isal_zlib as zlib

LEVEL = 1
GZIP = 16 + zlib.MAX_WBITS  # zlib's gzip framing (header and CRC-32 trailer)
MIN_BYTES = 1024  # below this, the header and the work cost more than they save


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header takes gzip: named (or `*`) with a q above 0, and
    not refused by name (`gzip;q=0`). RFC 9110 12.5.3."""
    named = wildcard = None
    for coding in header.split(","):
        name, _, params = coding.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        name = name.strip().lower()
        if name in ("gzip", "x-gzip"):
            named = q > 0
        elif name == "*":
            wildcard = q > 0
    return named if named is not None else bool(wildcard)


def _compressed(pieces: Iterable[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, GZIP)
    for piece in pieces:
        if out := compressor.compress(piece):
            yield out
    yield compressor.flush()


class CompressionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not getattr(response, "compressible", False)
            or response.has_header("Content-Encoding")
            or not response.get("Content-Type", "").startswith("application/json")
        ):
            return response  # the browsable API's page of a list holds a CSRF token
        patch_vary_headers(response, ("Accept-Encoding",))
        if response.status_code != 200 or not accepts_gzip(
            request.META.get("HTTP_ACCEPT_ENCODING", "")
        ):
            return response
        if response.streaming:
            response.streaming_content = _compressed(response.streaming_content)
        else:
            if len(response.content) < MIN_BYTES:
                return response
            response.content = b"".join(_compressed([response.content]))
            response["Content-Length"] = str(len(response.content))
        response["Content-Encoding"] = "gzip"
        return response
