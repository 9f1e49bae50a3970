"""Files: list and fetch."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from security import listing, records
from security.api.base import (
    INVESTIGATION_READ,
    RECORD,
    DataApiView,
    ResourceList,
    one_or_404,
    record_id_or_404,
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
        # By its `_id`, or by its `id` in the app (`<site>|<item>`), as the list shows both.
        key = record_id_or_404(pk, max_length=200)
        files = File.objects.for_tenant(self.tenant).select_related("owner")
        file = files.filter(public_id=key).first() if len(key) == 24 else None
        return Response(records.file_data(file or one_or_404(files.order_by("id"), file_id=key)))

    post = get
