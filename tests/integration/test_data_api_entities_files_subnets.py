"""Entities (base64 pk, retrieve_tree), files, and IP ranges (create, update, delete)."""

import base64
import json

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from security.models import Subnet
from tests.factories import make_entity, make_file, make_subnet


@pytest.fixture
def alice(tenant):
    user = make_entity(
        tenant, entity_id="00aa00aa-bb11-cc22-dd33-44ee44ee44ee", saas=0, display_name="Alice"
    )
    accounts = [
        make_entity(tenant, entity_id=user.entity_id, saas=saas, display_name="Alice", parent=user)
        for saas in (11161, 11770)
    ]
    return user, accounts


def b64(key: dict, *, urlsafe=False, padded=True) -> str:
    raw = json.dumps(key).encode()
    text = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()
    return text if padded else text.rstrip("=")


@pytest.mark.parametrize(
    "pk",
    [
        b64({"id": "00aa00aa-bb11-cc22-dd33-44ee44ee44ee", "saas": 11161, "inst": 0}),
        b64(
            {"id": "00aa00aa-bb11-cc22-dd33-44ee44ee44ee", "saas": 11161, "inst": 0},
            urlsafe=True,
            padded=False,
        ),
        base64.b64encode(
            b'{"id":"00aa00aa-bb11-cc22-dd33-44ee44ee44ee","saas":11161,"inst":0}'
        ).decode(),
    ],
    ids=["standard", "urlsafe-unpadded", "compact-json"],
)
def test_fetch_an_entity_by_its_base64_pk(admin_api, alice, pk):
    for method in ("get", "post"):  # the reference documents GET; its curl example uses POST
        body = getattr(admin_api, method)(f"/api/v1/entities/{pk}/").json()
        assert (body["id"], body["appData"]["saas"], body["displayName"]) == (
            alice[0].entity_id,
            11161,
            "Alice",
        )


def test_the_pk_the_list_gives_fetches_that_entity(admin_api, alice):
    listed = admin_api.get("/api/v1/entities/").json()["data"]

    for row in listed:
        assert admin_api.get(f"/api/v1/entities/{row['_id']}/").json() == row


@pytest.mark.parametrize(
    "pk", ["bm90IGpzb24=", b64({"id": 5}), b64({"id": "nobody", "saas": 1, "inst": 0}), "%%%"]
)
def test_an_unknown_or_malformed_entity_pk_is_a_404(admin_api, alice, pk):
    assert admin_api.get(f"/api/v1/entities/{pk}/").status_code == 404


def test_retrieve_tree_of_a_user_lists_their_accounts(admin_api, alice):
    user, _ = alice

    tree = admin_api.get(
        f"/api/v1/entities/{b64({'id': user.entity_id, 'saas': 0, 'inst': 0})}/retrieve_tree/"
    ).json()

    assert tree["entity"]["appData"]["saas"] == 0
    assert tree["parent"] is None
    assert [child["appData"]["saas"] for child in tree["children"]] == [11161, 11770]


def test_retrieve_tree_of_an_account_gives_its_user_and_siblings(admin_api, alice):
    user, _ = alice

    tree = admin_api.get(
        f"/api/v1/entities/{b64({'id': user.entity_id, 'saas': 11161, 'inst': 0})}/retrieve_tree"
    ).json()

    assert tree["entity"]["appData"]["saas"] == 11161
    assert tree["parent"]["appData"]["saas"] == 0
    assert [child["appData"]["saas"] for child in tree["children"]] == [11770]


def test_fetch_a_file(admin_api, tenant):
    owner = make_entity(tenant, display_name="Owner")
    file = make_file(tenant, name="Budget.xlsx", owner=owner, owner_key=f"{owner.entity_id}:0")

    for method in ("get", "post"):
        body = getattr(admin_api, method)(f"/api/v1/files/{file.public_id}").json()
        assert (body["_id"], body["name"], body["ownerName"]) == (
            file.public_id,
            "Budget.xlsx",
            "Owner",
        )


# --- IP ranges ---------------------------------------------------------------------------------

RANGE = {
    "name": "range name",
    "category": 5,
    "organization": "Microsoft",
    "subnets": ["192.168.1.0/24", "192.168.2.0/16"],
    "tags": ["existing tag"],
}


def test_create_returns_the_new_id_as_a_json_string(admin_api, tenant):
    response = admin_api.post("/api/v1/subnet/create_rule/", RANGE, format="json")

    assert response.status_code == 200
    new_id = response.json()
    assert isinstance(new_id, str)
    assert response.content.decode() == f'"{new_id}"'
    subnet = Subnet.objects.get(public_id=new_id)
    from security.models import IpTag

    assert (subnet.tenant, subnet.name, subnet.category, subnet.subnets, subnet.tags) == (
        tenant,
        "range name",
        5,
        ["192.168.1.0/24", "192.168.2.0/16"],
        [IpTag.objects.get(tenant=tenant, name="existing tag").tag_id],
    )
    listed = admin_api.get("/api/v1/subnet/").json()["data"][0]
    assert listed["subnets"][1] == {
        "mask": 112,
        "address": "0000:0000:0000:0000:0000:ffff:c0a8:0000",
        "originalString": "192.168.2.0/16",
    }


def test_a_category_sent_as_a_string_is_accepted(admin_api):
    response = admin_api.post(
        "/api/v1/subnet/create_rule", {**RANGE, "category": "1"}, format="json"
    )

    assert Subnet.objects.get(public_id=response.json()).category == 1


def test_update_replaces_the_whole_range(admin_api, tenant):
    subnet = make_subnet(
        tenant, name="Old", category=1, organization="ISP", tags=["a"], subnets=["10.0.0.0/8"]
    )

    response = admin_api.post(
        f"/api/v1/subnet/{subnet.public_id}/update_rule/",
        {"name": "New", "category": 4, "subnets": ["2001:db8::/32"]},
        format="json",
    )

    assert response.status_code == 200
    subnet.refresh_from_db()
    assert (subnet.name, subnet.category, subnet.subnets, subnet.organization, subnet.tags) == (
        "New",
        4,
        ["2001:db8::/32"],
        "",
        [],
    )
    assert response.json()["subnets"] == [
        {
            "mask": 32,
            "address": "2001:0db8:0000:0000:0000:0000:0000:0000",
            "originalString": "2001:db8::/32",
        }
    ]


def test_delete_answers_200(admin_api, tenant):
    subnet = make_subnet(tenant)

    response = admin_api.delete(f"/api/v1/subnet/{subnet.public_id}/")

    assert response.status_code == 200
    assert response.json() == {"_id": subnet.public_id, "deleted": True}
    assert not Subnet.objects.filter(pk=subnet.pk).exists()
    assert admin_api.delete(f"/api/v1/subnet/{subnet.public_id}/").status_code == 404


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"name": ""}, "name: name is required"),
        ({"name": None}, "name: name is required"),
        ({"category": 9}, "category: category must be one of 1 Corporate"),
        ({"category": True}, "category: category must be one of"),
        ({"subnets": []}, "subnets: subnets must be a list of 1 to 1000 CIDR strings."),
        (
            {"subnets": ["10.0.0.0/33"]},
            "subnets: '10.0.0.0/33' is not an IPv4 or IPv6 range (CIDR).",
        ),
        ({"subnets": ["banana"]}, "subnets: 'banana' is not an IPv4 or IPv6 range (CIDR)."),
        ({"subnets": [5]}, "subnets: '5' is not an IPv4 or IPv6 range (CIDR)."),
        ({"tags": "x"}, "tags: tags must be a list of tag names or ids."),
        # A tag made from a name is shown to people: no invisible characters in it.
        ({"tags": ["Partner\u202eNPV"]}, "tags: tags must be a list of tag names or ids."),
        ({"tags": ["   "]}, "tags: tags must be a list of tag names or ids."),
        (
            {"overrideOrganization": "yes"},
            "overrideOrganization: overrideOrganization must be true or false.",
        ),
    ],
)
def test_bad_ranges_are_a_400_and_nothing_is_written(admin_api, change, detail):
    response = admin_api.post("/api/v1/subnet/create_rule/", {**RANGE, **change}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert not Subnet.objects.exists()


def test_names_are_unique_in_a_tenant(admin_api, tenant, other_tenant):
    make_subnet(tenant, name="range name")
    make_subnet(other_tenant, name="other")

    taken = admin_api.post("/api/v1/subnet/create_rule/", RANGE, format="json")
    other = make_subnet(tenant, name="second")
    rename = admin_api.post(f"/api/v1/subnet/{other.public_id}/update_rule/", RANGE, format="json")
    elsewhere = admin_api.post(
        "/api/v1/subnet/create_rule/", {**RANGE, "name": "other"}, format="json"
    )

    assert (taken.status_code, taken.json()) == (
        409,
        {"detail": "name: An IP range named 'range name' exists."},
    )
    assert rename.status_code == 409
    assert elsewhere.status_code == 200


def test_a_built_in_range_cannot_be_deleted(admin_api, tenant):
    subnet = make_subnet(tenant, built_in=True)

    response = admin_api.delete(f"/api/v1/subnet/{subnet.public_id}/")

    assert response.status_code == 400
    assert Subnet.objects.filter(pk=subnet.pk).exists()


@pytest.mark.parametrize(
    "role", [Role.SECURITY_OPERATOR, Role.SECURITY_READER, Role.DISCOVERY_ADMIN]
)
def test_only_settings_managers_change_ranges(token_client, tenant, role):
    client = token_client(role)
    subnet = make_subnet(tenant, name="Keep")

    attempts = [
        client.post("/api/v1/subnet/create_rule/", RANGE, format="json"),
        client.post(f"/api/v1/subnet/{subnet.public_id}/update_rule/", RANGE, format="json"),
        client.delete(f"/api/v1/subnet/{subnet.public_id}/"),
    ]

    assert [a.status_code for a in attempts] == [403, 403, 403]
    assert attempts[0].json() == {"detail": "This requires the Settings.manage permission."}
    assert list(Subnet.objects.values_list("name", flat=True)) == ["Keep"]


def test_tags_are_taken_by_id_or_by_name_and_answered_with_stable_ids(admin_api, tenant):
    """The docs' manage script sends tag ids and compares the answer's sorted tag ids with
    them to decide whether a range changed; another client resends names. Both see no change
    when nothing changed."""
    from security.models import IpTag

    body = {
        "name": "Partners",
        "category": 1,
        "subnets": ["10.1.0.0/16"],
        # a built-in id, a built-in name in another case, an unknown name
        "tags": ["000000290000000000000000", "akamai technologies", "Partner VPN"],
    }
    created = admin_api.post("/api/v1/subnet/create_rule/", body, format="json").json()
    custom = IpTag.objects.get(tenant=tenant, name="Partner VPN")
    first = admin_api.get(f"/api/v1/subnet/{created}/").json()

    sent_ids = [tag["id"] for tag in first["tags"]]
    by_ids = admin_api.post(
        f"/api/v1/subnet/{created}/update_rule/", body | {"tags": sent_ids}, format="json"
    ).json()
    by_names = admin_api.post(
        f"/api/v1/subnet/{created}/update_rule/",
        body | {"tags": [tag["name"] for tag in first["tags"]]},
        format="json",
    ).json()

    assert sent_ids == ["000000290000000000000000", "0000002d0000000000000000", custom.tag_id]
    assert [(tag["name"], tag["type"]) for tag in first["tags"]] == [
        ("Amazon Web Services", 2),
        ("Akamai Technologies", 2),
        ("Partner VPN", 0),
    ]
    assert sorted(t["id"] for t in by_ids["tags"]) == sorted(sent_ids)
    assert [t["id"] for t in by_names["tags"]] == sent_ids
    assert IpTag.objects.filter(tenant=tenant).count() == 1


def test_a_tag_made_from_a_name_is_the_tenants_own(admin_api, tenant, other_tenant):
    from security.models import IpTag
    from tests.factories import make_token, make_user

    _, value = make_token(make_user(other_tenant, Role.GLOBAL_ADMIN))
    theirs = APIClient(HTTP_AUTHORIZATION=f"Token {value}", HTTP_HOST="fabrikam.eu2.portal.test")
    body = {"name": "R", "category": 1, "subnets": ["10.0.0.0/8"], "tags": ["Branch"]}

    admin_api.post("/api/v1/subnet/create_rule/", body, format="json")
    theirs.post("/api/v1/subnet/create_rule/", body, format="json")

    ids = set(IpTag.objects.filter(name="Branch").values_list("tenant_id", "tag_id"))
    assert len(ids) == 2
    assert {tenant_id for tenant_id, _ in ids} == {tenant.pk, other_tenant.pk}
