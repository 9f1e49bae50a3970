"""Small factories for the models the tests need; each returns a saved object."""

import itertools

from accounts.models import Tenant, User
from accounts.roles import Role
from tokens.models import ApiToken, Kind
from tokens.services import token_generate

_sequence = itertools.count(1)


def make_tenant(**fields) -> Tenant:
    n = next(_sequence)
    fields.setdefault("name", f"Tenant {n}")
    fields.setdefault("slug", f"tenant{n}")
    fields.setdefault("region", "us2")
    return Tenant.objects.create(**fields)


def make_user(tenant: Tenant | None, role: str = Role.SECURITY_READER, **fields) -> User:
    n = next(_sequence)
    fields.setdefault("username", f"user{n}@example.com")
    fields.setdefault("first_name", f"First{n}")
    fields.setdefault("last_name", f"Last{n}")
    password = fields.pop("password", "correct-horse-battery-9")
    user = User(tenant=tenant, role=role, **fields)
    user.set_password(password)
    user.save()
    return user


def make_token(user: User, name: str = "Script", kind: str = Kind.API) -> tuple[ApiToken, str]:
    return token_generate(user=user, name=name, kind=kind)
