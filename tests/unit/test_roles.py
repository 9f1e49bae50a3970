import pytest

from accounts.roles import CAPABILITIES, Capability, Role, capabilities_for

READ = {"Investigation.read", "Discovery.read", "Settings.read"}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            Role.GLOBAL_ADMIN,
            READ
            | {"Investigation.manage", "Discovery.manage", "Settings.manage", "Tokens.manage_all"},
        ),
        (Role.SECURITY_OPERATOR, READ | {"Investigation.manage"}),
        (Role.COMPLIANCE_ADMIN, READ | {"Investigation.manage"}),
        (Role.SECURITY_READER, READ),
        (Role.GLOBAL_READER, READ),
        (Role.DISCOVERY_ADMIN, {"Discovery.read", "Discovery.manage"}),
    ],
)
def test_each_role_has_exactly_the_capabilities_of_the_design(role, expected):
    assert set(capabilities_for(role)) == expected


def test_every_role_is_in_the_table():
    assert set(CAPABILITIES) == set(Role)


def test_an_unknown_role_grants_nothing():
    assert capabilities_for("retired_role") == frozenset()
    assert Capability.TOKENS_MANAGE_ALL not in capabilities_for("")
