"""What the demo data is made of: event types, operations, places, user agents, alert
kinds, file kinds, the apps its logs show and its IP ranges (the kinds real records carry;
where RECORDS.md lists no event type for a kind, EVENT_TYPES says the type is inferred)."""

import hashlib
import random
import uuid
from datetime import datetime
from typing import Any

from security.enumerations import (
    FileType,
    IpCategory,
)
from security.models import Severity

# The apps whose events and files the demo has.
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


def object_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


def guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def stable_id(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:24]


def o365_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")  # O365's seven fractional digits


FULL_CONTROL = (1073741829, "Full Control", 1, 5, "2147483647", "4294967295")
READ = (1073741826, "Read", 128, 2, "176", "138612833")


DISCOVERED_APPS = [
    (
        11627,
        "Dropbox",
        "SAASDB_CATEGORY_CLOUD_STORAGE",
        ["dropbox.com", "dropboxusercontent.com"],
        8,
        "monitored",
    ),
    (10489, "Box", "SAASDB_CATEGORY_CLOUD_STORAGE", ["box.com", "boxcdn.net"], 9, "sanctioned"),
    (
        15600,
        "Microsoft OneDrive for Business",
        "SAASDB_CATEGORY_CLOUD_STORAGE",
        ["onedrive.live.com", "sharepoint.com"],
        10,
        "sanctioned",
    ),
    (
        12007,
        "WeTransfer",
        "SAASDB_CATEGORY_CONTENT_SHARING",
        ["wetransfer.com", "we.tl"],
        4,
        "unsanctioned",
    ),
    (13114, "MEGA", "SAASDB_CATEGORY_CLOUD_STORAGE", ["mega.nz", "mega.io"], 3, "unsanctioned"),
    (
        28375,
        "Microsoft Teams",
        "SAASDB_CATEGORY_COLLABORATION",
        ["teams.microsoft.com"],
        10,
        "sanctioned",
    ),
    (11394, "Slack", "SAASDB_CATEGORY_COLLABORATION", ["slack.com", "slack-edge.com"], 9, ""),
    (20810, "Zoom", "SAASDB_CATEGORY_ONLINE_MEETINGS", ["zoom.us"], 8, ""),
    (11114, "Salesforce", "SAASDB_CATEGORY_CRM", ["salesforce.com", "force.com"], 10, "sanctioned"),
    (12546, "Trello", "SAASDB_CATEGORY_PROJECT_MANAGEMENT", ["trello.com"], 7, ""),
    (14281, "Pastebin", "SAASDB_CATEGORY_CODE_HOSTING", ["pastebin.com"], 2, "unsanctioned"),
    (
        10756,
        "GitHub",
        "SAASDB_CATEGORY_CODE_HOSTING",
        ["github.com", "githubusercontent.com"],
        9,
        "",
    ),
    (16735, "Figma", "SAASDB_CATEGORY_PRODUCT_DESIGN", ["figma.com"], 8, ""),
    (11931, "Canva", "SAASDB_CATEGORY_PRODUCT_DESIGN", ["canva.com"], 7, ""),
    (
        12260,
        "Microsoft Azure",
        "SAASDB_CATEGORY_CLOUD_COMPUTING_PLATFORM",
        ["azure.com"],
        10,
        "sanctioned",
    ),
    (
        11599,
        "Amazon Web Services",
        "SAASDB_CATEGORY_CLOUD_COMPUTING_PLATFORM",
        ["amazonaws.com", "aws.amazon.com"],
        9,
        "",
    ),
]

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
