from django.urls import path

from extensions import views

app_name = "extensions"

SIEM = "security-extensions/siem-agents/"
AGENT = SIEM + "<int:agent_id>/"
COLLECTORS = "cloud-discovery/log-collectors/"
COLLECTOR = COLLECTORS + "<int:collector_id>/"

urlpatterns = [
    path(SIEM, views.siem_agents, name="siem-agents"),
    path(f"{SIEM}new/", views.siem_agent_new, name="siem-agent-new"),
    path(f"{AGENT}edit/", views.siem_agent_edit, name="siem-agent-edit"),
    path(f"{AGENT}regenerate/", views.siem_agent_regenerate, name="siem-agent-regenerate"),
    path(f"{AGENT}delete/", views.siem_agent_delete, name="siem-agent-delete"),
    path(COLLECTORS, views.log_collectors, name="log-collectors"),
    path(f"{COLLECTORS}new/", views.log_collector_new, name="log-collector-new"),
    path(f"{COLLECTOR}edit/", views.log_collector_edit, name="log-collector-edit"),
    path(
        f"{COLLECTOR}regenerate/", views.log_collector_regenerate, name="log-collector-regenerate"
    ),
    path(f"{COLLECTOR}delete/", views.log_collector_delete, name="log-collector-delete"),
    path(f"{COLLECTORS}data-sources/new/", views.data_source_new, name="data-source-new"),
    path(
        f"{COLLECTORS}data-sources/<int:source_id>/delete/",
        views.data_source_delete,
        name="data-source-delete",
    ),
]
