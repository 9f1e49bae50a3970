from django.urls import path

from extensions import views

app_name = "extensions"

SIEM = "security-extensions/siem-agents/"
COLLECTORS = "cloud-discovery/log-collectors/"

urlpatterns = [
    path(SIEM, views.siem_agents, name="siem-agents"),
    path(f"{SIEM}new/", views.siem_agent_new, name="siem-agent-new"),
    path(f"{SIEM}<int:agent_id>/edit/", views.siem_agent_edit, name="siem-agent-edit"),
    path(f"{SIEM}<int:agent_id>/regenerate/", views.siem_agent_regenerate, name="siem-agent-regenerate"),
    path(f"{SIEM}<int:agent_id>/delete/", views.siem_agent_delete, name="siem-agent-delete"),
    path(COLLECTORS, views.log_collectors, name="log-collectors"),
    path(f"{COLLECTORS}new/", views.log_collector_new, name="log-collector-new"),
    path(f"{COLLECTORS}<int:collector_id>/edit/", views.log_collector_edit, name="log-collector-edit"),
    path(f"{COLLECTORS}<int:collector_id>/regenerate/", views.log_collector_regenerate, name="log-collector-regenerate"),
    path(f"{COLLECTORS}<int:collector_id>/delete/", views.log_collector_delete, name="log-collector-delete"),
    path(f"{COLLECTORS}data-sources/new/", views.data_source_new, name="data-source-new"),
    path(f"{COLLECTORS}data-sources/<int:source_id>/delete/", views.data_source_delete, name="data-source-delete"),
]  # fmt: skip
