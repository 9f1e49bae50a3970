"""The data API's routes, mounted under /api/v1/ and /cas/api/v1/ (config/urls.py). Every
route answers with and without its trailing slash: the reference's own examples use both."""

from django.urls import re_path

from security import api

ID = r"(?P<pk>[^/]+)"


def route(pattern: str, view, name: str):
    return re_path(rf"^{pattern}/?$", view, name=name)


def close(kind: str):
    return api.AlertCloseApi.as_view(kind=kind)


urlpatterns = [
    route("alerts", api.AlertListApi.as_view(), "alerts"),
    route("alerts/close_benign", close("benign"), "alerts-close-benign"),
    route("alerts/close_false_positive", close("false_positive"), "alerts-close-false-positive"),
    route("alerts/close_true_positive", close("true_positive"), "alerts-close-true-positive"),
    # Deprecated, still accepted and routed to their replacements (reference 4.1).
    route("alerts/dismiss_bulk", close("false_positive"), "alerts-dismiss-bulk"),
    route("alerts/resolve", close("true_positive"), "alerts-resolve"),
    route(f"alerts/{ID}/dismiss", close("false_positive"), "alert-dismiss"),
    route(f"alerts/{ID}/read", api.AlertMarkApi.as_view(read=True), "alert-read"),
    route(f"alerts/{ID}/unread", api.AlertMarkApi.as_view(read=False), "alert-unread"),
    route(f"alerts/{ID}", api.AlertDetailApi.as_view(), "alert"),
    route("activities", api.ActivityListApi.as_view(), "activities"),
    route(f"activities/{ID}/feedback", api.ActivityFeedbackApi.as_view(), "activity-feedback"),
    route(f"activities/{ID}", api.ActivityDetailApi.as_view(), "activity"),
    route("entities", api.EntityListApi.as_view(), "entities"),
    route(f"entities/{ID}/retrieve_tree", api.EntityTreeApi.as_view(), "entity-tree"),
    route(f"entities/{ID}", api.EntityDetailApi.as_view(), "entity"),
    route("files", api.FileListApi.as_view(), "files"),
    route(f"files/{ID}", api.FileDetailApi.as_view(), "file"),
    route("subnet", api.SubnetListApi.as_view(), "subnets"),
    route("subnet/create_rule", api.SubnetCreateApi.as_view(), "subnet-create"),
    route(f"subnet/{ID}/update_rule", api.SubnetUpdateApi.as_view(), "subnet-update"),
    route(f"subnet/{ID}", api.SubnetDetailApi.as_view(), "subnet"),
    route("discovery/upload_url", api.DiscoveryUploadUrlApi.as_view(), "discovery-upload-url"),
    route(
        r"discovery/upload/(?P<secret>[A-Za-z0-9_-]{20,64})",
        api.discovery_upload_put,
        "discovery-upload",
    ),
    route("discovery/done_upload", api.DiscoveryDoneUploadApi.as_view(), "discovery-done-upload"),
    route("discovery/uploads", api.DiscoveryUploadListApi.as_view(), "discovery-uploads"),
    route(
        "discovery/discovered_apps/categories",
        api.DiscoveryCategoriesApi.as_view(),
        "discovery-categories",
    ),
]

# Paths the reference gives without the v1 segment (/api/discovery/streams/, /api/subnet/).
unversioned = [
    route("discovery/streams", api.DiscoveryStreamsApi.as_view(), "discovery-streams"),
    route("subnet", api.SubnetListApi.as_view(), "subnets-unversioned"),
    route("discovery_block_scripts", api.DiscoveryBlockScriptApi.as_view(), "block-scripts"),
]
