"""Block scripts: the configuration that makes an appliance block the apps a tenant tagged
unsanctioned, one script per appliance format (REFERENCE D6; the formats in
security.enumerations.BLOCK_SCRIPT_FORMATS). A script names each app's domains once; a
domain blocks its subdomains too."""

from collections.abc import Callable, Iterable

NAME = "MCAS_unsanctioned"


def _domains(apps: Iterable) -> list[str]:
    found: dict[str, None] = {}
    for app in apps:
        for domain in app.domains:
            if isinstance(domain, str) and domain.strip():
                found[domain.strip().lower().lstrip("*.")] = None
    return sorted(found)


def _bluecoat(domains: list[str]) -> str:
    # ProxySG's policy language: a rule per domain, as the reference's example writes it.
    return "\n".join(["<Proxy>", *(f"url.domain={domain} deny" for domain in domains)])


def _cisco_asa(domains: list[str]) -> str:
    lines = []
    for index, domain in enumerate(domains, 1):
        lines.append(f'regex {NAME}_{index} "{domain.replace(".", chr(92) + ".")}"')
    lines.append(f"class-map type regex match-any {NAME}")
    lines += [f" match regex {NAME}_{index}" for index in range(1, len(domains) + 1)]
    return "\n".join(lines)


def _fortigate(domains: list[str]) -> str:
    lines = [
        "config webfilter urlfilter",
        "    edit 1",
        f'        set name "{NAME}"',
        "        config entries",
    ]
    for index, domain in enumerate(domains, 1):
        lines += [
            f"            edit {index}",
            f'                set url "*.{domain}"',
            "                set type wildcard",
            "                set action block",
            "            next",
        ]
    lines += ["        end", "    next", "end"]
    return "\n".join(lines)


def _palo_alto(domains: list[str]) -> str:
    # A custom URL category's entries: the domain and everything beneath it.
    return "\n".join(entry for domain in domains for entry in (domain, f"*.{domain}"))


def _zscaler(domains: list[str]) -> str:
    return "\n".join(f".{domain}" for domain in domains)


def _juniper(domains: list[str]) -> str:
    values = " ".join(f'"*.{domain}"' for domain in domains)
    return "\n".join(
        [
            f"set security utm custom-objects url-pattern {NAME} value [ {values} ]",
            f"set security utm custom-objects custom-url-category {NAME} value {NAME}",
        ]
    )


def _websense(domains: list[str]) -> str:
    return "\n".join(f"http://{domain}/" for domain in domains)


WRITERS: dict[int, Callable[[list[str]], str]] = {
    102: _bluecoat,
    104: _cisco_asa,
    108: _fortigate,
    112: _palo_alto,
    120: _zscaler,
    129: _juniper,
    135: _websense,
}


def block_script(format_id: int, apps: Iterable) -> str:
    """The script for `format_id` blocking `apps` (each with its `domains`)."""
    domains = _domains(apps)
    return WRITERS[format_id](domains) + "\n" if domains else ""
