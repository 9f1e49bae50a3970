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


# --- the tenant's security data (security/models.py) -------------------------------------------


def make_entity(tenant, **fields):
    from security.models import Entity

    n = next(_sequence)
    fields.setdefault("entity_id", f"00000000-0000-4000-8000-{n:012d}")
    fields.setdefault("display_name", f"Person {n}")
    # A user (type 2) unless it is someone's account in another app (type 1).
    fields.setdefault("type", 1 if fields.get("parent") is not None else 2)
    return Entity.objects.create(tenant=tenant, **fields)


def make_alert(tenant, **fields):
    from django.utils import timezone

    from security.models import Alert

    n = next(_sequence)
    fields.setdefault("id_value", 1000 + n)
    fields.setdefault("title", f"Alert {n}")
    fields.setdefault("timestamp", timezone.now())
    fields.setdefault("severity", 1)
    return Alert.objects.create(tenant=tenant, **fields)


def make_activity(tenant, **fields):
    from django.utils import timezone

    from security.models import Activity
    from security.records import with_record

    n = next(_sequence)
    document = fields.pop("document", {})  # the rest of the record, beside its columns
    fields.setdefault("timestamp", timezone.now())
    fields.setdefault("created", fields["timestamp"])
    fields.setdefault("service", 11161)
    fields.setdefault("app_name", "Office 365")
    fields.setdefault("description", f"Activity {n}")
    entity = fields.get("entity")
    if entity is not None:
        fields.setdefault("entity_key", f"{entity.entity_id}:{entity.inst}")
    activity = with_record(Activity(tenant=tenant, **fields), document)
    activity.save()
    return activity


def make_file(tenant, **fields):
    from django.utils import timezone

    from security.models import File

    n = next(_sequence)
    fields.setdefault("file_id", f"file{n}")
    fields.setdefault("name", f"File {n}.docx")
    fields.setdefault("service", 20892)
    fields.setdefault("app_name", "Microsoft SharePoint Online")
    fields.setdefault("created_date", timezone.now())
    fields.setdefault("modified_date", fields["created_date"])
    return File.objects.create(tenant=tenant, **fields)


def make_subnet(tenant, **fields):
    from django.utils import timezone

    from security.models import Subnet

    n = next(_sequence)
    fields.setdefault("name", f"Range {n}")
    fields.setdefault("category", 1)
    fields.setdefault("subnets", [f"10.{n % 250}.0.0/16"])
    fields.setdefault("last_modified", timezone.now())
    return Subnet.objects.create(tenant=tenant, **fields)
