"""The enumerations of the records, with the ids and names real tenants use (RECORDS.md,
REFERENCE.md section 6): the one place a record's labels come from. Where a source gives an
id but no name, the name is an inference, said so beside it."""

from django.db import models

# --- apps (RECORDS 1: the ids clients list and records carry) -----------------------------------

APPS = {
    10489: "Box",
    10980: "Okta",
    11114: "Salesforce",
    11161: "Office 365",
    11522: "Yammer",
    11599: "Amazon Web Services",
    11627: "Dropbox",
    11770: "Google Workspace",
    12260: "Microsoft Azure",
    14509: "ServiceNow",
    15600: "Microsoft OneDrive for Business",
    20595: "Microsoft Cloud App Security",
    20892: "Microsoft SharePoint Online",
    20893: "Microsoft Exchange Online",
    20940: "Active Directory",
    25275: "Microsoft Skype for Business",
    26324: "Microsoft Power BI",
    28375: "Microsoft Teams",
}
OFFICE_365 = 11161


def app_name(app_id: int) -> str:
    return APPS.get(app_id, f"App {app_id}")


# --- alerts (REFERENCE 6.1) -------------------------------------------------------------------


class Severity(models.IntegerChoices):
    LOW = 0, "Low"
    MEDIUM = 1, "Medium"
    HIGH = 2, "High"
    INFORMATIONAL = 3, "Informational"


class AlertStatus(models.IntegerChoices):
    UNREAD = 0, "Unread"
    READ = 1, "Read"
    ARCHIVED = 2, "Archived"


class Resolution(models.IntegerChoices):
    OPEN = 0, "Open"
    DISMISSED = 1, "Dismissed"
    RESOLVED = 2, "Resolved"
    FALSE_POSITIVE = 3, "Closed as false positive"
    BENIGN = 4, "Closed as benign"
    TRUE_POSITIVE = 5, "Closed as true positive"


# --- IP addresses ------------------------------------------------------------------------------


class IpCategory(models.IntegerChoices):
    """An IP range's category (REFERENCE 6.4); 0, no category, appears only on activities."""

    CORPORATE = 1, "Corporate"
    ADMINISTRATIVE = 2, "Administrative"
    RISKY = 3, "Risky"
    VPN = 4, "VPN"
    CLOUD_PROVIDER = 5, "Cloud provider"
    OTHER = 6, "Other"


# An activity's location.categoryValue. NONE (0) and CLOUD_PROXY_NETWORK_IP (5) are in real
# records; the others are inferred from the categories' names.
IP_CATEGORY_VALUES = {
    0: "NONE",
    1: "INTERNAL",
    2: "ADMINISTRATIVE",
    3: "RISKY",
    4: "VPN",
    5: "CLOUD_PROXY_NETWORK_IP",
    6: "OTHER",
}

# Built-in IP tags (RECORDS 6.3): their ids are the same in every tenant.
BUILTIN_IP_TAGS = {
    "0000002d0000000000000000": "Akamai Technologies",
    "000000290000000000000000": "Amazon Web Services",
    "000000030000000000000000": "Anonymous proxy",
    "0000002f0000000000000000": "Ascenty Data Centers",
    "0000000c0000000000000000": "Botnet",
    "000000380000000000000000": "Brute force attacker",
    "000000270000000000000000": "Cisco CWS",
    "000000050000000000000000": "Cloud App Security network",
    "0000001f0000000000000000": "Darknet scanning IP",
    "0000000e0000000000000000": "Exchange Online",
    "000000150000000000000000": "Exchange Online Protection",
    "000000280000000000000000": "Google Cloud Platform",
    "000000310000000000000000": "Internal Network IP",
    "0000000d0000000000000000": "Malware CnC server",
    "0000002e0000000000000000": "Masergy Communications",
    "0000002c0000000000000000": "McAfee Web Gateway",
    "000000180000000000000000": "Skype for Business Online",
    "2dfa95cd7922d979d66fcff5": "Tor",
    "000000160000000000000000": "Zscaler",
    "0000002a0000000000000000": "Microsoft Azure",
    "0000001e0000000000000000": "Microsoft Cloud",
    "0000003a0000000000000000": "Microsoft Hosting",
    "000000100000000000000000": "Microsoft authentication and identity",
    "000000170000000000000000": "Office 365",
    "000000190000000000000000": "Office 365 Planner",
    "000000120000000000000000": "Office 365 ProPlus",
    "000000140000000000000000": "Office Online",
    "0000001d0000000000000000": "Office Sway",
    "0000001a0000000000000000": "Office Web Access Companion",
    "000000130000000000000000": "OneNote",
    "0000001c0000000000000000": "Remote Connectivity Analyzer",
    "000000390000000000000000": "Salesforce Cloud",
    "000000040000000000000000": "Satellite provider",
    "000000300000000000000000": "ScanSafe",
    "0000000f0000000000000000": "SharePoint Online",
    "000000330000000000000000": "Symantec Cloud",
    "0000001b0000000000000000": "Yammer",
}
TAG_TYPE_CUSTOM, TAG_TYPE_BUILT_IN = 0, 2  # a tag's `type` (RECORDS 6.2)
TAG_TARGET_IP = 1  # a tag's `target`: 1 IP addresses, 0 users

# --- users and user agents (RECORDS 6.4) -------------------------------------------------------

BUILTIN_USER_GROUPS = {
    "000000200000000000000000": (
        "External users",
        "Either a user who is not a member of any of the managed domains you configured in "
        "General settings or a third-party app",
    ),
    "0000003b0000000000000000": ("Application (Cloud App Security)", "App-initiated"),
}
USER_AGENT_TAGS = {
    "000000000000000000000000": "Native client",
    "000000010000000000000000": "Outdated browser",
    "000000020000000000000000": "Outdated operating system",
    "0000002b0000000000000000": "Robot",
}

# An entity's `type` and `idType` (RECORDS 4.1: the docs name neither).
ENTITY_TYPE_APPLICATION, ENTITY_TYPE_USER = 1, 2
ID_TYPE_USER, ID_TYPE_APPLICATION = 1, 17
# What clients send in the `type` filter, as names (RECORDS 8: {"type": {"eq": "user"}}).
ENTITY_TYPE_NAMES = {"user": ENTITY_TYPE_USER, "account": ENTITY_TYPE_APPLICATION}

# --- Cloud Discovery (REFERENCE 4.6, 6.6) -------------------------------------------------------

# Block scripts: the appliance formats (the logType ids of those vendors).
BLOCK_SCRIPT_FORMATS = {
    102: "BlueCoat ProxySG",
    104: "Cisco ASA",
    108: "Fortinet FortiGate",
    112: "Palo Alto",
    120: "Zscaler",
    129: "Juniper SRX",
    135: "Websense",
}

# --- files (REFERENCE 6.5, RECORDS 5.5) ---------------------------------------------------------


class FileType(models.IntegerChoices):
    OTHER = 0, "Other"
    DOCUMENT = 1, "Document"
    SPREADSHEET = 2, "Spreadsheet"
    PRESENTATION = 3, "Presentation"
    TEXT = 4, "Text"
    IMAGE = 5, "Image"
    FOLDER = 6, "Folder"


class AccessLevel(models.IntegerChoices):
    """A file's sharing (`fileAccessLevel`); the names of 2-4 are inferred from the docs'."""

    PRIVATE = 0, "Private"
    INTERNAL = 1, "Internal"
    EXTERNAL = 2, "External"
    PUBLIC = 3, "Public"
    PUBLIC_INTERNET = 4, "Public (Internet)"


class FileStatus(models.IntegerChoices):
    """A file's `fileStatus`: EXISTS (0) is in real records; the others are inferred."""

    EXISTS = 0, "Exists"
    TRASHED = 1, "Trashed"
    DELETED = 2, "Deleted"


def pair(choices: type[models.IntegerChoices], value: int) -> list:
    """The `[id, "NAME"]` pair real file records carry (`[4, "TEXT"]`)."""
    return [value, choices(value).name]
