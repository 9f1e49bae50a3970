"""A realistic, varied data set for a demo tenant (seed_demo) and for the benchmark, in the
shapes real tenants return (RECORDS.md): people with their accounts in Microsoft 365 apps
and two applications' accounts; a month of activities (OneDrive and SharePoint file events,
Exchange Online mail events, Entra ID sign-ins, with locations and parsed user agents), the
last day of Exchange Online dense enough that a scan takes several pages; alerts of every
severity and status; OneDrive and SharePoint files; IP ranges with built-in and custom tags;
Cloud Discovery data sources and discovered apps. Deterministic for a given seed.

Event types, user agents and locations are the kinds real records carry; where RECORDS.md
lists no event type for a kind (SharePoint, Exchange Online, a successful Entra sign-in),
the type follows the pattern of the ones it lists, and EVENT_TYPES says so."""

import hashlib
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from security.enumerations import (
    BUILTIN_USER_GROUPS,
    ENTITY_TYPE_APPLICATION,
    ENTITY_TYPE_USER,
    ID_TYPE_APPLICATION,
    ID_TYPE_USER,
    OFFICE_365,
    AccessLevel,
    FileType,
    IpCategory,
    app_name,
)
from security.models import AlertStatus, DataSource, DiscoveredApp, Entity, Resolution, Severity
from security.records import (
    activity_from_record,
    alert_from_record,
    entity_from_record,
    file_from_record,
)
from security.services import SubnetFields, records_add, subnet_create
from security.shapes import to_iso

ONEDRIVE, SHAREPOINT, EXCHANGE, AZURE, TEAMS = 15600, 20892, 20893, 12260, 28375

# --- what events look like ------------------------------------------------------------------------

# kind -> (eventType, eventTypeValue, eventTypeName, genericEventType, seen in real records)
EVENT_TYPES = {
    "onedrive": (
        233580,
        "EVENT_O365_ONEDRIVE_GENERIC",
        "EVENT_CATEGORY_UNSPECIFIED",
        "ENUM_ACTIVITY_GENERIC_TYPE_BASIC",
        True,
    ),
    "sharepoint": (
        233581,
        "EVENT_O365_SHAREPOINT_GENERIC",
        "EVENT_CATEGORY_UNSPECIFIED",
        "ENUM_ACTIVITY_GENERIC_TYPE_BASIC",
        False,
    ),
    "exchange": (
        233582,
        "EVENT_O365_EXCHANGE_GENERIC",
        "EVENT_CATEGORY_UNSPECIFIED",
        "ENUM_ACTIVITY_GENERIC_TYPE_BASIC",
        False,
    ),
    "login": (
        2293760,
        "EVENT_AAD_LOGIN",
        "EVENT_CATEGORY_LOGIN",
        "ENUM_ACTIVITY_GENERIC_TYPE_LOGIN",
        False,
    ),
    "failed_login": (
        2293761,
        "EVENT_AAD_LOGIN_FAILED",
        "EVENT_CATEGORY_FAILED_LOGIN",
        "ENUM_ACTIVITY_GENERIC_TYPE_FAILED_LOGIN",
        True,
    ),
}

FILE_OPERATIONS = [
    "FilePreviewed",
    "FileAccessed",
    "FileDownloaded",
    "FileModified",
    "FileUploaded",
    "FileCheckedOut",
]
MAIL_OPERATIONS = [
    ("MailItemsAccessed", False),
    ("Send", False),
    ("MoveToDeletedItems", False),
    ("New-InboxRule", True),
    ("Set-Mailbox", True),
]

# country, city, region, region code, postal code, latitude, longitude, ISP, first octets,
# IP category, IP tags
LOCATIONS = [
    (
        "US",
        "Redmond",
        "Washington",
        "WA",
        "98052",
        47.674,
        -122.1215,
        "Microsoft Corporation",
        (20, 40),
        0,
        [],
    ),
    (
        "US",
        "Seattle",
        "Washington",
        "WA",
        "98101",
        47.6062,
        -122.3321,
        "Comcast Cable",
        (73, 98),
        0,
        [],
    ),
    (
        "GB",
        "London",
        "England",
        "ENG",
        "EC1A",
        51.5074,
        -0.1278,
        "British Telecommunications",
        (81, 86),
        0,
        [],
    ),
    (
        "DE",
        "Frankfurt am Main",
        "Hesse",
        "HE",
        "60311",
        50.1109,
        8.6821,
        "Deutsche Telekom AG",
        (79, 87),
        0,
        [],
    ),
    (
        "IL",
        "Tel Aviv",
        "Tel Aviv",
        "TA",
        "6100000",
        32.0679,
        34.7604,
        "Cellcom Group",
        (5, 77),
        0,
        [],
    ),
    (
        "IN",
        "Mumbai",
        "Maharashtra",
        "MH",
        "400001",
        19.076,
        72.8777,
        "Reliance Jio Infocomm",
        (49, 157),
        0,
        [],
    ),
    (
        "JP",
        "Tokyo",
        "Tokyo",
        "13",
        "100-0001",
        35.6762,
        139.6503,
        "NTT Communications",
        (60, 122),
        0,
        [],
    ),
    (
        "US",
        "Ashburn",
        "Virginia",
        "VA",
        "20147",
        39.0438,
        -77.4874,
        "Amazon.com",
        (3, 52),
        5,
        ["000000290000000000000000"],
    ),
]


def _agent(
    device_ua: str,
    name: str,
    family: str,
    kind: str,
    device: str,
    os_key: str,
    os_name: str,
    os_family: str,
    version: str = "",
    tags: tuple = (),
    native: bool = False,
) -> tuple[str, dict]:
    """A user agent as devices send it and as records carry it parsed."""
    parsed: dict[str, Any] = {
        "family": family,
        "name": name,
        "operatingSystem": {"name": os_name, "family": os_family},
        "type": kind,
        "typeName": kind,
        "deviceType": device,
        "nativeBrowser": native,
        "tags": list(tags),
        "os": os_key,
        "browser": family,
    }
    if version:
        major, _, minor = version.partition(".")
        parsed.update(major=major, minor=minor or "0", version=version)
        parsed["operatingSystem"]["version"] = os_name.rsplit(" ", 1)[-1]
    return device_ua, parsed


AGENTS = [
    _agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        "Chrome",
        "CHROME",
        "Browser",
        "DESKTOP",
        "windows",
        "Windows 10",
        "Windows",
        "131.0",
    ),
    _agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
        "Edge",
        "EDGE",
        "Browser",
        "DESKTOP",
        "windows",
        "Windows 10",
        "Windows",
        "131.0",
    ),
    _agent(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.5 Safari/605.1.15",
        "Safari",
        "SAFARI",
        "Browser",
        "DESKTOP",
        "mac_os",
        "Mac OS X 14",
        "Mac OS X",
        "17.5",
    ),
    _agent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mobile Safari",
        "MOBILE_SAFARI",
        "Browser",
        "MOBILE",
        "ios",
        "iOS 18",
        "iOS",
        "18.1",
    ),
    _agent(
        "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/109.0.0.0 Safari/537.36",
        "Chrome",
        "CHROME",
        "Browser",
        "DESKTOP",
        "windows",
        "Windows 7",
        "Windows",
        "109.0",
        ("000000020000000000000000",),
    ),
    _agent(
        "OneDriveMpc-Transform_Thumbnail/1.0",
        "Microsoft OneDrive for Business",
        "MICROSOFT_ONEDRIVE_FOR_BUSINESS",
        "Application",
        "OTHER",
        "OTHER",
        "Unknown",
        "Unknown",
        tags=("000000000000000000000000",),
        native=True,
    ),
    _agent(
        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)",
        "Microsoft Outlook",
        "MICROSOFT_OUTLOOK",
        "Application",
        "DESKTOP",
        "windows",
        "Windows 10",
        "Windows",
        "16.0",
        ("000000000000000000000000",),
        True,
    ),
]

ALERT_KINDS = [
    # title, severity, stories, intent, policy type, idValue
    ("Impossible travel activity", Severity.MEDIUM, [0], [2], "ANOMALY_DETECTION", 15859716),
    ("Activity from infrequent country", Severity.MEDIUM, [0], [2], "ANOMALY_DETECTION", 15859719),
    ("Mass download by a single user", Severity.MEDIUM, [3], [11], "ANOMALY_DETECTION", 15859725),
    ("Suspicious inbox forwarding", Severity.HIGH, [0], [11], "ANOMALY_DETECTION", 15859732),
    ("Multiple failed login attempts", Severity.MEDIUM, [0], [6], "ANOMALY_DETECTION", 15859713),
    ("Unusual administrative activity", Severity.LOW, [1], [4], "ANOMALY_DETECTION", 15859717),
    ("Activity from anonymous IP addresses", Severity.LOW, [0], [2], "ANOMALY_DETECTION", 15859714),
    ("Ransomware activity", Severity.HIGH, [0], [13], "ANOMALY_DETECTION", 15859728),
    ("Confidential file shared externally", Severity.HIGH, [5], [11], "FILE", 15728642),
    ("Block executable downloads", Severity.INFORMATIONAL, [3], [9], "FILE", 15728642),
]

FILE_KINDS = [
    (
        "docx",
        FileType.DOCUMENT,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        FileType.SPREADSHEET,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        FileType.PRESENTATION,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("txt", FileType.TEXT, "text/plain"),
    ("png", FileType.IMAGE, "image/png"),
    ("pdf", FileType.DOCUMENT, "application/pdf"),
    ("zip", FileType.OTHER, "application/zip"),
]
FILE_WORDS = [
    "Budget",
    "Roadmap",
    "Payroll",
    "Contract",
    "Forecast",
    "Design",
    "Minutes",
    "Customers",
    "Passwords",
    "Pricing",
    "Audit",
    "Board deck",
]

# The governance actions real file and user records offer (RECORDS 5.4), by task.
FILE_TASKS = [
    "QuarantineTask",
    "RescanFileTask",
    "TrashFileTask",
    "RemoveEveryoneFileTask",
    "RemoveCollaboratorPermissionFileTask",
]
# MITRE ATT&CK tactics by an alert's `intent` code (REFERENCE 6.1).
TACTICS = {
    0: "UNKNOWN",
    1: "PREATTACK",
    2: "INITIAL_ACCESS",
    3: "PERSISTENCE",
    4: "PRIVILEGE_ESCALATION",
    5: "DEFENSE_EVASION",
    6: "CREDENTIAL_ACCESS",
    7: "DISCOVERY",
    8: "LATERAL_MOVEMENT",
    9: "EXECUTION",
    10: "COLLECTION",
    11: "EXFILTRATION",
    12: "COMMAND_AND_CONTROL",
    13: "IMPACT",
}
USER_TASKS = ["ConfirmUserCompromisedTask", "SuspendUserTask", "UserSettingsLink"]


def _oid(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _stable_oid(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:24]


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")  # O365's seven fractional digits


def _action(task: str, kind: str, parameters: dict) -> dict:
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


def _task_parameters(task: str, file_name: str) -> dict:
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
        self.object_id = _guid(rng)
        self.is_admin = local in {"admin", "operator", "globalreader"}
        self.is_external = self.domain != "contoso.com"
        self.groups = (
            [_group(tenant, "Office 365 administrator", OFFICE_365)] if self.is_admin else []
        )
        if self.is_external:
            self.groups.append(_builtin_group(tenant, "000000200000000000000000"))
        self.group_ids = [group["id"] for group in self.groups]
        self.home = rng.randrange(len(LOCATIONS) - 1)  # where they usually are (not a cloud)
        self.agent = rng.randrange(len(AGENTS) - 2)  # their usual browser
        self.ip = f"{LOCATIONS[self.home][8][0]}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _group(tenant, name: str, app_id: int | None = None) -> dict:
    group = {
        "_id": _stable_oid(tenant.public_id, "group-doc", name),
        "id": _stable_oid(tenant.public_id, "group", name),
        "name": name,
        "description": "Company administrators, user account administrators, helpdesk "
        "administrators, service support administrators, and billing administrators",
        "usersCount": 3,
    }
    if app_id is not None:
        group["appId"] = app_id
    return group


def _builtin_group(tenant, group_id: str) -> dict:
    name, description = BUILTIN_USER_GROUPS[group_id]
    return {
        "_id": _stable_oid(tenant.public_id, "group-doc", group_id),
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
        "organization": None,
        "lastSeen": last_seen.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "domain": person.domain,
        "scoreTrends": {now.strftime("%Y%m%d"): {}},
        "subApps": [],
        "threatScore": score,
        "idType": ID_TYPE_USER,
        "isFake": False,
        "actions": [_action(task, "user", {"user": person.upn}) for task in USER_TASKS],
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
        "id": _guid(rng),
        "userGroups": [
            _builtin_group(tenant, "0000003b0000000000000000"),
            _builtin_group(tenant, "000000200000000000000000"),
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


# --- activities --------------------------------------------------------------------------------


def _location(rng: random.Random, person: Person, roaming: bool) -> tuple[dict, str]:
    index = rng.randrange(len(LOCATIONS)) if roaming else person.home
    country, city, region, code, postal, lat, lon, isp, octets, category, tags = LOCATIONS[index]
    ip = (
        person.ip
        if index == person.home
        else f"{rng.choice(octets)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    )
    location: dict[str, Any] = {
        "countryCode": country,
        "city": city,
        "regionCode": code,
        "region": region,
        "longitude": lon,
        "latitude": lat,
        "organizationSearchable": isp,
        "anonymousProxy": False,
        "isSatelliteProvider": False,
        "category": category,
        "postalCode": postal,
    }
    if tags:
        location["ipTags"] = list(tags)
    return location, ip


def _actor(person: Person) -> tuple[dict, dict, list]:
    """resolvedActor, entityData and the account eventObjects of an event by `person`."""
    actor = {
        "id": person.object_id,
        "saasId": str(OFFICE_365),
        "instanceId": "0",
        "tags": person.group_ids,
        "objType": "23",
        "name": person.name,
        "role": "4",
        "resolved": True,
    }
    link = int(person.object_id[:8], 16) % 2**31 - 2**30
    by_upn = {
        "objType": 21,
        "role": 4,
        "tags": [],
        "name": person.name,
        "instanceId": 0,
        "resolved": True,
        "saasId": OFFICE_365,
        "id": person.upn,
        "link": link,
    }
    by_oid = {**by_upn, "objType": 23, "tags": person.group_ids, "id": person.object_id}
    entity_data = {
        "0": {
            "displayName": person.name,
            "resolved": True,
            "id": {"id": person.upn, "saas": OFFICE_365, "inst": 0},
        },
        "1": None,
        "2": {
            "displayName": person.name,
            "resolved": True,
            "id": {"id": person.object_id, "saas": OFFICE_365, "inst": 0},
        },
    }
    return actor, entity_data, [by_upn, by_oid]


def _base_event(
    tenant,
    kind: str,
    app_id: int,
    when: datetime,
    stored: datetime,
    event_id: str,
    rng: random.Random,
) -> dict:
    event_type, value, name, generic, _ = EVENT_TYPES[kind]
    arrived = when + (stored - when) * 0.9
    return {
        "_id": event_id,
        "appId": app_id,
        "appName": app_name(app_id),
        "timestamp": int(when.timestamp() * 1000),
        "instantiation": int(arrived.timestamp() * 1000),
        "instantiationRaw": int(arrived.timestamp() * 1000),
        "created": int(stored.timestamp() * 1000),
        "eventType": event_type,
        "eventTypeValue": value,
        "eventTypeName": name,
        "genericEventType": generic,
        "confidenceLevel": rng.choice([20, 30]),
        "source": 2,
        "srcAppId": OFFICE_365,
        "severity": "INFO",
    }


def office_event(
    tenant,
    person: Person,
    rng: random.Random,
    when: datetime,
    *,
    kind: str,
    operation: str,
    admin: bool = False,
    obj: str = "",
) -> dict:
    """A OneDrive, SharePoint or Exchange Online event as the Office 365 connector delivers
    it (the shape of records/activity-record.json's first record)."""
    app_id = {"onedrive": ONEDRIVE, "sharepoint": SHAREPOINT, "exchange": EXCHANGE}[kind]
    stored = when + timedelta(seconds=rng.randrange(30, 900))
    raw_id = _guid(rng)
    record = _base_event(tenant, kind, app_id, when, stored, f"{tenant.pk}_{app_id}_{raw_id}", rng)
    location, ip = _location(rng, person, roaming=rng.random() < 0.1)
    device_ua, agent = AGENTS[5 if kind == "onedrive" and rng.random() < 0.3 else person.agent]
    if kind == "exchange" and rng.random() < 0.5:
        device_ua, agent = AGENTS[6]
    actor, entity_data, accounts = _actor(person)
    site = f"https://contoso-my.sharepoint.com/personal/{person.upn.replace('@', '_').replace('.', '_')}/"
    workload = {"onedrive": "OneDrive", "sharepoint": "SharePoint", "exchange": "Exchange"}[kind]
    target = obj or (
        f"{site}Documents/{rng.choice(FILE_WORDS)}.docx" if kind != "exchange" else person.upn
    )
    objects = [
        {
            "objType": 1,
            "role": 3,
            "tags": [],
            "name": site if kind != "exchange" else person.upn,
            "id": _guid(rng),
            "serviceObjectType": {
                "onedrive": "OneDrive Site Collection",
                "sharepoint": "SharePoint Site Collection",
                "exchange": "Mailbox",
            }[kind],
        },
        *accounts,
    ]
    raw = {
        "OrganizationId": str(tenant.entra_tenant_id or tenant.public_id),
        "CreationTime": _iso(when),
        "RecordType": 2 if kind == "exchange" else 6,
        "Operation": operation,
        "UserType": 2 if admin else 0,
        "Workload": workload,
        "ClientIP": ip,
        "UserKey": person.object_id,
        "Version": 1,
        "ObjectId": target,
        "CorrelationId": _guid(rng),
        "UserId": person.upn,
        "Id": raw_id,
        "UserAgent": device_ua,
    }
    if kind != "exchange":
        name = target.rsplit("/", 1)[-1]
        raw.update(
            ListItemUniqueId=_guid(rng),
            EventSource="SharePoint",
            SourceFileExtension=name.rsplit(".", 1)[-1],
            SourceRelativeUrl="Documents",
            ItemType="File",
            SourceFileName=name,
            ApplicationId=_guid(rng),
            ListId=_guid(rng),
            WebId=_guid(rng),
            SiteUrl=site,
            Site=objects[0]["id"],
            DoNotDistributeEvent=True,
        )
    routing = {"scubaUnpacker": False, "lograbber": True, "auditing": True}
    if admin:
        routing["adminEvent"] = True
    record.update(
        eventRouting=routing,
        device={"clientIP": ip, "userAgent": device_ua, "countryCode": location["countryCode"]},
        location={k: v for k, v in location.items() if k != "postalCode"},
        user={"userName": person.upn, "userTags": person.group_ids},
        userAgent=agent,
        internals={"otherIPs": [ip]},
        mainInfo={
            "eventObjects": objects,
            "rawOperationName": operation,
            "prettyOperationName": operation,
            "type": "basic",
        },
        lograbberService={"o365EventGrabber": True, "gediEvent": True},
        collected={
            "o365": {
                "blobCreated": _iso(stored - timedelta(seconds=20)),
                "blobId": f"{stored:%Y%m%d%H%M%S}{rng.getrandbits(40)}$audit_"
                f"{workload.lower()}$emea0029",
            }
        },
        rawDataJson=raw,
        resolvedActor=actor,
        classifications=[],
        entityData=entity_data,
        description_id="EVENT_DESCRIPTION_BASIC_EVENT",
        description_metadata={
            "target_object": "",
            "operation_name": operation,
            "colon": "",
            "dash": "",
        },
        description=operation,
    )
    return record


def sign_in_event(tenant, person: Person, rng: random.Random, when: datetime, failed: bool) -> dict:
    """An Entra ID sign-in to the Azure portal as the connector delivers it (the shape of
    records/activity-record.json's second record)."""
    stored = when + timedelta(seconds=rng.randrange(60, 600))
    event_id = hashlib.sha256(f"{person.upn}{when.isoformat()}{rng.random()}".encode()).hexdigest()
    record = _base_event(
        tenant, "failed_login" if failed else "login", AZURE, when, stored, event_id, rng
    )
    location, ip = _location(rng, person, roaming=rng.random() < (0.5 if failed else 0.1))
    # Now and then from an old Windows 7 machine (the outdated-OS tag's agent).
    browser = AGENTS[4 if rng.random() < 0.15 else person.agent][1]
    os_name = browser["operatingSystem"]["name"]
    device_ua = f";{os_name};{browser['name']} {browser.get('version', '')};"
    actor, entity_data, accounts = _actor(person)
    actor = {**actor, "role": "2"}
    accounts = [{**account, "role": 5} for account in accounts]
    correlation, request_id, app = _guid(rng), _guid(rng), "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
    message = (
        "(Failure message: Invalid username or password or Invalid on-premise username or "
        "password.)"
        if failed
        else ""
    )
    record.update(
        eventRouting={"lograbber": True, "auditing": True},
        device={"userAgent": device_ua, "clientIP": ip, "countryCode": location["countryCode"]},
        location=location,
        user={"userTags": person.group_ids}
        if failed
        else {"userName": person.upn, "userTags": person.group_ids},
        userAgent=browser,
        internals={"otherIPs": [ip]},
        mainInfo={
            "eventObjects": [
                {"objType": 6, "tags": [], "role": 1, "id": app, "name": "Azure Portal"},
                {"objType": 7, "tags": [], "role": 3, "id": request_id, "name": "Request ID"},
                {
                    "objType": 7,
                    "role": 3,
                    "name": "Pass-through authentication",
                    "value": "false",
                    "tags": [],
                },
                {"objType": 2, "tags": [], "role": 2, "id": person.object_id, "name": person.upn},
                *accounts,
            ],
            "rawOperationName": "SAS:ProcessAuth",
            "activityResult": {
                "isSuccess": not failed,
                "message": "General failure" if failed else "Success",
            },
            "type": "failedLogin" if failed else "login",
            "prettyOperationName": "SAS:ProcessAuth",
        },
        lograbberService={"scubaUnpacker": True},
        collected={
            "aadLogins": {
                "enqueueTime": int(stored.timestamp() * 1000) - 400,
                "MCAS_Router": False,
                "routingTime": int(stored.timestamp() * 1000) - 300,
                "correlationId": correlation,
            }
        },
        rawDataJson={
            "UserName": "",
            "Upn": person.upn,
            "UserIsPassthru": False,
            "DeviceInfo": device_ua,
            "LoginErrorCode": 50126 if failed else 0,
            "DeviceTrustType": "",
            "IsInteractive": True,
            "Call": "SAS:ProcessAuth",
            "LoginStatus": "Failure" if failed else "Success",
            "MfaMaskedDeviceId": "",
            "IpAddress": ip,
            "UserTenantId": str(tenant.entra_tenant_id or tenant.public_id),
            "IsDeviceCompliantAndManaged": False,
            "EventType": "MCASLoginEvent",
            "IsInteractiveComputed": True,
            "ApplicationId": app,
            "CorrelationId": correlation,
            "ApplicationName": "Azure Portal",
            "SasStatus": "",
            "TimeStamp": _iso(when),
            "HomeTenantUserObjectId": person.object_id,
            "MfaRequired": not failed,
            "RequestId": request_id,
            "TenantId": str(tenant.entra_tenant_id or tenant.public_id),
            "MsodsTenantRegionScope": "NA",
            "MfaStatusRaw": "" if failed else "MfaDoneInCloud",
            "MfaResult": "" if failed else "MfaDoneInCloud",
            "BrowserId": _guid(rng),
            "UserTenantMsodsRegionScope": "NA",
            "DataSource": None,
            "UserPrincipalObjectID": person.object_id,
            "MfaAuthMethod": "" if failed else "PhoneAppNotification",
        },
        resolvedActor=actor,
        classifications=["access"],
        entityData=entity_data,
        description_id="EVENT_DESCRIPTION_FAILED_LOGIN" if failed else "EVENT_DESCRIPTION_LOGIN",
        description_metadata={
            "dash": "",
            "activity_result_message": message,
            "colon": "",
            "event_category": "Failed log on" if failed else "Log on",
        },
        description=f"Failed log on {message}" if failed else "Log on",
    )
    if failed:
        record["failedUserData"] = {"userName": person.upn}
    return record


def event(tenant, persons: list[Person], rng: random.Random, when: datetime, index: int) -> dict:
    """One event of a mixed month: file, mail and sign-in events by everyone."""
    person = persons[index % len(persons)]
    roll = rng.random()
    if roll < 0.3:
        return office_event(
            tenant, person, rng, when, kind="onedrive", operation=rng.choice(FILE_OPERATIONS)
        )
    if roll < 0.5:
        return office_event(
            tenant, person, rng, when, kind="sharepoint", operation=rng.choice(FILE_OPERATIONS)
        )
    if roll < 0.8:
        operation, admin = rng.choice(MAIL_OPERATIONS)
        return office_event(
            tenant, person, rng, when, kind="exchange", operation=operation, admin=admin
        )
    return sign_in_event(tenant, person, rng, when, failed=roll > 0.93)


def activity_row(tenant, rng: random.Random, when: datetime, persons: list[Person], index: int):
    """One activity, unsaved (the benchmark inserts a million of these in bulk)."""
    return activity_from_record(event(tenant, persons, rng, when, index))


# --- alerts, files, ranges -----------------------------------------------------------------------


def _alert_record(tenant, person: Person, rng: random.Random, when: datetime, i: int) -> dict:
    title, severity, stories, intent, policy_type, id_value = ALERT_KINDS[i % len(ALERT_KINDS)]
    resolutions = [Resolution.OPEN] * 3 + [
        Resolution.BENIGN,
        Resolution.FALSE_POSITIVE,
        Resolution.TRUE_POSITIVE,
    ]
    resolution = resolutions[i % len(resolutions)]
    location, ip = _location(rng, person, roaming=True)
    other, other_ip = _location(rng, person, roaming=True)
    app_id = rng.choice([EXCHANGE, OFFICE_365, AZURE, ONEDRIVE])
    policy = {
        "id": _stable_oid(tenant.public_id, "policy", title),
        "label": title,
        "policyType": policy_type,
        "type": "policyRule",
    }
    entities = [
        policy,
        {"id": app_id, "label": app_name(app_id), "type": "service"},
        {
            "em": person.upn,
            "entityType": 2,
            "id": person.object_id,
            "inst": 0,
            "label": person.name,
            "pa": person.upn,
            "saas": OFFICE_365,
            "type": "account",
        },
        {"id": person.upn, "label": person.upn, "type": "user"},
        {"id": ip, "label": ip, "type": "ip"},
        {"id": location["countryCode"], "label": location["countryCode"], "type": "country"},
    ]
    if policy_type == "FILE":
        name = f"{rng.choice(FILE_WORDS)}.{rng.choice(['docx', 'xlsx', 'exe'])}"
        entities.insert(2, {"id": f"{_guid(rng)}|{_guid(rng)}", "label": name, "type": "file"})
        description = f"File policy '{title}' was matched by '{name}'"
    else:
        description = (
            f"<p>The user {person.name} ({person.upn}) performed activities from {ip} in "
            f"{location['city']} and {other_ip} in {other['city']} within "
            f"{rng.randrange(20, 180)} minutes.<br>If these are IP addresses that are known and "
            f'safe, add them in the <a href="#/subnet">IP address range page</a> to improve the '
            f"accuracy of the alerts.</p>"
        )
    if i % 3:  # every severity, each often enough to filter by
        severity = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.INFORMATIONAL][i % 4]
    record: dict[str, Any] = {
        "_id": _oid(rng),
        "timestamp": int(when.timestamp() * 1000),
        "entities": entities,
        "title": title,
        "description": description,
        "stories": stories,
        "threatScore": rng.randrange(5, 95),
        "isSystemAlert": False,
        "isPreview": False,
        "idValue": id_value,
        "statusValue": [AlertStatus.UNREAD, AlertStatus.READ][i % 2],
        "severityValue": severity,
        "resolutionStatusValue": resolution,
        "intent": intent,
        "evidence": [
            {
                "title": {
                    "parameters": {"app": app_name(app_id)},
                    "template": "ANUBIS_ADMIN_USER_FEATURE",
                }
            },
            {
                "title": {
                    "parameters": {
                        "mitre": {
                            "alternateLink": "https://go.microsoft.com/fwlink/?linkid=2135034",
                            "label": "MITRE",
                            "type": "link",
                        },
                        "tactic": TACTICS[intent[0]],
                    },
                    "template": "ALERTS_MITRE_TACTIC",
                }
            },
        ],
        "threatScoreReasoning": [
            {
                "parameters": {"usage": 1, "userPercent": rng.randrange(1, 40)},
                "template": "UEBA_ALERTS_TENANT_USAGE_EVIDENCE",
            },
        ],
    }
    if policy_type == "FILE":
        record["policy"] = policy
    if resolution != Resolution.OPEN:
        record.update(
            resolveTime=(when + timedelta(hours=5))
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            handledByUser="admin@contoso.com",
            comment="Reviewed with the user." if i % 2 else None,
        )
    return record


# SharePoint's role definitions: (id, name, order, kind, high, low permission bits).
FULL_CONTROL = (1073741829, "Full Control", 1, 5, "2147483647", "4294967295")
READ = (1073741826, "Read", 128, 2, "176", "138612833")


def _assignment(principal: int, member: dict, role: tuple) -> dict:
    role_id, name, order, kind, high, low = role
    return {
        "Member": {"Alerts": {}, "Expiration": "", "Groups": {}, "Id": principal,
                   "IsEmailAuthenticationGuestUser": False, "IsHiddenInUI": False,
                   "IsShareByEmailGuestUser": False, **member},
        "PrincipalId": principal,
        "RoleDefinitionBindings": {"results": [
            {"BasePermissions": {"High": high, "Low": low}, "Hidden": False, "Id": role_id,
             "Name": name, "Order": order, "RoleTypeKind": kind},
        ]},
    }  # fmt: skip


def _role_assignments(tenant, person: Person, rng: random.Random) -> list[dict]:
    """Who holds what on a shared item: its owner Full Control, everyone inside Read."""
    owner = {
        "Email": person.upn, "IsSiteAdmin": True,
        "LoginName": f"i:0#.f|membership|{person.upn}", "PrincipalType": 1,
        "Title": person.name, "UserPrincipalName": person.upn,
        "UserId": {"NameId": f"{rng.getrandbits(64):016x}",
                   "NameIdIssuer": "urn:federation:microsoftonline"},
    }  # fmt: skip
    everyone = {
        "Email": "", "IsSiteAdmin": False,
        "LoginName": "c:0-.f|rolemanager|spo-grid-all-users/"
        + str(tenant.entra_tenant_id or tenant.public_id),
        "PrincipalType": 4, "Title": "Everyone except external users", "UserId": None,
        "UserPrincipalName": None,
    }  # fmt: skip
    return [_assignment(4, owner, FULL_CONTROL), _assignment(5, everyone, READ)]


def _file_record(tenant, person: Person, rng: random.Random, i: int, now: datetime) -> dict:
    extension, file_type, mime = rng.choice(FILE_KINDS)
    app_id = rng.choice([ONEDRIVE, SHAREPOINT])
    modified = now - timedelta(days=rng.randrange(0, 120), minutes=rng.randrange(0, 1440))
    created = modified - timedelta(days=rng.randrange(0, 400))
    name = f"{rng.choice(FILE_WORDS)} {2024 + i % 3}.{extension}"
    site_id, unique, parent, drive = _guid(rng), _guid(rng), _guid(rng), _guid(rng)
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
        "_id": _oid(rng),
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
            "scopeId": _guid(rng).upper(),
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
        "actions": [_action(task, "file", _task_parameters(task, name)) for task in FILE_TASKS],
    }


# Apps the data sources' logs showed: catalogue id, name, category, domains, risk score,
# sanction (the unsanctioned ones are what block scripts block).
DISCOVERED_APPS = [
    (11627, "Dropbox", "SAASDB_CATEGORY_CLOUD_STORAGE", ["dropbox.com", "dropboxusercontent.com"],
     8, "monitored"),
    (10489, "Box", "SAASDB_CATEGORY_CLOUD_STORAGE", ["box.com", "boxcdn.net"], 9, "sanctioned"),
    (15600, "Microsoft OneDrive for Business", "SAASDB_CATEGORY_CLOUD_STORAGE",
     ["onedrive.live.com", "sharepoint.com"], 10, "sanctioned"),
    (12007, "WeTransfer", "SAASDB_CATEGORY_CONTENT_SHARING", ["wetransfer.com", "we.tl"], 4,
     "unsanctioned"),
    (13114, "MEGA", "SAASDB_CATEGORY_CLOUD_STORAGE", ["mega.nz", "mega.io"], 3, "unsanctioned"),
    (28375, "Microsoft Teams", "SAASDB_CATEGORY_COLLABORATION", ["teams.microsoft.com"], 10,
     "sanctioned"),
    (11394, "Slack", "SAASDB_CATEGORY_COLLABORATION", ["slack.com", "slack-edge.com"], 9, ""),
    (20810, "Zoom", "SAASDB_CATEGORY_ONLINE_MEETINGS", ["zoom.us"], 8, ""),
    (11114, "Salesforce", "SAASDB_CATEGORY_CRM", ["salesforce.com", "force.com"], 10,
     "sanctioned"),
    (12546, "Trello", "SAASDB_CATEGORY_PROJECT_MANAGEMENT", ["trello.com"], 7, ""),
    (14281, "Pastebin", "SAASDB_CATEGORY_CODE_HOSTING", ["pastebin.com"], 2, "unsanctioned"),
    (10756, "GitHub", "SAASDB_CATEGORY_CODE_HOSTING", ["github.com", "githubusercontent.com"],
     9, ""),
    (16735, "Figma", "SAASDB_CATEGORY_PRODUCT_DESIGN", ["figma.com"], 8, ""),
    (11931, "Canva", "SAASDB_CATEGORY_PRODUCT_DESIGN", ["canva.com"], 7, ""),
    (12260, "Microsoft Azure", "SAASDB_CATEGORY_CLOUD_COMPUTING_PLATFORM", ["azure.com"], 10,
     "sanctioned"),
    (11599, "Amazon Web Services", "SAASDB_CATEGORY_CLOUD_COMPUTING_PLATFORM",
     ["amazonaws.com", "aws.amazon.com"], 9, ""),
]  # fmt: skip

RANGES = [
    (
        "Contoso HQ",
        IpCategory.CORPORATE,
        ["203.0.113.0/24", "2001:db8:10::/48"],
        "Contoso",
        ["Contoso offices"],
    ),
    ("Contoso VPN", IpCategory.VPN, ["198.51.100.0/25"], "Contoso", ["VPN exit"]),
    ("Admin jump hosts", IpCategory.ADMINISTRATIVE, ["10.20.0.0/16", "10.20.1.5"], "", ["Admins"]),
    (
        "Azure",
        IpCategory.CLOUD_PROVIDER,
        ["20.0.0.0/11", "40.64.0.0/10"],
        "Microsoft",
        ["0000002a0000000000000000"],
    ),
    (
        "AWS us-east-1",
        IpCategory.CLOUD_PROVIDER,
        ["3.208.0.0/12"],
        "Amazon.com",
        ["000000290000000000000000"],
    ),
    ("Tor exit nodes", IpCategory.RISKY, ["185.220.100.0/22"], "", ["Tor"]),
]


def seed(
    tenant,
    usernames: list[str],
    *,
    seed: int = 2026,
    activities: int = 1500,
    exchange_last_day: int = 1500,
) -> None:
    """Everything of a demo tenant's data. `activities` spread over 30 days, and
    `exchange_last_day` Exchange Online events in the last 24 hours (three scan pages of
    500)."""
    rng = random.Random(seed)
    now = timezone.now()
    persons = people(tenant, usernames, rng)
    entities = {entity.entity_id: entity for entity in tenant_entities(tenant)}
    rows = [
        activity_row(
            tenant, rng, now - timedelta(seconds=rng.randrange(86_400, 30 * 86_400)), persons, i
        )
        for i in range(activities)
    ]
    for i in range(exchange_last_day):
        person = persons[i % len(persons)]
        operation, admin = rng.choice(MAIL_OPERATIONS[:3])
        record = office_event(
            tenant,
            person,
            rng,
            now - timedelta(seconds=rng.randrange(60, 86_400)),
            kind="exchange",
            operation=operation,
            admin=admin,
        )
        rows.append(activity_from_record(record, tenant=tenant))
    for row in rows:
        actor = row.document.get("resolvedActor", {}).get("id")
        row.entity = entities.get(actor)
    records_add(tenant=tenant, records=rows)

    alerts = [
        alert_from_record(
            _alert_record(
                tenant,
                persons[i % len(persons)],
                rng,
                now - timedelta(hours=rng.randrange(1, 60 * 24)),
                i,
            )
        )
        for i in range(48)
    ]
    records_add(tenant=tenant, records=alerts)

    files = []
    for i in range(60):
        person = persons[i % len(persons)]
        file = file_from_record(_file_record(tenant, person, rng, i, now))
        owner = entities.get(person.object_id)
        file.owner, file.owner_key = owner, f"{person.object_id}:0"
        files.append(file)
    records_add(tenant=tenant, records=files)

    for name, category, cidrs, org, tags in RANGES:
        subnet_create(
            tenant=tenant,
            fields=SubnetFields(
                name=name,
                category=category,
                subnets=cidrs,
                organization=org,
                override_organization=bool(org),
                tags=tags,
            ),
        )
    sources = [
        DataSource(
            name="Headquarters firewall",
            log_format="CISCO_ASA",
            receiver_type="syslog",
            protocol="udp",
        ),
        DataSource(name="Web proxy", log_format="ZSCALER", receiver_type="ftp"),
    ]
    records_add(tenant=tenant, records=sources)
    records_add(
        tenant=tenant,
        records=[
            DiscoveredApp(
                data_source=source,
                app_id=app_id,
                name=name,
                category=category,
                domains=domains,
                score=score,
                sanction=sanction,
                users=rng.randrange(2, 400),
                traffic_bytes=rng.randrange(10**6, 10**11),
                last_seen=now - timedelta(hours=rng.randrange(1, 24 * 80)),
            )
            for source in sources
            for app_id, name, category, domains, score, sanction in DISCOVERED_APPS
            if source.name == "Headquarters firewall" or rng.random() < 0.6
        ],
    )


def tenant_entities(tenant):
    return Entity.objects.for_tenant(tenant).filter(parent__isnull=True)
