"""Files: list and fetch."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from security import listing, records
from security.api.base import (
    INVESTIGATION_READ,
    RECORD,
    DataApiView,
    ResourceList,
    object_id_or_404,
    one_or_404,
)
from security.models import File


class FileListApi(ResourceList):
    capabilities = {"GET": INVESTIGATION_READ, "POST": INVESTIGATION_READ}
    model, resource = File, "files"
    fields, sorts = listing.FILE_FIELDS, listing.FILE_SORTS
    default_sort = ("modifiedDate", "desc")

    def base_queryset(self):
        return super().base_queryset().select_related("owner")

    def narrowed(self, list_request):
        queryset = super().narrowed(list_request)
        allow = list_request.filters.get("allowDeleted", {}).get("eq") is True
        return queryset if allow else queryset.filter(deleted=False)

    def present(self, file):
        return records.file_data(file)


class FileDetailApi(DataApiView):
    capabilities = {"GET": INVESTIGATION_READ, "POST": INVESTIGATION_READ}

    @extend_schema(request=None, responses={200: RECORD})
    def get(self, request, pk: str):
        file = one_or_404(
            File.objects.for_tenant(self.tenant).select_related("owner"),
            public_id=object_id_or_404(pk),
        )
        return Response(records.file_data(file))

    post = get
