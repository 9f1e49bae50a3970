"""Each operator of the filter language, on fields the reference gives it, with exact
results. Times go in as milliseconds since the epoch."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from security.models import delimited
from tests.factories import make_activity, make_alert, make_entity, make_file, make_subnet

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


@pytest.fixture
def activities(tenant):
    """Three activities with distinct values on every filtered field."""
    alice = make_entity(
        tenant, entity_id="aaaaaaaa-0000-4000-8000-000000000001", display_name="Alice"
    )
    return {
        "a": make_activity(
            tenant,
            timestamp=T0,
            created=T0 + timedelta(minutes=1),
            service=11161,
            action_type="FileDownloaded",
            description="Downloaded Budget.xlsx",
            ip_address="203.0.113.7",
            ip_category=1,
            country="US",
            organization="Contoso ISP",
            user_name="alice@contoso.com",
            user_domain="contoso.com",
            user_tags_text=delimited(["VIP", "Finance"]),
            user_agent="Mozilla/5.0 Chrome",
            office365_url="https://contoso.sharepoint.com/sites/finance/Budget.xlsx",
            is_admin=False,
            source=2,
            entity=alice,
            alert_ids_text=delimited(["alert1"]),
        ),
        "b": make_activity(
            tenant,
            timestamp=T0 + timedelta(days=1),
            created=T0 + timedelta(days=1, minutes=1),
            service=20893,
            action_type="Send",
            description="Sent a message",
            ip_address="198.51.100.9",
            ip_category=3,
            country="RU",
            organization=None,
            user_name="bob@fabrikam.com",
            user_domain="fabrikam.com",
            user_agent="python-requests/2.32",
            is_admin=True,
            source=0,
        ),
        "c": make_activity(
            tenant,
            timestamp=T0 + timedelta(days=2),
            created=T0 + timedelta(days=2, minutes=1),
            service=11161,
            action_type="",
            description="Logged on",
            ip_address=None,
            country=None,
            user_name=None,
            source=1,
        ),
    }


CASES = [
    ({"service": {"eq": 11161}}, "ac"),
    ({"service": {"eq": [11161, 20893]}}, "abc"),
    ({"service": {"neq": [11161]}}, "b"),
    ({"actionType": {"eq": ["Send"]}}, "b"),
    ({"actionType": {"contains": ["download"]}}, "a"),
    ({"actionType": {"isset": True}}, "ab"),
    ({"actionType": {"isnotset": True}}, "c"),
    ({"ip.address": {"startswith": ["203.", "198."]}}, "ab"),
    ({"ip.address": {"doesnotstartwith": ["203."]}}, "bc"),
    ({"ip.address": {"isnotset": True}}, "c"),
    ({"ip.category": {"eq": [3]}}, "b"),
    ({"location.country": {"eq": ["US"]}, "service": {"eq": [11161]}}, "a"),
    ({"location.organizations": {"contains": ["contoso"]}}, "a"),
    ({"userAgent.userAgent": {"contains": ["python"]}}, "b"),
    ({"userAgent.userAgent": {"ncontains": ["python"]}}, "ac"),
    ({"office365url": {"endswith": ["Budget.xlsx"]}}, "a"),
    ({"office365url": {"startswith": ["https://contoso.sharepoint.com/sites/"]}}, "a"),
    ({"user.username": {"eq": ["alice@contoso.com"]}}, "a"),
    ({"user.username": {"startswith": ["bob"]}}, "b"),
    ({"user.domain": {"neq": ["contoso.com"]}}, "bc"),
    ({"user.tags": {"eq": ["Finance"]}}, "a"),
    ({"user.tags": {"eq": ["Fin"]}}, ""),
    ({"activity.type": {"eq": True}}, "b"),
    ({"activity.alertId": {"eq": ["alert1"]}}, "a"),
    ({"entity": {"eq": [{"id": "aaaaaaaa-0000-4000-8000-000000000001", "inst": 0}]}}, "a"),
    ({"entity": {"isnotset": True}}, "bc"),
    ({"source": {"eq": [0, "t:1"]}}, "bc"),
    ({"source": {"neq": ["t:2"]}}, "bc"),
    ({"text": {"text": "budget"}}, "a"),
    ({"text": {"startswithsingle": "Sent"}}, "b"),
    ({"date": {"gte": ms(T0 + timedelta(days=1))}}, "bc"),
    ({"date": {"lte": ms(T0 + timedelta(days=1))}}, "ab"),
    ({"created": {"gt": ms(T0 + timedelta(minutes=1))}}, "bc"),
    ({"created": {"lt": ms(T0 + timedelta(days=1, minutes=1))}}, "a"),
    ({"created": {"eq": [ms(T0 + timedelta(days=2, minutes=1))]}}, "c"),
    (
        {
            "date": {
                "range": [
                    {"start": ms(T0), "end": ms(T0)},
                    {"start": ms(T0 + timedelta(days=2)), "end": ms(T0 + timedelta(days=3))},
                ]
            }
        },
        "ac",
    ),
    ({"date": {"gte": ms(T0), "lte": ms(T0 + timedelta(hours=1))}}, "a"),
]


@pytest.mark.parametrize(("filters", "expected"), CASES, ids=[str(c[0])[:60] for c in CASES])
def test_activity_filters(admin_api, activities, filters, expected):
    response = admin_api.post(
        "/api/v1/activities/", {"filters": filters, "sortDirection": "asc"}, format="json"
    )

    assert response.status_code == 200, response.json()
    by_id = {activity.public_id: key for key, activity in activities.items()}
    assert "".join(by_id[row["_id"]] for row in response.json()["data"]) == expected


def test_gte_ndays_and_lte_ndays_count_back_from_now(admin_api, tenant):
    now = timezone.now()
    recent = make_activity(tenant, timestamp=now - timedelta(days=1))
    old = make_activity(tenant, timestamp=now - timedelta(days=10))

    newer = admin_api.post(
        "/api/v1/activities/", {"filters": {"date": {"gte_ndays": 3}}}, format="json"
    )
    older = admin_api.post(
        "/api/v1/activities/", {"filters": {"date": {"lte_ndays": 3}}}, format="json"
    )

    assert [row["_id"] for row in newer.json()["data"]] == [recent.public_id]
    assert [row["_id"] for row in older.json()["data"]] == [old.public_id]


@pytest.fixture
def alerts(tenant):
    return {
        "open_unread": make_alert(
            tenant,
            severity=2,
            entities=[
                {"type": "account", "id": "u1", "inst": 0, "label": "U1"},
                {"type": "service", "id": 11161, "label": "Office 365"},
                {"type": "ip", "id": "203.0.113.7", "label": "203.0.113.7"},
                {"type": "policyRule", "id": "p1", "label": "Policy"},
            ],
        ),
        "closed_read": make_alert(tenant, severity=0, status=1, resolution_status=4),
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"alertOpen": {"eq": True}}, {"open_unread"}),
        ({"alertOpen": {"eq": False}}, {"closed_read"}),
        ({"read": {"eq": True}}, {"closed_read"}),
        ({"read": {"eq": False}}, {"open_unread"}),
        ({"resolutionStatus": {"eq": [4]}}, {"closed_read"}),
        ({"entity.entity": {"eq": [{"id": "u1", "inst": 0}]}}, {"open_unread"}),
        ({"entity.entity": {"neq": [{"id": "u1", "inst": 0}]}}, {"closed_read"}),
        ({"entity.service": {"eq": [11161]}}, {"open_unread"}),
        ({"entity.ip": {"eq": ["203.0.113.7"]}}, {"open_unread"}),
        ({"entity.policy": {"eq": ["p1"]}}, {"open_unread"}),
        ({"severity": {"neq": [2]}}, {"closed_read"}),
    ],
)
def test_alert_filters(admin_api, alerts, filters, expected):
    response = admin_api.post("/api/v1/alerts/", {"filters": filters}, format="json")

    ids = {alert.public_id: key for key, alert in alerts.items()}
    assert {ids[row["_id"]] for row in response.json()["data"]} == expected


def test_alert_ids_by_lower_or_upper_case_field(admin_api, alerts):
    wanted = alerts["closed_read"].public_id
    for field in ("id", "ID"):
        body = admin_api.post(
            "/api/v1/alerts/", {"filters": {field: {"eq": [wanted]}}}, format="json"
        )
        assert [row["_id"] for row in body.json()["data"]] == [wanted]


def test_entity_filter_brings_a_users_accounts_along(admin_api, tenant):
    user = make_entity(tenant, entity_id="user-1", saas=0, display_name="Alice")
    account = make_entity(tenant, entity_id="user-1", saas=11161, display_name="Alice", parent=user)
    make_entity(tenant, entity_id="user-2", saas=0, display_name="Bob")

    body = admin_api.post(
        "/api/v1/entities/",
        {"filters": {"entity": {"eq": [{"id": "user-1", "inst": 0}]}}},
        format="json",
    ).json()

    assert {(row["id"], row["appData"]["saas"]) for row in body["data"]} == {
        (user.entity_id, 0),
        (account.entity_id, 11161),
    }


VIP = {
    "_id": "5da46fb69eb3f06b037b409b",
    "id": "5da46fb69eb3f06b037b409a",
    "name": "VIP",
    "description": "",
    "usersCount": 1,
}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"isAdmin": {"eq": "true"}}, {"admin"}),
        ({"isExternal": {"eq": None}}, {"unknown"}),
        ({"isExternal": {"eq": True}}, {"guest"}),
        ({"app": {"eq": [11770]}}, {"guest"}),
        ({"domain": {"isnotset": True}}, {"admin", "unknown"}),
        ({"status": {"eq": [3]}}, {"unknown"}),
        ({"userGroups": {"eq": ["5da46fb69eb3f06b037b409a"]}}, {"admin"}),
        ({"userGroups": {"eq": "5da46fb69eb3f06b037b409a"}}, {"admin"}),  # a scalar, as sent
        ({"type": {"eq": "user"}}, {"admin", "guest", "unknown"}),
        ({"type": {"eq": [1]}}, set()),
    ],
)
def test_entity_filters(admin_api, tenant, filters, expected):
    names = {
        "admin": make_entity(
            tenant, display_name="admin", is_admin=True, is_external=False, user_groups=[VIP]
        ),
        "guest": make_entity(
            tenant, display_name="guest", saas=11770, is_external=True, domain="gmail.com"
        ),
        "unknown": make_entity(tenant, display_name="unknown", is_external=None, status=3),
    }

    body = admin_api.post("/api/v1/entities/", {"filters": filters}, format="json").json()

    assert {row["displayName"] for row in body["data"]} == expected
    assert set(names) >= expected


def test_files_leave_deleted_ones_out_unless_asked(admin_api, tenant):
    kept = make_file(tenant, name="kept.docx")
    gone = make_file(tenant, name="gone.docx", deleted=True)
    trashed = make_file(tenant, name="trashed.docx", trashed=True)

    default = admin_api.post("/api/v1/files/", {}, format="json").json()
    with_deleted = admin_api.post(
        "/api/v1/files/", {"filters": {"allowDeleted": {"eq": True}}}, format="json"
    ).json()
    in_trash = admin_api.post(
        "/api/v1/files/", {"filters": {"trashed": {"eq": True}}}, format="json"
    ).json()

    assert {row["name"] for row in default["data"]} == {kept.name, trashed.name}
    assert {row["name"] for row in with_deleted["data"]} == {kept.name, trashed.name, gone.name}
    assert [row["name"] for row in in_trash["data"]] == [trashed.name]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"fileType": {"eq": [2]}}, {"sheet.xlsx"}),
        ({"sharing": {"eq": [3, 4]}}, {"public.docx"}),
        ({"collaborators.withDomain": {"eq": ["gmail.com"]}}, {"public.docx"}),
        ({"fileLabels": {"isset": True}}, {"sheet.xlsx"}),
        ({"extension": {"neq": ["xlsx"]}}, {"public.docx"}),
        ({"policy": {"cabinetmatchedrulesequals": ["p9"]}}, {"sheet.xlsx"}),
        ({"modifiedDate": {"lte": ms(T0)}}, {"public.docx"}),
    ],
)
def test_file_filters(admin_api, tenant, filters, expected):
    make_file(
        tenant,
        name="sheet.xlsx",
        extension="xlsx",
        file_type=2,
        sharing=1,
        labels_text=delimited(["Confidential"]),
        policies_text=delimited(["p9"]),
        modified_date=T0 + timedelta(days=5),
    )
    make_file(
        tenant,
        name="public.docx",
        extension="docx",
        file_type=1,
        sharing=4,
        collaborator_domains_text=delimited(["gmail.com"]),
        modified_date=T0,
    )

    body = admin_api.post("/api/v1/files/", {"filters": filters}, format="json").json()

    assert {row["name"] for row in body["data"]} == expected


def test_an_operator_the_language_lacks_is_a_400_naming_it(admin_api, tenant):
    response = admin_api.post(
        "/api/v1/files/",
        {"filters": {"collaborators.withDomain": {"deqq": ["x.com"]}}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Operator 'deqq' is not an operator this API knows on field "
        "'collaborators.withDomain'; use deq, eq, neq"
    )


def test_subnet_filters(admin_api, tenant):
    make_subnet(tenant, name="HQ", category=1, tags=["Contoso"])
    make_subnet(tenant, name="Tor", category=3, tags=["Anonymous proxy"])
    make_subnet(tenant, name="Built in", category=5, built_in=True)

    def names(filters):
        body = admin_api.post("/api/v1/subnet/", {"filters": filters}, format="json").json()
        return [row["name"] for row in body["data"]]

    assert names({"category": {"eq": [3]}}) == ["Tor"]
    assert names({"tags": {"eq": ["Contoso"]}}) == ["HQ"]
    assert names({"builtIn": {"eq": True}}) == ["Built in"]
    assert names({"category": {"neq": [1, 3]}}) == ["Built in"]


# --- filters clients send beyond the reference's tables (RECORDS.md 8) --------------------------


def _names(admin_api, resource: str, filters: dict, key: str) -> set:
    response = admin_api.post(f"/api/v1/{resource}/", {"filters": filters}, format="json")
    assert response.status_code == 200, response.json()
    return {row[key] for row in response.json()["data"]}


def test_activities_by_event_category_and_prefixed_action_type(admin_api, tenant):
    make_activity(
        tenant, description="in", event_type_name="EVENT_CATEGORY_LOGIN", action_type="UserLoggedIn"
    )
    make_activity(tenant, description="failed", event_type_name="EVENT_CATEGORY_FAILED_LOGIN")
    make_activity(tenant, description="file", event_type_name="EVENT_CATEGORY_UNSPECIFIED")

    logins = _names(
        admin_api,
        "activities",
        {"activity.eventType": {"eq": ["EVENT_CATEGORY_LOGIN", "EVENT_CATEGORY_FAILED_LOGIN"]}},
        "description",
    )
    by_action = _names(
        admin_api, "activities", {"activity.actionType": {"eq": "UserLoggedIn"}}, "description"
    )

    assert logins == {"in", "failed"}
    assert by_action == {"in"}


def test_alerts_by_involved_user_and_top_level_instance(admin_api, tenant):
    make_alert(
        tenant,
        title="pat",
        entities=[
            {"id": "pat@contoso.com", "label": "pat@contoso.com", "type": "user"},
            {"id": 11770, "inst": 1059065, "label": "Google Workspace", "type": "service"},
        ],
    )
    make_alert(
        tenant,
        title="lee",
        entities=[
            {"id": "lee@contoso.com", "label": "lee@contoso.com", "type": "user"},
        ],
    )

    by_user = _names(admin_api, "alerts", {"entity.user": {"eq": "pat@contoso.com"}}, "title")
    by_instance = _names(admin_api, "alerts", {"instance": {"eq": ["11770:1059065"]}}, "title")

    assert by_user == {"pat"}
    assert by_instance == {"pat"}


def test_files_by_owner_collaborator_and_name_text(admin_api, tenant):
    make_file(
        tenant,
        name="Budget 2026.xlsx",
        owner_address="pat@contoso.com",
        document={
            "collaborators": [
                {"id": "lee@contoso.com", "type": 1, "role": 1, "accessLevel": 1, "name": "Lee"}
            ]
        },
    )
    make_file(tenant, name="Roadmap.pptx", owner_address="lee@contoso.com")

    assert _names(admin_api, "files", {"owner.username": {"eq": "pat@contoso.com"}}, "name") == {
        "Budget 2026.xlsx"
    }
    assert _names(
        admin_api, "files", {"collaborators.users": {"eq": ["lee@contoso.com"]}}, "name"
    ) == {"Budget 2026.xlsx"}
    assert _names(admin_api, "files", {"filename": {"text": "budget"}}, "name") == {
        "Budget 2026.xlsx"
    }


def test_deq_finds_files_shared_with_a_domain_beyond_the_listed_ones(admin_api, tenant):
    make_file(tenant, name="inside", collaborator_domains_text=delimited(["contoso.com"]))
    make_file(
        tenant, name="outside", collaborator_domains_text=delimited(["contoso.com", "gmail.com"])
    )
    make_file(tenant, name="unshared")

    found = _names(
        admin_api, "files", {"collaborators.withDomain": {"deq": ["contoso.com"]}}, "name"
    )

    assert found == {"outside"}


def test_descendantof_finds_files_anywhere_beneath_a_folder(admin_api, tenant):
    make_file(
        tenant,
        name="top",
        file_id="s|top",
        parent_folder="s|root",
        document={"parentIds": ["s|root"], "effectiveParents": ["s|drive", "s|root"]},
    )
    make_file(
        tenant,
        name="deep",
        file_id="s|deep",
        parent_folder="s|sub",
        document={"parentIds": ["s|sub"], "effectiveParents": ["s|drive", "s|root", "s|sub"]},
    )
    make_file(
        tenant,
        name="elsewhere",
        file_id="t|x",
        parent_folder="t|root",
        document={"parentIds": ["t|root"], "effectiveParents": ["t|drive", "t|root"]},
    )

    beneath = _names(admin_api, "files", {"parentFolder": {"descendantof": ["s|root"]}}, "name")
    not_beneath = _names(
        admin_api, "files", {"parentFolder": {"ndescendantof": ["s|root"]}}, "name"
    )
    directly = _names(admin_api, "files", {"parentFolder": {"eq": ["s|root"]}}, "name")

    assert beneath == {"top", "deep"}
    assert not_beneath == {"elsewhere"}
    assert directly == {"top"}


@pytest.mark.parametrize(
    ("resource", "filters", "detail"),
    [
        ("entities", {"displayName": {"contains": ["x"]}}, "Operator 'contains' is not allowed"),
        ("files", {"filename": {"deq": ["x"]}}, "Operator 'deq' is not allowed on field"),
        ("alerts", {"entity.username": {"eq": ["x"]}}, "Unknown filter field 'entity.username'"),
        ("activities", {"activity.eventTypes": {"eq": ["x"]}}, "Unknown filter field"),
    ],
)
def test_a_filter_no_tenant_accepts_is_still_a_400_naming_it(admin_api, resource, filters, detail):
    response = admin_api.post(f"/api/v1/{resource}/", {"filters": filters}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


def test_a_list_of_values_holds_250_of_them_on_every_database(admin_api, alerts):
    # Each value of a delimited column's list is one OR: SQLite refuses an OR 1,000 deep,
    # which was a 503 before the bound.
    wanted = alerts["open_unread"].public_id
    many = [{"id": f"u{n}", "inst": 0} for n in range(1, 251)]

    found = admin_api.post(
        "/api/v1/alerts/",
        {"filters": {"entity.entity": {"eq": many}, "entity.user": {"neq": ["x"] * 250}}},
        format="json",
    )
    too_many = admin_api.post(
        "/api/v1/alerts/", {"filters": {"entity.user": {"neq": ["x"] * 251}}}, format="json"
    )

    assert [row["_id"] for row in found.json()["data"]] == [wanted]
    assert too_many.status_code == 400
    assert too_many.json()["detail"] == "filters.entity.user.neq: at most 250 values"
