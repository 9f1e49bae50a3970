"""A token's network allow-list: the addresses and ranges (IPv4 and IPv6, CIDR) it may be
used from. Checked as written here by the services (a malformed entry, a range with its host
part set, an empty list: refused, naming the entry), matched here by the token check on
every request (a dictionary lookup once a token and an address have met).

Stored normalised: an address as Python writes it (`2001:db8::1`, never `2001:0db8::0001`),
a range as its network (`10.0.0.0/8`), a /32 or /128 as the address alone; without
repeats, in the order given. None is "unrestricted"."""

import functools
import ipaddress

from django.core.exceptions import ValidationError

MAX_ENTRIES = 50
MAX_ENTRY_LENGTH = 64  # the longest IPv6 range written out is 43 characters
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")  # IPv4 addresses written as IPv6


def _refused(message: str) -> ValidationError:
    return ValidationError({"allowed_ips": [message]})


def _entry(text) -> str:
    """One entry, normalised, or a ValidationError naming it."""
    if not isinstance(text, str):
        raise _refused("Each entry is an address or a range, written as text.")
    shown = text.strip()
    # A zone (fe80::1%eth0) names an interface of the machine that wrote it: not an address a
    # request can come from.
    if not shown or len(shown) > MAX_ENTRY_LENGTH or "%" in shown:
        raise _refused(f"{shown[:MAX_ENTRY_LENGTH]!r} is not an IP address or a CIDR range.")
    try:
        network = ipaddress.ip_network(shown, strict=True)
    except ValueError as error:
        if "has host bits set" in str(error):
            loose = ipaddress.ip_network(shown, strict=False)
            raise _refused(
                f"{shown} has its host part set: the range it starts is {loose}, "
                f"or give the address alone."
            ) from None
        raise _refused(f"{shown!r} is not an IP address or a CIDR range.") from None
    if network.prefixlen == 0:
        raise _refused(
            f"{shown} is every address: to let the token be used from anywhere, give null."
        )
    if network.version == 6 and network.subnet_of(_MAPPED):  # type: ignore[arg-type]
        # The check reads an IPv4 client seen through IPv6 as its IPv4 address: so is the list.
        network = ipaddress.IPv4Network(
            (int(network.network_address) & 0xFFFFFFFF, network.prefixlen - 96)
        )
    if network.num_addresses == 1:
        return str(network.network_address)
    return str(network)


def allowlist_check(entries) -> list[str] | None:
    """The allow-list as it will be stored: None (unrestricted), or at most MAX_ENTRIES
    addresses and ranges, normalised, without repeats. Raises ValidationError on
    `allowed_ips` naming the first entry it cannot take; an empty list is refused (to let a
    token be used from anywhere, give null)."""
    if entries is None:
        return None
    if isinstance(entries, str) or not isinstance(entries, list | tuple):
        raise _refused("Give a list of addresses and ranges, or null for no restriction.")
    if not entries:
        raise _refused(
            "An empty allow-list would refuse every request: give at least one address or "
            "range, or null for no restriction."
        )
    if len(entries) > MAX_ENTRIES:
        raise _refused(f"At most {MAX_ENTRIES} addresses and ranges; this list has {len(entries)}.")
    return list(dict.fromkeys(_entry(text) for text in entries))


def allowlist_from_text(text: str) -> list[str] | None:
    """What a person typed in a form (one per line, or separated by commas or spaces) as a
    list for allowlist_check; blank is None (unrestricted)."""
    parts = text.replace(",", " ").split()
    return parts or None


@functools.lru_cache(maxsize=256)
def _networks(allowlist: str) -> tuple:
    return tuple(ipaddress.ip_network(entry) for entry in allowlist.split(" "))


@functools.lru_cache(maxsize=8192)
def _allowed(allowlist: str, ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:10.0.0.1 is 10.0.0.1
    if mapped is not None:
        address = mapped
    return any(address in network for network in _networks(allowlist))


def address_allowed(allowlist: str, ip: str | None) -> bool:
    """Whether a request from `ip` (as core.http.origin_of read it through the trusted proxy;
    None: not known) may use a token whose stored allow-list is `allowlist` (its entries
    separated by spaces; blank: anywhere). Once a list and an address have met, a lookup."""
    if not allowlist:
        return True
    if ip is None:
        return False
    return _allowed(allowlist, ip)


def allowlist_text(allowed: list[str] | None) -> str:
    """An allow-list in words, for events and pages."""
    return "anywhere" if allowed is None else ", ".join(allowed)
