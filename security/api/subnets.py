"""IP ranges: list, fetch, create, replace and delete."""

import ipaddress

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from core.bodies import JsonValue, RequestBody, StrictBool, StrictText
from core.inputs import parse_int
from core.names import is_clean_name
from security import listing, records, services
from security.api.base import (
    RECORD,
    SUBNETS_READ,
    C,
    DataApiView,
    ResourceList,
    object_id_or_404,
    one_or_404,
)
from security.models import IpCategory, Subnet

# --- IP ranges ---------------------------------------------------------------------------------


class SubnetListApi(ResourceList):
    capabilities = {"GET": SUBNETS_READ, "POST": SUBNETS_READ}
    model, resource = Subnet, "subnet"
    fields, sorts = listing.SUBNET_FIELDS, listing.SUBNET_SORTS
    default_sort = ("name", "asc")

    def get(self, request):
        self.custom_tags = services.tags_by_id(self.tenant)
        return super().get(request)

    post = get

    def present(self, subnet):
        return records.subnet_data(subnet, self.tenant, self.custom_tags)


CATEGORIES = ", ".join(f"{value} {label}" for value, label in IpCategory.choices)


@extend_schema_field(
    {
        "anyOf": [
            {"type": "integer", "enum": IpCategory.values},
            {"type": "string", "enum": [str(value) for value in IpCategory.values]},
        ]
    }
)
class Category(JsonValue):
    """An IpCategory value, also written as digits (the reference's script sends it as read
    from a CSV)."""

    message = f"category must be one of {CATEGORIES}."

    def clean(self, data):
        if isinstance(data, str) and parse_int(data) is not None:
            data = parse_int(data)
        if isinstance(data, bool) or data not in IpCategory.values:
            raise self.fail_with("")
        return data


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "description": "An IPv4 or IPv6 range (CIDR)."},
        "minItems": 1,
        "maxItems": 1000,
    }
)
class Cidrs(JsonValue):
    message = "subnets must be a list of 1 to 1000 CIDR strings."

    def clean(self, data):
        if not isinstance(data, list) or not 1 <= len(data) <= 1000:
            raise self.fail_with("")
        cidrs = []
        for cidr in data:
            try:
                if not isinstance(cidr, str):
                    raise TypeError(cidr)
                ipaddress.ip_network(cidr.strip(), strict=False)
            except (ValueError, TypeError):
                raise serializers.ValidationError(
                    f"{str(cidr)[:60]!r} is not an IPv4 or IPv6 range (CIDR)."
                ) from None
            cidrs.append(cidr.strip())
        return cidrs


@extend_schema_field(
    {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 100}}
)
class Tags(JsonValue):
    def clean(self, data):
        if not isinstance(data, list) or not all(
            isinstance(tag, str) and 0 < len(tag.strip()) <= 100 and is_clean_name(tag)
            for tag in data
        ):
            raise self.fail_with("tags must be a list of tag names or ids.")
        return list(dict.fromkeys(data))


NAME_REQUIRED = "name is required: a string of at most 200 characters."


class SubnetBody(RequestBody):
    """create_rule and update_rule: the whole range (update_rule clears what is left out)."""

    detail_names_field = True

    name = StrictText(max_length=200, required=True, message=NAME_REQUIRED)
    category = Category(help_text=f"One of {CATEGORIES}.")
    subnets = Cidrs(help_text="1 to 1000 ranges in CIDR notation, IPv4 or IPv6.")
    organization = StrictText(max_length=200, help_text="The registered ISP of the range.")
    tags = Tags(required=False, default=list, allow_null=True, help_text="Tag names or ids.")
    overrideOrganization = StrictBool(
        default=None, allow_null=True, help_text="Defaults to true when organization is given."
    )

    def validate_tags(self, tags):
        return tags or []

    def validate(self, attrs):
        if not attrs["name"]:
            raise serializers.ValidationError({"name": NAME_REQUIRED})
        return attrs


def _shown(subnet: Subnet, tenant) -> dict:
    return records.subnet_data(subnet, tenant, services.tags_by_id(tenant))


def _subnet_fields(request) -> services.SubnetFields:
    body = SubnetBody.read(request)
    override = body["overrideOrganization"]
    return services.SubnetFields(
        name=body["name"],
        category=body["category"],
        subnets=body["subnets"],
        organization=body["organization"],
        override_organization=bool(body["organization"]) if override is None else override,
        tags=body["tags"],
    )


class SubnetCreateApi(DataApiView):
    capabilities = {"POST": (C.SETTINGS_MANAGE,)}
    conflicts = True

    @extend_schema(
        request=SubnetBody,
        responses={200: {"type": "string", "description": "The new range's id."}},
    )
    def post(self, request):
        subnet = services.subnet_create(tenant=self.tenant, fields=_subnet_fields(request))
        return Response(subnet.public_id)  # the new id, as a JSON string


class SubnetDetailApi(DataApiView):
    capabilities = {"GET": SUBNETS_READ, "DELETE": (C.SETTINGS_MANAGE,)}

    @extend_schema(responses={200: RECORD})
    def get(self, request, pk: str):
        subnet = one_or_404(Subnet.objects.for_tenant(self.tenant), public_id=object_id_or_404(pk))
        return Response(_shown(subnet, self.tenant))

    @extend_schema(
        responses={
            200: {
                "type": "object",
                "properties": {"_id": {"type": "string"}, "deleted": {"type": "boolean"}},
            }
        }
    )
    def delete(self, request, pk: str):
        subnet = one_or_404(Subnet.objects.for_tenant(self.tenant), public_id=object_id_or_404(pk))
        services.subnet_delete(subnet=subnet)
        # 200, not 204: the reference's script treats any other status as a failure.
        return Response({"_id": subnet.public_id, "deleted": True})


class SubnetUpdateApi(DataApiView):
    capabilities = {"POST": (C.SETTINGS_MANAGE,)}
    conflicts = True

    @extend_schema(request=SubnetBody, responses={200: RECORD})
    def post(self, request, pk: str):
        subnet = one_or_404(Subnet.objects.for_tenant(self.tenant), public_id=object_id_or_404(pk))
        subnet = services.subnet_update(subnet=subnet, fields=_subnet_fields(request))
        return Response(_shown(subnet, self.tenant))
