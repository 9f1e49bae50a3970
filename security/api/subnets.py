"""IP ranges: list, fetch, create, replace and delete."""

from rest_framework.response import Response

from core.exceptions import BadRequest
from security import resources, services
from security.api.base import (
    SUBNETS_READ,
    C,
    DataApiView,
    ResourceList,
    object_id_or_404,
    one_or_404,
)
from security.models import Subnet

# --- IP ranges ---------------------------------------------------------------------------------


class SubnetListApi(ResourceList):
    capabilities = {"GET": SUBNETS_READ, "POST": SUBNETS_READ}
    model, resource = Subnet, "subnet"
    fields, sorts = resources.SUBNET_FIELDS, resources.SUBNET_SORTS
    default_sort = ("name", "asc")

    def present(self, subnet):
        return resources.subnet_data(subnet, self.tenant)


def _subnet_body(request) -> dict:
    if not isinstance(request.data, dict):
        raise BadRequest("The body must be a JSON object.")
    return request.data


class SubnetCreateApi(DataApiView):
    capabilities = {"POST": (C.SETTINGS_MANAGE,)}

    def post(self, request):
        subnet = services.subnet_create(tenant=self.tenant, data=_subnet_body(request))
        return Response(subnet.public_id)  # the new id, as a JSON string


class SubnetDetailApi(DataApiView):
    capabilities = {"GET": SUBNETS_READ, "DELETE": (C.SETTINGS_MANAGE,)}

    def get(self, request, pk: str):
        subnet = one_or_404(Subnet.objects.for_tenant(self.tenant), public_id=object_id_or_404(pk))
        return Response(resources.subnet_data(subnet, self.tenant))

    def delete(self, request, pk: str):
        subnet = one_or_404(Subnet.objects.for_tenant(self.tenant), public_id=object_id_or_404(pk))
        services.subnet_delete(subnet=subnet)
        # 200, not 204: the reference's script treats any other status as a failure.
        return Response({"_id": subnet.public_id, "deleted": True})


class SubnetUpdateApi(DataApiView):
    capabilities = {"POST": (C.SETTINGS_MANAGE,)}

    def post(self, request, pk: str):
        subnet = one_or_404(Subnet.objects.for_tenant(self.tenant), public_id=object_id_or_404(pk))
        subnet = services.subnet_update(subnet=subnet, data=_subnet_body(request))
        return Response(resources.subnet_data(subnet, self.tenant))
