"""HTTP pieces every app uses: which paths are the API's, the no-store headers, route URLs and
where a request came from."""

import functools
import ipaddress
from dataclasses import dataclass

from django.conf import settings

# Paths answered by the API (JSON errors, lazy tenant, no page redirects).
API_PREFIXES = ("/api/", "/cas/api/", "/scim/")


# Responses that carry or list credentials: never kept by a browser or a proxy.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def no_store(response):
    """The response, never kept by the browser or a proxy (a token's value, a list of
    credentials: the back button and caches must not bring them back)."""
    for header, value in NO_STORE.items():
        response[header] = value
    return response


@dataclass(frozen=True)
class Origin:
    """Where a change came from: the client's address and user agent (the token event log
    keeps them). SYSTEM is a change no request made (a command, a job)."""

    ip: str | None = None
    user_agent: str = ""


SYSTEM = Origin()


def origin_of(request) -> Origin:
    """The client of `request`: the trusted header if TRUSTED_CLIENT_IP_HEADER names one,
    else the address TRUSTED_PROXY_COUNT entries from the right of X-Forwarded-For, else the
    connection's (the reading the sign-in limits make through allauth, without its cost on
    the API's hot path). An address that is not one is left out."""
    meta = getattr(request, "_request", request).META  # a DRF request wraps Django's
    ip = None
    if header := settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER:
        ip = meta.get("HTTP_" + header.upper().replace("-", "_"))
    else:
        proxies = settings.ALLAUTH_TRUSTED_PROXY_COUNT
        forwarded = meta.get("HTTP_X_FORWARDED_FOR") if proxies else None
        if forwarded:
            hops = forwarded.split(",")
            ip = hops[-proxies] if len(hops) >= proxies else None
        ip = ip or meta.get("REMOTE_ADDR")
    return Origin(ip=_address(ip) if ip else None, user_agent=meta.get("HTTP_USER_AGENT", "")[:300])


@functools.lru_cache(maxsize=4096)
def _address(text: str) -> str | None:
    """An address as written canonically, or None if it is not one (a forwarded header can
    hold anything). Kept for the addresses seen last: a script calls from the same one."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def route_url(base: str, name: str, **kwargs: object) -> str:
    """`base` (a tenant's custom URL) and the path of the route `name`, ending in a slash as
    the reference's URLs do (reverse() drops the optional slash of the API's `/?$` routes)."""
    from django.urls import reverse

    path = reverse(name, kwargs=kwargs or None)
    return base + (path if path.endswith("/") else path + "/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def normalise_host(host: str) -> str:
    """A Host header as a name to compare: lower-case, without the port and without the
    trailing dot of a fully qualified name (`FABRIKAM.EU.portal.example.com.:443` and
    `fabrikam.eu.portal.example.com` are one host)."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal, with or without a port
        return host[: host.index("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0].rstrip(".")


def is_safe_redirect(request, url: str) -> bool:
    """Whether to follow a `next` the client gave: a path on this very host (never another
    tenant's), over HTTPS when this request came over HTTPS."""
    from django.utils.http import url_has_allowed_host_and_scheme

    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def close_with(response, close) -> None:
    """Has `close` run when `response` is closed: the WSGI server closes every response at
    the request's end, also one whose body was never read (a client gone, an error). A
    server-side cursor left to the garbage collector would be closed at a moment of its
    choosing, possibly in the middle of another query on the same connection, which
    psycopg cannot take (it waits for its own lock: a hung worker)."""
    response._resource_closers.append(close)
