"""The demo's OneDrive and SharePoint files, as the apps report them (SharePoint item,
role assignments, governance actions)."""

import random
from datetime import datetime, timedelta

from demo.data.catalogue import (
    FILE_KINDS,
    FILE_TASKS,
    FILE_WORDS,
    FULL_CONTROL,
    ONEDRIVE,
    READ,
    SHAREPOINT,
    guid,
    object_id,
)
from demo.data.people import Person, governance_action, task_parameters
from security.enumerations import (
    AccessLevel,
    app_name,
)


def _assignment(principal: int, member: dict, role: tuple) -> dict:
    role_id, name, order, kind, high, low = role
    return {
        "Member": {
            "Alerts": {},
            "Expiration": "",
            "Groups": {},
            "Id": principal,
            "IsEmailAuthenticationGuestUser": False,
            "IsHiddenInUI": False,
            "IsShareByEmailGuestUser": False,
            **member,
        },
        "PrincipalId": principal,
        "RoleDefinitionBindings": {
            "results": [
                {
                    "BasePermissions": {"High": high, "Low": low},
                    "Hidden": False,
                    "Id": role_id,
                    "Name": name,
                    "Order": order,
                    "RoleTypeKind": kind,
                },
            ]
        },
    }


def _role_assignments(tenant, person: Person, rng: random.Random) -> list[dict]:
    """Who holds what on a shared item: its owner Full Control, everyone inside Read."""
    owner = {
        "Email": person.upn,
        "IsSiteAdmin": True,
        "LoginName": f"i:0#.f|membership|{person.upn}",
        "PrincipalType": 1,
        "Title": person.name,
        "UserPrincipalName": person.upn,
        "UserId": {
            "NameId": f"{rng.getrandbits(64):016x}",
            "NameIdIssuer": "urn:federation:microsoftonline",
        },
    }
    everyone = {
        "Email": "",
        "IsSiteAdmin": False,
        "LoginName": "c:0-.f|rolemanager|spo-grid-all-users/"
        + str(tenant.entra_tenant_id or tenant.public_id),
        "PrincipalType": 4,
        "Title": "Everyone except external users",
        "UserId": None,
        "UserPrincipalName": None,
    }
    return [_assignment(4, owner, FULL_CONTROL), _assignment(5, everyone, READ)]


def file_record(tenant, person: Person, rng: random.Random, i: int, now: datetime) -> dict:
    extension, file_type, mime = rng.choice(FILE_KINDS)
    app_id = rng.choice([ONEDRIVE, SHAREPOINT])
    modified = now - timedelta(days=rng.randrange(0, 120), minutes=rng.randrange(0, 1440))
    created = modified - timedelta(days=rng.randrange(0, 400))
    name = f"{rng.choice(FILE_WORDS)} {2024 + i % 3}.{extension}"
    site_id, unique, parent, drive = guid(rng), guid(rng), guid(rng), guid(rng)
    slug = person.upn.replace("@", "_").replace(".", "_")
    if app_id == ONEDRIVE:
        domain, site = "https://contoso-my.sharepoint.com", f"/personal/{slug}"
    else:
        domain, site = "https://contoso.sharepoint.com", "/sites/Finance"
    path = f"{site}/Documents/{name}"
    sharing = rng.choice(
        [AccessLevel.PRIVATE] * 3
        + [AccessLevel.INTERNAL] * 2
        + [AccessLevel.EXTERNAL, AccessLevel.PUBLIC]
    )
    collaborators, groups, group_ids, shown = [], [], [], []
    if sharing >= AccessLevel.INTERNAL:
        group = "Everyone except external users"
        collaborators = [{"accessLevel": 1, "id": "5", "name": group, "role": 0, "type": 2}]
        groups, group_ids = [group], [f"{site}|5"]
        shown = [
            {
                "allowRemoveCollaborator": True,
                "id": group,
                "label": f"Group: {group}",
                "type": "group",
            }
        ]
    domains = [person.domain] + (["fabrikam.com"] if sharing >= AccessLevel.EXTERNAL else [])
    status = 1 if rng.random() < 0.06 else 0  # a few in the recycle bin
    return {
        "_id": object_id(rng),
        "appId": app_id,
        "appName": app_name(app_id),
        "id": f"{site_id}|{unique}",
        "instId": 0,
        "fileSize": rng.randrange(2_000, 40_000_000),
        "createdDate": int(created.timestamp() * 1000),
        "modifiedDate": int(modified.timestamp() * 1000),
        "driveId": f"{site_id}|{drive}",
        "scanVersion": 4,
        "parentId": f"{site_id}|{parent}",
        "alternateLink": domain + path,
        "isFolder": False,
        "ftype": file_type,
        "name": name,
        "isForeign": False,
        "noGovernance": False,
        "facl": sharing,
        "ownerAddress": person.upn,
        "ownerName": person.name,
        "externalShares": [],
        "emails": [person.upn],
        "groupIds": group_ids,
        "groups": groups,
        "domains": domains,
        "mimeType": mime,
        "parentIds": [f"{site_id}|{parent}"],
        "ownerExternal": False,
        "fileExtension": extension,
        "lastNrtTimestamp": int(modified.timestamp() * 1000) + 180_000,
        "effectiveParents": [f"{site_id}|{drive}", f"{site_id}|{parent}"],
        "collaborators": collaborators,
        "display_collaborators": shown,
        "sharepointItem": {
            "UniqueId": unique,
            "ServerRelativeUrl": path,
            "Name": name,
            "Length": rng.randrange(2_000, 40_000_000),
            "TimeLastModified": modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "TimeCreated": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Author": {
                "sourceBitmask": 0,
                "oneDriveEmail": person.upn,
                "trueEmail": person.upn,
                "externalUser": False,
                "LoginName": f"i:0#.f|membership|{person.upn}",
                "name": person.name,
                "idInSiteCollection": str(rng.randrange(3, 40)),
                "sipAddress": person.upn,
                "Email": person.upn,
                "Title": person.name,
            },
            "LinkingUrl": "",
            "parentUniqueId": parent,
            "roleAssignments": _role_assignments(tenant, person, rng) if collaborators else [],
            "hasUniqueRoleAssignments": bool(collaborators),
            "urlFromMetadata": None,
            "ModifiedBy": {
                "LoginName": f"i:0#.f|membership|{person.upn}",
                "Title": person.name,
                "Email": person.upn,
            },
            "scopeId": guid(rng).upper(),
            "isFolder": False,
            "encodedAbsUrl": domain + path.replace(" ", "%20"),
        },
        "siteCollection": site,
        "sitePath": site,
        "filePath": path,
        "spDomain": domain,
        "siteCollectionId": site_id,
        "fileStatus": [status, "TRASHED" if status else "EXISTS"],
        "unseenScans": 0,
        "dlpScanResults": [],
        "fTags": [],
        "enriched": True,
        "snapshotLastModifiedDate": modified.isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        ),
        "actions": [
            governance_action(task, "file", task_parameters(task, name)) for task in FILE_TASKS
        ],
    }


# Apps the data sources' logs showed: catalogue id, name, category, domains, risk score,
# sanction (the unsanctioned ones are what block scripts block).
