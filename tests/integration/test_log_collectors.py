"""Log collectors: a `log_collector` token uploads logs into its own collector's data sources
through the data API's upload flow, and can do nothing else."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.roles import Role
from extensions.models import LogCollector
from extensions.services import (
    data_source_create,
    log_collector_create,
    log_collector_delete,
    log_collector_regenerate,
)
from security.models import DataSource, DiscoveryUpload, UploadStatus
from tests.pages import once

LOG = (
    b"1700000000.000 10.0.0.5 TCP_MISS/200 5120 GET https://app.example.com/ - DIRECT/1.2.3.4\n"
    * 40
)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def sources(tenant):
    return {
        "proxy": data_source_create(
            tenant=tenant, name="Proxy", log_format="SQUID", receiver_type="ftp"
        ),
        "firewall": data_source_create(
            tenant=tenant, name="Firewall", log_format="CISCO_ASA", receiver_type="syslog"
        ),
    }


@pytest.fixture
def collector(admin_user, sources):
    collector, value = log_collector_create(
        user=admin_user, name="Branch office", data_sources=[sources["proxy"]]
    )
    client = APIClient(HTTP_AUTHORIZATION=f"Token {value}", HTTP_HOST="contoso.us2.portal.test")
    client.collector = collector
    return client


def upload(client, source="SQUID", stream="Proxy", body=LOG, snapshot=False):
    """The three steps, as a collector runs them; the answers of each."""
    begin = client.get(
        "/api/v1/discovery/upload_url/", {"filename": "access.log", "source": source}
    )
    if begin.status_code != 200:
        return begin, None, None
    url = begin.json()["url"]
    put = Client().generic(
        "PUT",
        url.split("portal.test", 1)[1],
        body,
        content_type="application/octet-stream",
        HTTP_HOST="contoso.us2.portal.test",
    )
    done = client.post(
        "/api/v1/discovery/done_upload/",
        {"uploadUrl": url, "inputStreamName": stream, "uploadAsSnapshot": snapshot},
        format="json",
    )
    return begin, put, done


def test_a_collector_uploads_into_its_own_data_source(collector, media, sources):
    begin, put, done = upload(collector)

    assert (begin.status_code, put.status_code, done.status_code) == (200, 201, 200)
    stored = DiscoveryUpload.objects.get()
    assert (stored.status, stored.data_source, stored.collector, stored.size) == (
        UploadStatus.QUEUED,
        sources["proxy"],
        collector.collector,
        len(LOG),
    )
    collector.collector.refresh_from_db()
    assert (collector.collector.files_received, collector.collector.bytes_received) == (1, len(LOG))
    assert collector.collector.last_upload_at is not None


def test_a_collector_cannot_ask_for_another_format(collector, media):
    begin, _, _ = upload(collector, source="CISCO_ASA")

    assert begin.status_code == 403
    assert begin.json() == {
        "detail": "This log collector's data sources take SQUID, not 'CISCO_ASA'."
    }
    assert not DiscoveryUpload.objects.exists()


@pytest.mark.parametrize(
    ("stream", "snapshot"), [("Firewall", False), ("Elsewhere", False), ("Proxy", True)]
)
def test_a_collector_uploads_only_into_its_own_data_sources(collector, media, stream, snapshot):
    _, put, done = upload(collector, stream=stream, snapshot=snapshot)

    assert put.status_code == 201
    assert done.status_code == 403
    assert done.json() == {
        "detail": "A log collector uploads only into its own data sources: Proxy."
    }
    assert DiscoveryUpload.objects.get().status == UploadStatus.RECEIVED


def test_a_collector_cannot_finish_anothers_upload(
    collector, admin_user, sources, media, admin_api
):
    url = admin_api.get(
        "/api/v1/discovery/upload_url/", {"filename": "a.log", "source": "SQUID"}
    ).json()["url"]
    Client().generic(
        "PUT",
        url.split("portal.test", 1)[1],
        LOG,
        content_type="text/plain",
        HTTP_HOST="contoso.us2.portal.test",
    )

    done = collector.post(
        "/api/v1/discovery/done_upload/",
        {"uploadUrl": url, "inputStreamName": "Proxy"},
        format="json",
    )

    assert done.status_code == 404


def test_a_collector_token_can_do_nothing_else(collector):
    for path in [
        "/api/v1/alerts/",
        "/api/discovery/streams/",
        "/api/v1/discovery/uploads/",
        "/api/v1/me/",
        "/api/v1/siem/events/",
    ]:
        response = collector.get(path)
        assert response.status_code == 403, path


def test_regenerate_and_delete_stop_the_token(collector, admin_user, media):
    value = log_collector_regenerate(collector=collector.collector, by=admin_user)
    fresh = APIClient(HTTP_AUTHORIZATION=f"Token {value}", HTTP_HOST="contoso.us2.portal.test")

    assert upload(collector)[0].status_code == 401
    assert upload(fresh)[2].status_code == 200

    log_collector_delete(collector=LogCollector.objects.get(), by=admin_user)
    assert upload(fresh)[0].status_code == 401


# --- the pages -------------------------------------------------------------------------------

PAGE = "/settings/cloud-discovery/log-collectors/"
HOST = "contoso.us2.portal.test"


def test_adding_a_data_source_and_a_collector_shows_its_token_once(client, admin_user, media):
    client.force_login(admin_user)

    client.post(
        f"{PAGE}data-sources/new/",
        {"name": "Proxy", "log_format": "SQUID", "receiver_type": "ftp"},
        HTTP_HOST=HOST,
    )
    source = DataSource.objects.get(tenant=admin_user.tenant, name="Proxy")
    shown = client.post(
        f"{PAGE}new/", once({"name": "Branch", "data_sources": [source.pk]}), HTTP_HOST=HOST
    )
    listed = client.get(PAGE, HTTP_HOST=HOST)

    value = shown.context["value"]
    assert value.startswith("mdalog")
    assert value in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert value not in listed.content.decode()
    assert f"…{value[-4:]}" in listed.content.decode()
    assert "Branch" in listed.content.decode()
    assert "SQUID" in listed.content.decode()


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"name": "", "data_sources": []}, "Enter a name of 1 to 80 characters."),
        ({"name": "Branch\u202e", "data_sources": []}, "Enter a name of 1 to 80 characters."),
        ({"name": "Branch"}, "Choose at least one data source."),
    ],
)
def test_collector_form_errors_are_shown_beside_the_fields(
    client, admin_user, sources, form, error
):
    client.force_login(admin_user)

    response = client.post(f"{PAGE}new/", once(form), HTTP_HOST=HOST)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not LogCollector.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.DISCOVERY_ADMIN, 200),
        (Role.GLOBAL_ADMIN, 200),
        (Role.SECURITY_OPERATOR, 403),
        (Role.SECURITY_READER, 403),
    ],
)
def test_only_discovery_managers_have_the_page(client, tenant, role, status):
    from tests.factories import make_user

    client.force_login(make_user(tenant, role))

    assert client.get(PAGE, HTTP_HOST=HOST).status_code == status
    assert client.post(f"{PAGE}new/", {"name": "x"}, HTTP_HOST=HOST).status_code == status
