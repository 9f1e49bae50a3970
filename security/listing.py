"""What each list of the data API may be filtered and sorted by: the filter fields the
reference lists per resource (section 5), in the list language of security/filters.py, and
the sort fields (2.1)."""

from typing import Any

from django.db.models import Q

from security.enumerations import ENTITY_TYPE_NAMES
from security.filters import (
    FLAG,
    WHOLE,
    Field,
    FilterError,
    alone_or_in_a_list,
    boolean_value,
    entity_key,
    integer_value,
    spec,
    string_value,
    value_list,
)

EQ = ("eq", "neq")
SET = ("isset", "isnotset")
DATES = ("lte", "gte", "range", "lte_ndays", "gte_ndays")


# What the custom tests below take beyond their kind, for the schema (security/filters.py).
def _any_case(*words: str) -> dict:
    """A string that is one of the words in any case."""
    spelled = ("".join(f"[{c.upper()}{c.lower()}]" for c in word) for word in words)
    return {"type": "string", "pattern": f"^({'|'.join(spelled)})$"}


SOURCE = {"anyOf": [WHOLE, {"type": "string", "pattern": "^(t:[+-]?[0-9]{1,18}|s:.*)$"}]}
ENTITY_TYPE = {"anyOf": [WHOLE, _any_case(*ENTITY_TYPE_NAMES)]}
LOOSE_FLAG = {"anyOf": [FLAG, _any_case("true", "false")]}
FLAG_OR_UNKNOWN = alone_or_in_a_list({"type": "boolean", "nullable": True})  # null: not known


def _alert_open(operator: str, value: Any, where: str) -> Q:
    is_open = Q(resolution_status=0)
    return is_open if boolean_value(value, where) else ~is_open


def _alert_read(operator: str, value: Any, where: str) -> Q:
    unread = Q(status=0)
    return ~unread if boolean_value(value, where) else unread


def _activity_source(operator: str, value: Any, where: str) -> Q:
    """Source types as numbers or `t:<type>` strings; `s:<stream id>` names a discovery
    stream, which no activity here comes from."""
    types = []
    for item in value_list(value, where):
        if isinstance(item, str) and item.startswith(("t:", "s:")):
            if item.startswith("s:"):
                continue
            item = item[2:]
        types.append(integer_value(item, where))
    matched = Q(source__in=types)
    return matched if operator == "eq" else ~matched


def _loose_boolean(value: Any, where: str) -> bool:
    # isAdmin is typed string in the reference but is a flag.
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return boolean_value(value, where)


def _entity_is_admin(operator: str, value: Any, where: str) -> Q:
    return Q(is_admin=_loose_boolean(value, where))


def _entity_is_external(operator: str, value: Any, where: str) -> Q:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is None:
        return Q(is_external__isnull=True)
    return Q(is_external=boolean_value(value, where))


def _entity_entity(operator: str, value: Any, where: str) -> Q:
    """The given entities; a user brings their accounts along."""
    matched = Q()
    for item in value_list(value, where):
        entity_id, inst = entity_key(item, where).rsplit(":", 1)
        matched |= Q(entity_id=entity_id, inst=int(inst)) | Q(
            parent__entity_id=entity_id, parent__inst=int(inst)
        )
    return matched if operator == "eq" else ~matched


def _parent_folder(operator: str, value: Any, where: str) -> Q:
    """eq/neq: directly inside the given folders; descendantof/ndescendantof: anywhere
    beneath them (or the folders themselves), from the ancestors the file's record lists."""
    folders = [string_value(item, where) for item in value_list(value, where)]
    if operator in {"eq", "neq"}:
        matched = Q(parent_folder__in=folders)
        return matched if operator == "eq" else ~matched
    matched = Q()
    for folder in folders:
        matched |= Q(ancestors_text__contains=f"|{folder}|")
    return matched if operator == "descendantof" else ~matched


def _files_allow_deleted(operator: str, value: Any, where: str) -> Q:
    # Applied by the files list itself: deleted files are left out unless this says true.
    boolean_value(value, where)
    return Q()


ALERT_FIELDS: dict[str, Field] = {
    "entity.entity": spec("entity_ids_text", "entities", *EQ),
    "entity.ip": spec("ips_text", "multi", *EQ),
    "entity.service": spec("services_text", "multi", *EQ, value_kind="int"),
    "entity.instance": spec("instances_text", "multi", *EQ),
    "entity.policy": spec("policies_text", "multi", *EQ),
    "entity.file": spec("files_text", "multi", *EQ),
    "alertOpen": spec("resolution_status", "bool", "eq", custom=_alert_open),
    "severity": spec("severity", "int", *EQ),
    "resolutionStatus": spec("resolution_status", "int", *EQ),
    "read": spec("status", "bool", "eq", custom=_alert_read),
    "date": spec("timestamp", "time", *DATES),
    "resolutionDate": spec("resolution_date", "time", "lte", "gte", "range"),
    # The reference leaves their values undocumented; what a record holds of them is its
    # investigation priority score (threatScore) and its alert type (idValue, RECORDS 3.1).
    "risk": spec("threat_score", "int", *EQ),
    "alertType": spec("id_value", "int", *EQ),
    "id": spec("public_id", "str", *EQ),
    "ID": spec("public_id", "str", *EQ),
    "source": spec("source", "str", "eq"),
    # Sent by clients (RECORDS 8): the users an alert involves, and `instance` at the top of
    # the filters, meaning entity.instance.
    "entity.user": spec("users_text", "multi", *EQ),
    "instance": spec("instances_text", "multi", *EQ),
}

ACTIVITY_FIELDS: dict[str, Field] = {
    "service": spec("service", "int", *EQ),
    "instance": spec("instance", "int", *EQ),
    "user.orgUnit": spec("user_org_unit", "str", *EQ, *SET),
    "actionType": spec("action_type", "str", "contains", *EQ, *SET),
    "activity.actionType": spec("action_type", "str", "contains", *EQ, *SET),
    "activity.eventActionType": spec("event_action_type", "str", *EQ),
    # The event category (eventTypeName): the documented name until 2023, still sent.
    "activity.eventType": spec("event_type_name", "str", *EQ),
    "activity.id": spec("public_id", "str", "eq"),
    "activity.impersonated": spec("impersonated", "bool", "eq"),
    "activity.type": spec("is_admin", "bool", "eq"),
    "activity.takenAction": spec("taken_action", "str", *EQ),
    "device.type": spec("device_type", "str", *EQ),
    "device.tags": spec("device_tags_text", "multi", *EQ),
    "userAgent.userAgent": spec("user_agent", "str", "contains", "ncontains"),
    "userAgent.tags": spec("user_agent_tags_text", "multi", *EQ),
    "location.country": spec("country", "str", *EQ, *SET),
    "location.organizations": spec("organization", "str", *EQ, *SET, "contains"),
    "ip.address": spec("ip_address", "str", *EQ, "startswith", "doesnotstartwith", *SET),
    "ip.category": spec("ip_category", "int", *EQ),
    "ip.tags": spec("ip_tags_text", "multi", *EQ),
    "fileSelector": spec("file_id", "str", *EQ),
    "fileId": spec("file_id", "str", "eq"),
    "office365url": spec("office365_url", "str", "startswith", "eq", "endswith"),
    "text": spec(
        "description",
        "str",
        "eq",
        "startswithsingle",
        "text",
        text_columns=("description", "user_name", "action_type", "app_name", "ip_address"),
    ),
    "date": spec("timestamp", "time", *DATES),
    "created": spec("created", "time", "lte", "gte", "range", "gt", "lt", "eq"),
    "policy": spec("policies_text", "multi", *EQ, *SET),
    "source": spec("source", "int", *EQ, custom=_activity_source, one=SOURCE),
    "activity.alertId": spec("alert_ids_text", "multi", "eq"),
    "activityObject": spec("object_ids_text", "multi", *EQ),
    "entity": spec("entity_key", "entity", *EQ, *SET),
    "user.username": spec("user_name", "str", *EQ, *SET, "startswith"),
    "user.tags": spec("user_tags_text", "multi", *EQ, *SET),
    "user.domain": spec("user_domain", "str", *EQ, *SET),
}


def _entity_type(operator: str, value: Any, where: str) -> Q:
    """Entity types as the records' numbers (2 user, 1 application's account) or, as
    clients send them, names ("user")."""
    codes = []
    for item in value_list(value, where):
        if isinstance(item, str) and item.lower() in ENTITY_TYPE_NAMES:
            codes.append(ENTITY_TYPE_NAMES[item.lower()])
        else:
            codes.append(integer_value(item, where))
    matched = Q(type__in=codes)
    return matched if operator == "eq" else ~matched


def _display_name(operator: str, value: Any, where: str) -> Q:
    """The entities with exactly this display name, in any case (a client looks a person up
    by the name it shows, expecting that person once)."""
    matched = Q()
    for item in value_list(value, where):
        matched |= Q(display_name__iexact=string_value(item, where))
    return matched if operator == "eq" else ~matched


ENTITY_FIELDS: dict[str, Field] = {
    "type": spec("type", "int", *EQ, custom=_entity_type, one=ENTITY_TYPE),
    "displayName": spec("display_name", "str", *EQ, custom=_display_name),
    "isAdmin": spec("is_admin", "bool", "eq", custom=_entity_is_admin, one=LOOSE_FLAG),
    "entity": spec("entity_id", "entity", *EQ, custom=_entity_entity),
    "userGroups": spec("user_groups_text", "multi", *EQ),
    "app": spec("saas", "int", *EQ),
    "instance": spec("inst", "int", *EQ),
    "isExternal": spec(
        "is_external", "bool", "eq", custom=_entity_is_external, one=FLAG_OR_UNKNOWN
    ),
    "domain": spec("domain", "str", *EQ, *SET),
    "organization": spec("organization", "str", *EQ, *SET),
    "status": spec("status", "int", *EQ),
}

FILE_FIELDS: dict[str, Field] = {
    "service": spec("service", "int", *EQ),
    "instance": spec("instance", "int", *EQ),
    "fileType": spec("file_type", "int", *EQ),
    "allowDeleted": spec("deleted", "bool", "eq", custom=_files_allow_deleted),
    "policy": spec("policies_text", "multi", "cabinetmatchedrulesequals", "neq", *SET),
    "filename": spec("name", "str", "eq", "text", text_columns=("name",)),
    "modifiedDate": spec("modified_date", "time", *DATES),
    "createdDate": spec("created_date", "time", "lte", "gte", "range"),
    "collaborators.entity": spec("collaborator_entities_text", "entities", *EQ),
    "collaborators.domains": spec("collaborator_domains_text", "multi", *EQ),
    "collaborators.groups": spec("collaborator_groups_text", "multi", *EQ),
    "collaborators.withDomain": spec("collaborator_domains_text", "multi", *EQ, "deq"),
    "collaborators.users": spec("collaborator_users_text", "multi", *EQ),
    "owner.username": spec("owner_address", "str", *EQ),
    "owner.entity": spec("owner_key", "entity", *EQ),
    "owner.orgUnit": spec("owner_org_unit", "str", *EQ),
    "sharing": spec("sharing", "int", *EQ),
    "fileId": spec("file_id", "str", *EQ),
    "fileLabels": spec("labels_text", "multi", *EQ, *SET),
    "fileScanLabels": spec("scan_labels_text", "multi", *EQ, *SET),
    "extension": spec("extension", "str", *EQ),
    "mimeType": spec("mime_type", "str", *EQ),
    "trashed": spec("trashed", "bool", "eq"),
    "parentFolder": spec(
        "parent_folder", "str", *EQ, "descendantof", "ndescendantof", custom=_parent_folder
    ),
    "folder": spec("folder", "bool", "eq"),
    "quarantined": spec("quarantined", "bool", "eq"),
    "snapshotLastModifiedDate": spec("snapshot_last_modified", "time", "lte", "gte", "range"),
}

SUBNET_FIELDS: dict[str, Field] = {
    "category": spec("category", "int", *EQ),
    "tags": spec("tags_text", "multi", *EQ),
    "builtIn": spec("built_in", "bool", "eq"),
}

# sortField -> columns to order by (ascending); the id breaks ties so pages never overlap.
ALERT_SORTS = {"date": ("timestamp", "id"), "severity": ("severity", "timestamp", "id")}
ACTIVITY_SORTS = {"date": ("timestamp", "id"), "created": ("created", "id")}
ENTITY_SORTS = {"date": ("last_seen", "id"), "severity": ("threat_score", "id")}
FILE_SORTS = {"modifiedDate": ("modified_date", "id"), "createdDate": ("created_date", "id")}
SUBNET_SORTS = {"category": ("category", "id"), "tags": ("tags_text", "id"), "name": ("name",)}


def ordering(sorts: dict, sort_field: str | None, direction: str | None, default: tuple) -> list:
    """ORDER BY for a list: the named sort (ascending unless told), or the resource's
    default (field, direction)."""
    if sort_field is None:
        sort_field, default_direction = default
        direction = direction or default_direction
    elif sort_field not in sorts:
        raise FilterError(
            f"sortField '{sort_field}' is not one of " + ", ".join(sorted(sorts))
            if sorts
            else "this list cannot be sorted"
        )
    prefix = "-" if (direction or "asc") == "desc" else ""
    return [prefix + column for column in sorts[sort_field]]
