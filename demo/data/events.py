"""The demo's activities as the Office 365 and Entra ID connectors deliver them: OneDrive,
SharePoint and Exchange Online events, and sign-ins to the Azure portal."""

import hashlib
import random
from datetime import datetime, timedelta
from typing import Any

from demo.data.catalogue import (
    AGENTS,
    AZURE,
    EVENT_TYPES,
    EXCHANGE,
    FILE_OPERATIONS,
    FILE_WORDS,
    LOCATIONS,
    MAIL_OPERATIONS,
    ONEDRIVE,
    SHAREPOINT,
    guid,
    o365_time,
)
from demo.data.people import Person
from security.enumerations import (
    OFFICE_365,
    app_name,
)
from security.records import (
    activity_from_record,
)

# --- activities --------------------------------------------------------------------------------


def place(rng: random.Random, person: Person, roaming: bool) -> tuple[dict, str]:
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
    raw_id = guid(rng)
    record = _base_event(tenant, kind, app_id, when, stored, f"{tenant.pk}_{app_id}_{raw_id}", rng)
    location, ip = place(rng, person, roaming=rng.random() < 0.1)
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
            "id": guid(rng),
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
        "CreationTime": o365_time(when),
        "RecordType": 2 if kind == "exchange" else 6,
        "Operation": operation,
        "UserType": 2 if admin else 0,
        "Workload": workload,
        "ClientIP": ip,
        "UserKey": person.object_id,
        "Version": 1,
        "ObjectId": target,
        "CorrelationId": guid(rng),
        "UserId": person.upn,
        "Id": raw_id,
        "UserAgent": device_ua,
    }
    if kind != "exchange":
        name = target.rsplit("/", 1)[-1]
        raw.update(
            ListItemUniqueId=guid(rng),
            EventSource="SharePoint",
            SourceFileExtension=name.rsplit(".", 1)[-1],
            SourceRelativeUrl="Documents",
            ItemType="File",
            SourceFileName=name,
            ApplicationId=guid(rng),
            ListId=guid(rng),
            WebId=guid(rng),
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
                "blobCreated": o365_time(stored - timedelta(seconds=20)),
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
    location, ip = place(rng, person, roaming=rng.random() < (0.5 if failed else 0.1))
    # Now and then from an old Windows 7 machine (the outdated-OS tag's agent).
    browser = AGENTS[4 if rng.random() < 0.15 else person.agent][1]
    os_name = browser["operatingSystem"]["name"]
    device_ua = f";{os_name};{browser['name']} {browser.get('version', '')};"
    actor, entity_data, accounts = _actor(person)
    actor = {**actor, "role": "2"}
    accounts = [{**account, "role": 5} for account in accounts]
    correlation, request_id, app = guid(rng), guid(rng), "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
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
            "TimeStamp": o365_time(when),
            "HomeTenantUserObjectId": person.object_id,
            "MfaRequired": not failed,
            "RequestId": request_id,
            "TenantId": str(tenant.entra_tenant_id or tenant.public_id),
            "MsodsTenantRegionScope": "NA",
            "MfaStatusRaw": "" if failed else "MfaDoneInCloud",
            "MfaResult": "" if failed else "MfaDoneInCloud",
            "BrowserId": guid(rng),
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
