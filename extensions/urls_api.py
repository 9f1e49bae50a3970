from django.urls import re_path

from extensions.api import SiemFeedApi

urlpatterns = [re_path(r"^siem/events/?$", SiemFeedApi.as_view(), name="siem-events")]
