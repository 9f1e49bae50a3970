"""A realistic, varied data set for a demo tenant (seed_demo) and for the benchmark: people
and their accounts in several apps, months of activities, alerts of every severity and
status, files, IP ranges and Cloud Discovery data sources. Deterministic for a given seed."""

import random
import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from security.models import (
    Activity,
    Alert,
    AlertStatus,
    DataSource,
    Entity,
    File,
    IpCategory,
    Resolution,
    Severity,
    delimited,
)
from security.services import SubnetFields, records_add, subnet_create

APPS = {
    11161: "Office 365",
    20893: "Microsoft Exchange Online",
    20892: "Microsoft SharePoint Online",
    15600: "Microsoft OneDrive for Business",
    11770: "Google Workspace",
    11114: "Salesforce",
    10489: "Box",
    20940: "Active Directory",
}
ACTIONS = [
    ("FileDownloaded", "Download file", "Downloaded file {file}"),
    ("FileUploaded", "Upload file", "Uploaded file {file}"),
    ("FileAccessed", "View file", "Viewed file {file}"),
    ("SharingSet", "Share file", "Shared {file} with {other}"),
    ("MailItemsAccessed", "Read mail", "Read mail items"),
    ("Send", "Send mail", "Sent a message to {other}"),
    ("UserLoggedIn", "Log on", "Logged on"),
    ("UserLoginFailed", "Failed log on", "Failed to log on"),
    ("Add member to role.", "Add member to role", "Added {other} to a role"),
    ("Update user.", "Update user", "Updated user {other}"),
    ("New-InboxRule", "Create inbox rule", "Created an inbox rule"),
    ("Set-Mailbox", "Edit mailbox", "Changed mailbox settings"),
]
ADMIN_ACTIONS = {"Add member to role.", "Update user.", "Set-Mailbox"}
COUNTRIES = [
    ("US", "Microsoft Corporation"),
    ("US", "Comcast"),
    ("GB", "BT"),
    ("DE", "Deutsche Telekom"),
    ("IN", "Reliance Jio"),
    ("NL", "DigitalOcean"),
    ("RU", "Rostelecom"),
    ("BR", "Claro"),
]
DEVICES = [
    ("DESKTOP", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0"),
    ("DESKTOP", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1"),
    ("MOBILE", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148"),
    ("TABLET", "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) Mobile/15E148"),
    ("OTHER", "python-requests/2.32.3"),
]
ALERT_TITLES = [
    ("Impossible travel activity", 2, [0], [2]),
    ("Activity from infrequent country", 1, [0], [2]),
    ("Mass download by a single user", 1, [3], [11]),
    ("Suspicious inbox forwarding", 2, [0], [11]),
    ("Multiple failed login attempts", 1, [0], [6]),
    ("Unusual administrative activity", 0, [1], [4]),
    ("Honeytoken activity", 1, [0], [7]),
    ("Ransomware activity", 2, [0], [13]),
    ("Activity from anonymous IP addresses", 0, [0], [2]),
    ("File shared with personal email address", 3, [5], [11]),
]
FILE_TYPES = [
    ("docx", 1, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", 2, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("pptx", 3, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("txt", 4, "text/plain"),
    ("png", 5, "image/png"),
    ("pdf", 1, "application/pdf"),
    ("zip", 0, "application/zip"),
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


def people(tenant, usernames: list[str], rng: random.Random) -> list[Entity]:
    """A user entity per person, each with accounts in three or four apps."""
    users = []
    for username in usernames:
        name, _, domain = username.partition("@")
        user = Entity(
            tenant=tenant,
            entity_id=str(uuid.UUID(int=rng.getrandbits(128))),
            saas=0,
            type="user",
            display_name=name.replace(".", " ").title(),
            email=username,
            domain=domain,
            organization=rng.choice(["Finance", "Engineering", "Sales", "IT", "Legal"]),
            is_admin=name in {"admin", "operator"},
            is_external=domain != "contoso.com",
            user_groups=rng.sample(["All Users", "Finance", "VIP", "Contractors", "IT Admins"], 2),
            threat_score=rng.randint(0, 90),
            last_seen=timezone.now() - timedelta(hours=rng.randint(1, 200)),
        )
        users.append(user)
    records_add(tenant=tenant, records=users)
    accounts = []
    for user in users:
        for app_id in rng.sample(sorted(APPS), 4):
            accounts.append(
                Entity(
                    tenant=tenant,
                    entity_id=user.entity_id,
                    saas=app_id,
                    type="account",
                    display_name=user.display_name,
                    email=username,
                    domain=domain,
                    organization=user.organization,
                    is_admin=user.is_admin,
                    is_external=user.is_external,
                    user_groups=user.user_groups,
                    threat_score=user.threat_score,
                    parent=user,
                    last_seen=user.last_seen,
                )
            )
    records_add(tenant=tenant, records=accounts)
    return users


def activity_row(
    tenant, rng: random.Random, when: datetime, users: list[Entity], index: int
) -> Activity:
    """One activity, unsaved (the benchmark inserts a million of these in bulk)."""
    user = users[index % len(users)]
    app_id = rng.choice(list(APPS))
    action, event, text = rng.choice(ACTIONS)
    country, isp = rng.choice(COUNTRIES)
    device, agent = rng.choice(DEVICES)
    ip = f"{rng.choice([20, 40, 52, 104, 185, 203])}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    return Activity(
        tenant=tenant,
        timestamp=when,
        created=when + timedelta(seconds=rng.randint(5, 600)),
        service=app_id,
        app_name=APPS[app_id],
        instance=0,
        description=text.format(file=f"{rng.choice(FILE_WORDS)}.xlsx", other="an external user"),
        action_type=action,
        event_action_type=event,
        is_admin=action in ADMIN_ACTIONS,
        impersonated=rng.random() < 0.02,
        taken_action=rng.choice([None] * 18 + ["block", "proxy"]),
        device_type=device,
        user_agent=agent,
        ip_address=ip,
        ip_category=rng.choice(
            [IpCategory.CORPORATE] * 4
            + [IpCategory.RISKY, IpCategory.VPN, IpCategory.CLOUD_PROVIDER]
        ),
        country=country,
        organization=isp,
        user_name=user.email,
        user_domain=user.domain,
        user_org_unit=user.organization,
        user_tags_text=delimited(user.user_groups),
        entity=user,
        entity_key=f"{user.entity_id}:{user.inst}",
        source=rng.choice([2, 2, 2, 1, 0]),
    )


def seed(tenant, usernames: list[str], *, seed: int = 2026, activities: int = 600) -> None:
    rng = random.Random(seed)
    now = timezone.now()
    users = people(tenant, usernames, rng)

    rows = [
        activity_row(tenant, rng, now - timedelta(seconds=rng.randint(60, 30 * 86400)), users, i)
        for i in range(activities)
    ]
    records_add(tenant=tenant, records=rows)

    alerts = []
    id_value = 15_795_000
    for i in range(48):
        title, severity, stories, intent = ALERT_TITLES[i % len(ALERT_TITLES)]
        user = users[i % len(users)]
        app_id = rng.choice(list(APPS))
        resolution = [Resolution.OPEN] * 3 + [
            Resolution.BENIGN,
            Resolution.FALSE_POSITIVE,
            Resolution.TRUE_POSITIVE,
        ]
        resolution_status = resolution[i % len(resolution)]
        when = now - timedelta(hours=rng.randint(1, 60 * 24))
        id_value += rng.randint(1, 900)
        ip = f"185.220.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        alert = Alert(
            tenant=tenant,
            id_value=id_value,
            title=title,
            description=f"{user.display_name} triggered '{title}' in {APPS[app_id]} from {ip}.",
            timestamp=when,
            severity=[Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.INFORMATIONAL][i % 4]
            if i % 3
            else severity,
            status=[AlertStatus.UNREAD, AlertStatus.READ][i % 2],
            resolution_status=resolution_status,
            resolution_date=None
            if resolution_status == Resolution.OPEN
            else when + timedelta(hours=5),
            handled_by="" if resolution_status == Resolution.OPEN else "admin@contoso.com",
            comment="" if resolution_status == Resolution.OPEN else "Reviewed with the user.",
            stories=stories,
            intent=intent,
            threat_score=rng.randint(5, 95),
            entities=[
                {
                    "entityRole": "Source",
                    "entityType": 2,
                    "id": user.entity_id,
                    "inst": 0,
                    "label": user.display_name,
                    "pa": user.email,
                    "type": "account",
                },
                {"id": app_id, "label": APPS[app_id], "type": "service"},
                {"entityRole": "Related", "id": ip, "label": ip, "type": "ip"},
                {
                    "id": f"5bfd18bfab73c36ba10d38{i:02x}",
                    "label": title,
                    "policyType": "ANOMALY_DETECTION",
                    "type": "policyRule",
                },
            ],
        )
        alerts.append(alert)

    records_add(tenant=tenant, records=alerts)

    files = []
    for i in range(60):
        extension, file_type, mime = rng.choice(FILE_TYPES)
        owner = users[i % len(users)]
        app_id = rng.choice([20892, 15600, 11770, 10489])
        modified = now - timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 1440))
        file = File(
            tenant=tenant,
            file_id=uuid.UUID(int=rng.getrandbits(128)).hex,
            name=f"{rng.choice(FILE_WORDS)} {2024 + i % 3}.{extension}",
            extension=extension,
            mime_type=mime,
            file_type=file_type,
            service=app_id,
            app_name=APPS[app_id],
            size=rng.randint(2_000, 40_000_000),
            owner=owner,
            owner_key=f"{owner.entity_id}:0",
            owner_org_unit=owner.organization,
            sharing=rng.choice([0, 0, 1, 1, 2, 3, 4]),
            created_date=modified - timedelta(days=rng.randint(0, 400)),
            modified_date=modified,
            trashed=rng.random() < 0.08,
            deleted=rng.random() < 0.05,
            quarantined=rng.random() < 0.03,
            collaborator_domains_text=delimited(
                rng.sample(["contoso.com", "fabrikam.com", "gmail.com", "outlook.com"], 2)
            ),
            labels_text=delimited(rng.sample(["Confidential", "Public", "Highly confidential"], 1)),
        )
        files.append(file)

    records_add(tenant=tenant, records=files)

    for name, category, cidrs, org, tags in [
        (
            "Contoso HQ",
            IpCategory.CORPORATE,
            ["203.0.113.0/24", "2001:db8:10::/48"],
            "Contoso",
            ["Contoso"],
        ),
        ("Contoso VPN", IpCategory.VPN, ["198.51.100.0/25"], "Contoso", ["VPN exit"]),
        ("Admin jump hosts", IpCategory.ADMINISTRATIVE, ["10.20.0.0/16"], "", ["Admins"]),
        ("Azure", IpCategory.CLOUD_PROVIDER, ["20.0.0.0/11", "40.64.0.0/10"], "Microsoft", []),
        ("Tor exit nodes", IpCategory.RISKY, ["185.220.100.0/22"], "", ["Anonymous proxy"]),
    ]:
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

    records_add(
        tenant=tenant,
        records=[
            DataSource(
                name="Headquarters firewall",
                log_format="CISCO_ASA",
                receiver_type="syslog",
                protocol="udp",
            ),
            DataSource(name="Web proxy", log_format="ZSCALER", receiver_type="ftp"),
        ],
    )
