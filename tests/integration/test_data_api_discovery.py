"""Cloud Discovery log upload: upload_url, a PUT of the file to the one-time URL this
product serves, done_upload; the upload is stored (size, SHA-256), listed by the API and in
the admin; streams lists the data sources."""

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from security.models import DataSource, DiscoveryUpload, UploadStatus
from tests.factories import make_user

LOG = b"".join(
    f"Nov 22 10:{i % 60:02d}:00 fw %ASA-6-302013: Built outbound TCP connection {i}\n".encode()
    for i in range(500)
)


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go to a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def firewall(tenant):
    return DataSource.objects.create(
        tenant=tenant, name="Headquarters firewall", log_format="CISCO_ASA"
    )


def begin(client, filename="asa.log", source="CISCO_ASA"):
    return client.get("/api/v1/discovery/upload_url/", {"filename": filename, "source": source})


def put(url: str, body: bytes, **headers):
    """The client's PUT: no Authorization header, as to a signed storage URL."""
    path = url.split("contoso.us2.portal.test", 1)[1]
    return Client().generic(
        "PUT",
        path,
        body,
        content_type="application/octet-stream",
        HTTP_HOST="contoso.us2.portal.test",
        HTTP_X_MS_BLOB_TYPE="BlockBlob",
        **headers,
    )


def test_the_whole_upload_flow(admin_api, media, firewall, tenant):
    started = begin(admin_api)
    url = started.json()["url"]
    stored = put(url, LOG)
    done = admin_api.post(
        "/api/v1/discovery/done_upload/",
        {"uploadUrl": url, "inputStreamName": "Headquarters firewall"},
        format="json",
    )

    assert started.status_code == 200
    assert started.json()["provider"] == "aws"
    assert started["Cache-Control"] == "no-store"
    assert url.startswith("https://contoso.us2.portal.test/api/v1/discovery/upload/")
    assert stored.status_code == 201
    assert stored.json() == {"size": len(LOG), "sha256": hashlib.sha256(LOG).hexdigest()}
    assert done.status_code == 200
    upload = DiscoveryUpload.objects.get()
    assert (upload.tenant, upload.status, upload.size, upload.data_source) == (
        tenant,
        UploadStatus.QUEUED,
        len(LOG),
        firewall,
    )
    assert upload.file.read() == LOG
    assert upload.sha256 == hashlib.sha256(LOG).hexdigest()
    assert upload.requested_by == admin_api.user
    firewall.refresh_from_db()
    assert firewall.last_data_received is not None
    listed = admin_api.get("/api/v1/discovery/uploads/").json()["data"]
    assert [(u["filename"], u["status"], u["size"], u["inputStreamName"]) for u in listed] == [
        ("asa.log", "queued", len(LOG), "Headquarters firewall")
    ]
    streams = admin_api.get("/api/discovery/streams/").json()
    assert [(s["displayName"], s["logType"], s["logFilesHistoryCount"]) for s in streams] == [
        ("Headquarters firewall", 104, 1)
    ]
    # Only the digest of the URL's secret is kept.
    secret = url.rstrip("/").rsplit("/", 1)[1]
    assert secret not in str(DiscoveryUpload.objects.values().get())


def test_the_upload_url_works_once(admin_api, media):
    url = begin(admin_api).json()["url"]
    put(url, LOG)

    again = put(url, b"other")

    assert again.status_code == 404
    assert again.json() == {"detail": "Unknown, used or expired upload URL."}
    assert DiscoveryUpload.objects.get().size == len(LOG)


def test_an_expired_upload_url_is_refused(admin_api, media):
    url = begin(admin_api).json()["url"]
    DiscoveryUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert put(url, LOG).status_code == 404


def test_a_file_over_the_limit_is_a_413_and_nothing_is_kept(admin_api, media, settings):
    settings.DISCOVERY_UPLOAD_MAX_BYTES = 1000
    url = begin(admin_api).json()["url"]

    response = put(url, LOG)

    assert response.status_code == 413
    assert response.json() == {"detail": "The file is larger than the upload limit of 1000 bytes."}
    assert DiscoveryUpload.objects.get().status == UploadStatus.PENDING
    assert not any(p.is_file() for p in media.rglob("*"))
    assert put(url, LOG[:900]).status_code == 201  # the URL still works for a file that fits


def test_a_body_without_a_content_length_is_refused_not_stored_empty(admin_api, media):
    url = begin(admin_api).json()["url"]
    path = url.split("contoso.us2.portal.test", 1)[1]

    response = Client().generic(
        "PUT", path, LOG, HTTP_HOST="contoso.us2.portal.test", CONTENT_LENGTH=""
    )

    assert response.status_code == 411
    assert response.json()["detail"].startswith("Send the log file with its Content-Length")
    assert DiscoveryUpload.objects.get().status == UploadStatus.PENDING
    assert not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.parametrize(
    ("filename", "source", "detail"),
    [
        ("", "CISCO_ASA", "filename: filename is required"),
        ("../../etc/passwd", "CISCO_ASA", "filename: filename is required"),
        ("x" * 256, "CISCO_ASA", "filename: filename is required"),
        ("asa.log", "NOT_A_FIREWALL", "source: source 'NOT_A_FIREWALL' is not a log format"),
        ("asa.log", "", "source: source '' is not a log format"),
    ],
)
def test_bad_upload_requests_are_a_400(admin_api, filename, source, detail):
    response = begin(admin_api, filename, source)

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert not DiscoveryUpload.objects.exists()


def test_done_before_the_file_arrived_is_a_400(admin_api, media, firewall):
    url = begin(admin_api).json()["url"]

    response = admin_api.post(
        "/api/v1/discovery/done_upload/",
        {"uploadUrl": url, "inputStreamName": firewall.name},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "The file has not been uploaded to this URL yet."


def test_done_into_an_unknown_data_source_is_a_400_and_a_snapshot_needs_none(admin_api, media):
    url = begin(admin_api).json()["url"]
    put(url, LOG)

    unknown = admin_api.post(
        "/api/v1/discovery/done_upload/",
        {"uploadUrl": url, "inputStreamName": "Nope"},
        format="json",
    )
    snapshot = admin_api.post(
        "/api/v1/discovery/done_upload/",
        {"uploadUrl": url, "inputStreamName": "November audit", "uploadAsSnapshot": True},
        format="json",
    )

    assert unknown.json()["detail"] == "inputStreamName: No data source is named 'Nope'."
    assert snapshot.status_code == 200
    assert snapshot.json()["upload"]["uploadAsSnapshot"] is True
    assert DiscoveryUpload.objects.get().status == UploadStatus.QUEUED


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({}, 400, "uploadUrl is required"),
        (
            {"uploadUrl": "https://elsewhere/x/y"},
            404,
            "No upload of this tenant has that uploadUrl.",
        ),
        ({"uploadUrl": 5}, 400, "uploadUrl is required"),
    ],
)
def test_bad_done_requests(admin_api, body, status, detail):
    response = admin_api.post("/api/v1/discovery/done_upload/", body, format="json")

    assert response.status_code == status
    assert response.json()["detail"].startswith(detail)


def test_another_tenants_upload_url_is_not_found(admin_api, media, other_tenant):
    outsider = make_user(other_tenant, Role.GLOBAL_ADMIN)
    from tests.factories import make_token

    _, value = make_token(outsider)
    theirs = (
        Client(HTTP_AUTHORIZATION=f"Token {value}")
        .get("/api/v1/discovery/upload_url/", {"filename": "a.log", "source": "SQUID"})
        .json()["url"]
    )
    put_path = theirs.split("testserver", 1)[1]
    Client().generic("PUT", put_path, LOG, content_type="application/octet-stream")

    response = admin_api.post(
        "/api/v1/discovery/done_upload/",
        {"uploadUrl": theirs, "inputStreamName": "x", "uploadAsSnapshot": True},
        format="json",
    )

    assert response.status_code == 404
    assert DiscoveryUpload.objects.get().status == UploadStatus.RECEIVED


@pytest.mark.parametrize("role", [Role.SECURITY_READER, Role.SECURITY_OPERATOR])
def test_uploading_needs_discovery_manage(token_client, role):
    client = token_client(role)

    response = begin(client)

    assert response.status_code == 403
    assert response.json() == {"detail": "This requires the Discovery.manage permission."}
    assert client.get("/api/discovery/streams/").status_code == 200  # Discovery.read


def test_the_admin_lists_uploads_with_their_status(admin_api, media, db):
    url = begin(admin_api).json()["url"]
    put(url, LOG)
    staff = make_user(None, username="ops", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)

    page = client.get("/admin/security/discoveryupload/").content.decode()

    assert "asa.log" in page
    assert "File received" in page


def test_an_upload_urls_secret_never_reaches_the_logs(admin_api, media, settings, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    settings.DISCOVERY_UPLOAD_MAX_BYTES = 10
    url = begin(admin_api).json()["url"]
    secret = url.rstrip("/").rsplit("/", 1)[1]

    refused = put(url, LOG)  # a 413, which Django logs with the request's path

    assert refused.status_code == 413
    assert "/discovery/upload/<redacted>/" in caplog.text
    assert secret not in caplog.text
