"""Roles and what they may do, as data. Every check asks for a capability, never a role name,
so changing what a role may do is a change to this table alone.

Capability names follow the Entra API permissions of Defender for Cloud Apps."""

from django.db import models


class Role(models.TextChoices):
    GLOBAL_ADMIN = "global_admin", "Global administrator"
    SECURITY_OPERATOR = "security_operator", "Security operator"
    COMPLIANCE_ADMIN = "compliance_admin", "Compliance administrator"
    SECURITY_READER = "security_reader", "Security reader"
    GLOBAL_READER = "global_reader", "Global reader"
    DISCOVERY_ADMIN = "discovery_admin", "Cloud Discovery administrator"


class Capability(models.TextChoices):
    INVESTIGATION_READ = "Investigation.read"
    INVESTIGATION_MANAGE = "Investigation.manage"
    DISCOVERY_READ = "Discovery.read"
    DISCOVERY_MANAGE = "Discovery.manage"
    SETTINGS_READ = "Settings.read"
    SETTINGS_MANAGE = "Settings.manage"
    TOKENS_MANAGE_ALL = "Tokens.manage_all"


_C = Capability
_READ_ALL = frozenset({_C.INVESTIGATION_READ, _C.DISCOVERY_READ, _C.SETTINGS_READ})

CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.GLOBAL_ADMIN: frozenset(Capability),
    Role.SECURITY_OPERATOR: _READ_ALL | {_C.INVESTIGATION_MANAGE},
    Role.COMPLIANCE_ADMIN: _READ_ALL | {_C.INVESTIGATION_MANAGE},
    Role.SECURITY_READER: _READ_ALL,
    Role.GLOBAL_READER: _READ_ALL,
    Role.DISCOVERY_ADMIN: frozenset({_C.DISCOVERY_READ, _C.DISCOVERY_MANAGE}),
}


_NOTHING: frozenset[Capability] = frozenset()


def capabilities_for(role: str) -> frozenset[Capability]:
    """The capabilities of a role; an unknown role (say, one removed since) grants nothing.
    (A dictionary lookup: every capability check of every request asks it.)"""
    return CAPABILITIES.get(role, _NOTHING)  # type: ignore[call-overload]  # Role is a str


# What a token may be narrowed to, per area (read / manage): every capability but the
# tokens table's own, which a narrowed token never carries (it sees and revokes itself only).
SCOPES: tuple[Capability, ...] = (
    _C.INVESTIGATION_READ,
    _C.INVESTIGATION_MANAGE,
    _C.DISCOVERY_READ,
    _C.DISCOVERY_MANAGE,
    _C.SETTINGS_READ,
    _C.SETTINGS_MANAGE,
)
READ_ONLY: frozenset[Capability] = _READ_ALL
# The capabilities that change data (`*.manage`, the tokens table's own included): a tenant's
# token policy may require an allow-list of the tokens that hold any.
CHANGES_DATA: frozenset[Capability] = frozenset(c for c in Capability if ".manage" in c.value)

# What each capability lets a token or an Entra token do, in the words the pages use (the
# data API's routes, security/api/, ask for these).
DESCRIPTIONS: dict[Capability, str] = {
    _C.INVESTIGATION_READ: "Read alerts, activities, files, entities and IP ranges",
    _C.INVESTIGATION_MANAGE: "Close and mark alerts, and send feedback on activities",
    _C.DISCOVERY_READ: "Read Cloud Discovery data (streams, categories, uploads) and alerts",
    _C.DISCOVERY_MANAGE: "Upload Cloud Discovery logs, get block scripts, and close alerts",
    _C.SETTINGS_READ: "Read IP ranges and the tenant's settings",
    _C.SETTINGS_MANAGE: "Change IP ranges, users and the token policy",
    _C.TOKENS_MANAGE_ALL: "See and revoke every API token of the tenant",
}


def described(capabilities) -> list[tuple[str, str]]:
    """(name, description) of each capability, in the table's order."""
    return [(c.value, DESCRIPTIONS[c]) for c in Capability if c in capabilities]
