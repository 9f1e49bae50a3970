"""The demo's people: their Entra users (entities in Office 365) with their accounts in
other apps, two applications' accounts, and the governance actions records offer."""

import random
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from demo.data.catalogue import (
    AGENTS,
    AZURE,
    EXCHANGE,
    LOCATIONS,
    ONEDRIVE,
    SHAREPOINT,
    TEAMS,
    USER_TASKS,
    guid,
    stable_id,
)
from security.enumerations import (
    BUILTIN_USER_GROUPS,
    ENTITY_TYPE_APPLICATION,
    ENTITY_TYPE_USER,
    ID_TYPE_APPLICATION,
    ID_TYPE_USER,
    OFFICE_365,
    app_name,
)
from security.records import (
    entity_from_record,
)
from security.services import records_add
from security.shapes import to_iso


def governance_action(task: str, kind: str, parameters: dict) -> dict:
    """A governance action as records list them (their texts are templates)."""
    stem = "TASKS_ADALIBPY_" + "".join(
        "_" + c if c.isupper() else c.upper() for c in task.removesuffix("Task")
    ).lstrip("_")
    return {
        "task_name": task,
        "display_title": f"{stem}_DISPLAY_TITLE",
        "type": kind,
        "governance_type": "link"
        if task.endswith("Link")
        else "collaborator"
        if task == "RemoveCollaboratorPermissionFileTask"
        else None,
        "bulk_support": kind == "file",
        "has_icon": True,
        "display_description": {
            "template": f"{stem}_DISPLAY_DESCRIPTION",
            "parameters": parameters,
        },
        "bulk_display_description": f"{stem}_BULK_DISPLAY_DESCRIPTION",
        "preview_only": False,
        "display_alert_text": f"{stem}_DISPLAY_ALERT_TEXT",
        "display_alert_success_text": f"{stem}_DISPLAY_ALERT_SUCCESS_TEXT",
        "is_blocking": None,
        "confirm_button_style": "red",
        "optional_notify": None,
        "uiGovernanceCategory": (2 if task.startswith("Remove") else 1) if kind == "file" else None,
        "alert_display_title": None,
        "confirmation_button_text": None,
        "confirmation_link": None,
    }


def task_parameters(task: str, file_name: str) -> dict:
    """What a file task's description names: the file, and for the sharing tasks its type."""
    parameters: dict[str, Any] = {"fileName": file_name}
    if task.startswith("Remove"):
        parameters["fileType"] = {"template": "ENUM_FILE_TYPE_FILE"}
    if task == "RemoveEveryoneFileTask":
        parameters["folderWarning"] = ""
    return parameters


# --- people ------------------------------------------------------------------------------------


class Person:
    """A demo person: their Entra user (an entity in Office 365) and what events need."""

    def __init__(self, username: str, rng: random.Random, tenant) -> None:
        local, _, self.domain = username.partition("@")
        self.upn = username
        self.name = " ".join(part.capitalize() for part in local.replace("_", ".").split("."))
        self.object_id = guid(rng)
        self.is_admin = local in {"admin", "operator", "globalreader"}
        self.is_external = self.domain != "contoso.com"
        self.groups = (
            [tenant_group(tenant, "Office 365 administrator", OFFICE_365)] if self.is_admin else []
        )
        if self.is_external:
            self.groups.append(builtin_group(tenant, "000000200000000000000000"))
        self.group_ids = [group["id"] for group in self.groups]
        self.home = rng.randrange(len(LOCATIONS) - 1)  # where they usually are (not a cloud)
        self.agent = rng.randrange(len(AGENTS) - 2)  # their usual browser
        self.ip = f"{LOCATIONS[self.home][8][0]}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def tenant_group(tenant, name: str, app_id: int | None = None) -> dict:
    group = {
        "_id": stable_id(tenant.public_id, "group-doc", name),
        "id": stable_id(tenant.public_id, "group", name),
        "name": name,
        "description": "Company administrators, user account administrators, helpdesk "
        "administrators, service support administrators, and billing administrators",
        "usersCount": 3,
    }
    if app_id is not None:
        group["appId"] = app_id
    return group


def builtin_group(tenant, group_id: str) -> dict:
    name, description = BUILTIN_USER_GROUPS[group_id]
    return {
        "_id": stable_id(tenant.public_id, "group-doc", group_id),
        "id": group_id,
        "name": name,
        "description": description,
        "usersCount": 1,
    }


def people(tenant, usernames: list[str], rng: random.Random) -> list[Person]:
    """The people's users (type 2, in Office 365) with accounts in three or four other apps,
    and two applications' accounts (type 1)."""
    persons = [Person(username, rng, tenant) for username in usernames]
    now = timezone.now()
    users = [entity_from_record(_user_record(person, rng, now)) for person in persons]
    apps = [
        entity_from_record(_application_record(tenant, name, rng, now))
        for name in ("MS Graph Groups", "Contoso HR connector")
    ]
    records_add(tenant=tenant, records=users + apps)
    accounts = []
    for person, user in zip(persons, users, strict=True):
        for app_id in rng.sample([AZURE, EXCHANGE, ONEDRIVE, SHAREPOINT, TEAMS], 3):
            accounts.append(
                entity_from_record(
                    {
                        "id": person.object_id,
                        "type": ENTITY_TYPE_APPLICATION,
                        "idType": ID_TYPE_USER,
                        "status": 2,
                        "displayName": person.name,
                        "email": person.upn,
                        "domain": person.domain,
                        "isAdmin": person.is_admin,
                        "isExternal": person.is_external,
                        "userGroups": [],
                        "lastSeen": to_iso(user.last_seen),
                        "threatScore": None,
                        "appData": {
                            "appId": app_id,
                            "name": app_name(app_id),
                            "saas": app_id,
                            "instance": 0,
                        },
                        "isFake": False,
                        "actions": [],
                    },
                    parent=user,
                )
            )
    records_add(tenant=tenant, records=accounts)
    return persons


def _user_record(person: Person, rng: random.Random, now: datetime) -> dict:
    last_seen = now - timedelta(minutes=rng.randrange(5, 3000))
    score = rng.randrange(0, 90)
    return {
        "type": ENTITY_TYPE_USER,
        "status": 2,
        "displayName": person.name,
        "id": person.object_id,
        "userGroups": person.groups,
        "identifiers": [],
        "sid": None,
        "appData": {
            "appId": OFFICE_365,
            "name": app_name(OFFICE_365),
            "saas": OFFICE_365,
            "instance": 0,
        },
        "isAdmin": person.is_admin,
        "isExternal": person.is_external,
        "email": person.upn,
        "role": "Global Administrator" if person.is_admin else "User",
        # The directory's company name: Contoso's own people, or a guest's company.
        "organization": person.domain.split(".")[0].title(),
        "lastSeen": last_seen.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "domain": person.domain,
        "scoreTrends": {now.strftime("%Y%m%d"): {}},
        "subApps": [],
        "threatScore": score,
        "idType": ID_TYPE_USER,
        "isFake": False,
        "actions": [governance_action(task, "user", {"user": person.upn}) for task in USER_TASKS],
        "sctime": int((now - timedelta(days=1)).timestamp() * 1000),
        "threatScoreHistory": [
            {
                "dateFormatted": (now - timedelta(days=days)).strftime("%Y%m%d"),
                "dateUtc": int((now - timedelta(days=days)).timestamp() * 1000),
                "score": max(0, score - days),
                "percentile": min(100, score),
                "breakdown": {},
            }
            for days in (2, 1, 0)
        ],
    }


def _application_record(tenant, name: str, rng: random.Random, now: datetime) -> dict:
    return {
        "type": ENTITY_TYPE_APPLICATION,
        "status": 2,
        "displayName": name,
        "id": guid(rng),
        "userGroups": [
            builtin_group(tenant, "0000003b0000000000000000"),
            builtin_group(tenant, "000000200000000000000000"),
        ],
        "identifiers": [],
        "sid": None,
        "appData": {
            "appId": OFFICE_365,
            "name": app_name(OFFICE_365),
            "saas": OFFICE_365,
            "instance": 0,
        },
        "isAdmin": False,
        "isExternal": True,
        "email": None,
        "role": None,
        "organization": None,
        "lastSeen": (now - timedelta(hours=rng.randrange(1, 48))).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "domain": None,
        "scoreTrends": None,
        "subApps": [],
        "threatScore": None,
        "idType": ID_TYPE_APPLICATION,
        "isFake": False,
        "actions": [],
        "sctime": None,
    }
