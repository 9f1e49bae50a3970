"""Entities (users and accounts): list, fetch by the base64 key, and the tree of a user
with their accounts."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from core.inputs import text_problem
from security import cursors, listing, records
from security.api.base import (
    INVESTIGATION_READ,
    RECORD,
    DataApiView,
    ResourceList,
    one_or_404,
)
from security.models import Entity

# --- entities and files ------------------------------------------------------------------------


class EntityListApi(ResourceList):
    """Users (each with their accounts inside) and applications' accounts. A user's
    accounts are not records of their own here, as on real tenants, so that a lookup by
    display name finds the person once; the `entity` filter naming a user returns the user
    and their accounts (the reference: "its accounts are returned too")."""

    capabilities = {"GET": INVESTIGATION_READ, "POST": INVESTIGATION_READ}
    model, resource = Entity, "entities"
    fields, sorts = listing.ENTITY_FIELDS, listing.ENTITY_SORTS
    default_sort = ("severity", "desc")

    def base_queryset(self):
        return super().base_queryset().prefetch_related("accounts")

    def narrowed(self, list_request):
        queryset = super().narrowed(list_request)
        if "entity" in list_request.filters:
            return queryset
        return queryset.filter(parent__isnull=True)

    def present(self, entity):
        return records.entity_data(entity)


def _entity(tenant, pk: str) -> Entity:
    """By the reference's base64 pk, by the record's `_id`, or by the bare entity id
    (retrieve_tree's wording)."""
    entities = Entity.objects.for_tenant(tenant).prefetch_related("accounts")
    if len(pk) == 24 and all(c in "0123456789abcdef" for c in pk.lower()):
        found = entities.filter(public_id=pk.lower()).first()
        if found is not None:
            return found
    key = cursors.parse_entity_pk(pk)
    if key is not None:
        lookup = {"entity_id": key["id"], "inst": key["inst"]}
        if key["saas"] is not None:
            lookup["saas"] = key["saas"]
        return one_or_404(entities.order_by("saas"), **lookup)
    if len(pk) <= 64 and text_problem(pk) is None:
        return one_or_404(entities.order_by("saas"), entity_id=pk)
    raise exceptions.NotFound("Not found.")


class EntityDetailApi(DataApiView):
    capabilities = {"GET": INVESTIGATION_READ, "POST": INVESTIGATION_READ}

    @extend_schema(request=None, responses={200: RECORD})
    def get(self, request, pk: str):
        return Response(records.entity_data(_entity(self.tenant, pk)))

    post = get  # the reference's curl example fetches with POST


class EntityTreeApi(DataApiView):
    """A user with all of their accounts; an account with its user and its sibling accounts."""

    capabilities = {"GET": INVESTIGATION_READ}

    @extend_schema(
        responses={
            200: {
                "type": "object",
                "properties": {
                    "entity": RECORD,
                    "parent": {**RECORD, "nullable": True},
                    "children": {"type": "array", "items": RECORD},
                },
            }
        }
    )
    def get(self, request, pk: str):
        entity = _entity(self.tenant, pk)
        root = entity.parent if entity.parent is not None else entity
        accounts = Entity.objects.for_tenant(self.tenant).filter(parent=root).order_by("saas", "id")
        return Response(
            {
                "entity": records.entity_data(entity),
                "parent": records.entity_data(root) if root.pk != entity.pk else None,
                "children": [records.entity_data(a) for a in accounts if a.pk != entity.pk],
            }
        )
