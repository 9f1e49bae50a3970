"""The demo's alerts, as real policy and anomaly alerts are raised."""

import random
from datetime import datetime, timedelta
from typing import Any

from demo.data.catalogue import (
    ALERT_KINDS,
    AZURE,
    EXCHANGE,
    FILE_WORDS,
    ONEDRIVE,
    TACTICS,
    guid,
    object_id,
    stable_id,
)
from demo.data.events import place
from demo.data.people import Person
from security.enumerations import (
    OFFICE_365,
    app_name,
)
from security.models import AlertStatus, Resolution, Severity

# --- alerts, files, ranges -----------------------------------------------------------------------


def alert_record(tenant, person: Person, rng: random.Random, when: datetime, i: int) -> dict:
    title, severity, stories, intent, policy_type, id_value = ALERT_KINDS[i % len(ALERT_KINDS)]
    resolutions = [Resolution.OPEN] * 3 + [
        Resolution.BENIGN,
        Resolution.FALSE_POSITIVE,
        Resolution.TRUE_POSITIVE,
    ]
    resolution = resolutions[i % len(resolutions)]
    location, ip = place(rng, person, roaming=True)
    other, other_ip = place(rng, person, roaming=True)
    app_id = rng.choice([EXCHANGE, OFFICE_365, AZURE, ONEDRIVE])
    policy = {
        "id": stable_id(tenant.public_id, "policy", title),
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
        entities.insert(2, {"id": f"{guid(rng)}|{guid(rng)}", "label": name, "type": "file"})
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
        "_id": object_id(rng),
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
