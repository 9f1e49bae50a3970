import os

from django.http import HttpResponse
from django.urls import path
from knox.auth import TokenAuthentication as KnoxAuthentication
from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from accounts.permissions import IsActiveUser, has_capability, request_capabilities
from accounts.roles import Capability
from config.urls import urlpatterns as portal_urlpatterns
from tokens.authentication import ApiTokenAuthentication


class Probe(APIView):
    """The same tiny JSON answer behind each scheme; only authentication differs."""

    renderer_classes = [JSONRenderer]

    def get(self, request):
        return Response({"ok": True})


def probe(authentication, permission):
    return type(
        "Probe",
        (Probe,),
        {"authentication_classes": authentication, "permission_classes": [permission]},
    ).as_view()


class UncountedTokenAuthentication(ApiTokenAuthentication):
    """Ours without the usage counting (tokens/usage.py), to measure what counting costs."""

    count_usage = False


class UncountedCapability(IsActiveUser):
    """The capability check as it was before uses were counted: asked, not counted."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and (
            Capability.INVESTIGATION_READ in request_capabilities(request)
        )


VARIANTS = {
    "floor": probe([], AllowAny),
    "ours": probe([ApiTokenAuthentication], IsActiveUser),
    "ours-uncounted": probe([UncountedTokenAuthentication], IsActiveUser),
    # A token with an allow-list of 50 ranges, the client's the last (tokens/allowlist.py).
    "ours-allowlist": probe([ApiTokenAuthentication], IsActiveUser),
    # A view that asks for a capability: its use is counted (tokens/usage.py); and the same
    # check as it was before uses were counted.
    "ours-capability": probe(
        [ApiTokenAuthentication], has_capability(Capability.INVESTIGATION_READ)
    ),
    "ours-capability-uncounted": probe([ApiTokenAuthentication], UncountedCapability),
    "drf-authtoken": probe([DrfTokenAuthentication], IsAuthenticated),
    "knox": probe([KnoxAuthentication], IsAuthenticated),
    "api-key": probe([], HasAPIKey),
}


def data_floor(request, index: int):
    """The floor of a data API request over HTTP (bench/data_api.py): the same rows of the
    same query fetched raw, their bytes answered. The queries are the benchmark's own,
    written to the file BENCH_FLOOR_QUERIES names."""
    from bench.data_api import floor_bytes, load_queries

    sql, params = load_queries(os.environ["BENCH_FLOOR_QUERIES"])[index]
    return HttpResponse(floor_bytes(sql, params), content_type="application/octet-stream")


# Under /api/ like every API view, so that the same middleware path runs for each.
urlpatterns = [
    *[path(f"api/bench/{name}/", view) for name, view in VARIANTS.items()],
    path("api/bench/data-floor/<int:index>/", data_floor),
    *portal_urlpatterns,
]
