"""What every view of the data API shares: the capability sets, the view bases, the list
envelope and 404s for ids. Request bodies are input serializers (core/bodies.py), declared
as each view's InputSerializer."""

from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasCapabilityFor
from accounts.roles import Capability
from core.parsers import FormParser, JSONParser, MultiPartParser
from security import resources
from security.filters import (
    ListRequest,
    build_q,
    parse_list_request,
)

C = Capability
INVESTIGATION_READ = (C.INVESTIGATION_READ, C.INVESTIGATION_MANAGE)
ALERTS_READ = (C.INVESTIGATION_READ, C.INVESTIGATION_MANAGE, C.DISCOVERY_READ, C.DISCOVERY_MANAGE)
ALERTS_MANAGE = (C.INVESTIGATION_MANAGE, C.DISCOVERY_MANAGE)
DISCOVERY_READ = (C.DISCOVERY_READ, C.DISCOVERY_MANAGE)
SUBNETS_READ = (C.INVESTIGATION_READ, C.INVESTIGATION_MANAGE, C.SETTINGS_READ, C.SETTINGS_MANAGE)


class DataApiView(APIView):
    permission_classes = [HasCapabilityFor]
    capabilities: dict[str, tuple[Capability, ...]] = {}

    @property
    def tenant(self):
        # A portal user or an Entra application: both have a tenant here (IsActiveUser).
        user: Any = self.request.user
        return user.tenant

    def actor(self) -> str:
        """Who did it, as alerts and feedback record it: a user name or an application id."""
        return self.request.user.username


def envelope(queryset, list_request: ListRequest, present) -> dict:
    """One page in the reference's envelope. `total` is exact up to DATA_API_COUNT_BOUND and
    then says so with `moreThanTotal`: counting past it would read every matching row."""
    skip, limit = list_request.skip, list_request.limit
    rows = list(queryset[skip : skip + limit + 1])
    has_next = len(rows) > limit
    rows = rows[:limit]
    if skip == 0 and not has_next:
        total, more = len(rows), False
    else:
        bound = settings.DATA_API_COUNT_BOUND
        counted = queryset.order_by()[: bound + 1].count()
        total, more = min(counted, bound), counted > bound
    return {
        "data": [present(row) for row in rows],
        "hasNext": has_next,
        "max": total,
        "total": total,
        "moreThanTotal": more,
    }


class ResourceList(DataApiView):
    """GET or POST, with the list body as JSON (GET too), form fields or query parameters."""

    # The reference shows `limit` sent URL-encoded, as form data and in a JSON body.
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    model: Any = None  # the resource's model class
    fields: dict = {}
    sorts: dict = {}
    default_sort: tuple = ("date", "desc")
    resource = ""

    def base_queryset(self):
        return self.model.objects.for_tenant(self.tenant)

    def present(self, row) -> dict:
        raise NotImplementedError

    def narrowed(self, list_request: ListRequest):
        queryset = self.base_queryset().filter(
            build_q(self.resource, self.fields, list_request.filters)
        )
        order = resources.ordering(
            self.sorts, list_request.sort_field, list_request.sort_direction, self.default_sort
        )
        return queryset.order_by(*order)

    def get(self, request):
        list_request = parse_list_request(request)
        return Response(envelope(self.narrowed(list_request), list_request, self.present))

    post = get


def one_or_404(queryset, **lookup):
    row = queryset.filter(**lookup).first()
    if row is None:
        raise exceptions.NotFound("Not found.")
    return row


def object_id_or_404(pk: str) -> str:
    # Ids are 24 hex characters; anything else cannot name a record.
    if len(pk) != 24 or not all(c in "0123456789abcdef" for c in pk.lower()):
        raise exceptions.NotFound("Not found.")
    return pk.lower()
