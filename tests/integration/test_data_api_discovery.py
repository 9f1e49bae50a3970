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


# --- discovered apps: categories and block scripts --------------------------------------------


@pytest.fixture
def discovered(tenant, firewall):
    from security.models import DiscoveredApp

    now = timezone.now()
    apps = [
        (1, "Dropbox", "SAASDB_CATEGORY_CLOUD_STORAGE", ["dropbox.com"], "", 2),
        (2, "MEGA", "SAASDB_CATEGORY_CLOUD_STORAGE", ["mega.nz", "mega.io"], "unsanctioned", 40),
        (3, "WeTransfer", "SAASDB_CATEGORY_CONTENT_SHARING", ["wetransfer.com"], "unsanctioned", 1),
        (4, "Figma", "SAASDB_CATEGORY_PRODUCT_DESIGN", ["figma.com"], "sanctioned", 3),
        (5, "Canva", "SAASDB_CATEGORY_PRODUCT_DESIGN", ["canva.com"], "", 5),
    ]
    for app_id, name, category, domains, sanction, days_ago in apps:
        DiscoveredApp.objects.create(
            tenant=tenant,
            data_source=firewall,
            app_id=app_id,
            name=name,
            category=category,
            domains=domains,
            sanction=sanction,
            last_seen=now - timedelta(days=days_ago),
        )
    return firewall


def test_categories_count_a_streams_apps_as_a_bare_array(admin_api, discovered):
    import json

    from tests.integration.test_data_api_contract import sample

    request = sample("discovery-categories-request.json") | {
        "streamId": discovered.public_id,
        "skip": 0,
    }
    by_post = admin_api.post(
        "/api/v1/discovery/discovered_apps/categories/", request, format="json"
    )
    by_get = admin_api.generic(
        "GET",
        "/api/v1/discovery/discovered_apps/categories/",
        json.dumps({"streamId": discovered.public_id}),
        content_type="application/json",
    )
    recent = admin_api.get(
        "/api/v1/discovery/discovered_apps/categories/",
        {"streamId": discovered.public_id, "timeFrame": "7", "sortDirection": "asc"},
    )
    narrowed = admin_api.post(
        "/api/v1/discovery/discovered_apps/categories/",
        {
            "streamId": discovered.public_id,
            "filters": {"category": {"neq": ["SAASDB_CATEGORY_CLOUD_STORAGE"]}},
        },
        format="json",
    )

    expected = [
        {"id": "SAASDB_CATEGORY_PRODUCT_DESIGN", "total": 2},
        {"id": "SAASDB_CATEGORY_CLOUD_STORAGE", "total": 2},
        {"id": "SAASDB_CATEGORY_CONTENT_SHARING", "total": 1},
    ]
    assert by_post.json() == by_get.json() == expected
    assert [set(row) for row in by_post.json()] == [
        set(sample("discovery-categories-response.json")[0])
    ] * 3
    assert recent.json() == [
        {"id": "SAASDB_CATEGORY_CLOUD_STORAGE", "total": 1},
        {"id": "SAASDB_CATEGORY_CONTENT_SHARING", "total": 1},
        {"id": "SAASDB_CATEGORY_PRODUCT_DESIGN", "total": 2},
    ]
    assert narrowed.json() == [
        {"id": "SAASDB_CATEGORY_PRODUCT_DESIGN", "total": 2},
        {"id": "SAASDB_CATEGORY_CONTENT_SHARING", "total": 1},
    ]


@pytest.mark.parametrize(
    ("query", "status", "detail"),
    [
        ({}, 400, "streamId is required"),
        ({"streamId": "0123456789abcdef01234567"}, 404, "No data source of this tenant"),
        ({"streamId": "{source}", "timeFrame": "0"}, 400, "timeFrame must be a number of days"),
        ({"streamId": "{source}", "timeFrame": "soon"}, 400, "timeFrame must be a whole number"),
        ({"streamId": "{source}", "filters": '{"app": {"eq": [1]}}'}, 400, "Unknown filter field"),
        ({"streamId": "{source}", "sortField": "name"}, 400, "sortField must be score"),
    ],
)
def test_bad_category_requests(admin_api, discovered, query, status, detail):
    query = {k: v.replace("{source}", discovered.public_id) for k, v in query.items()}

    response = admin_api.get("/api/v1/discovery/discovered_apps/categories/", query)

    assert response.status_code == status
    assert response.json()["detail"].startswith(detail)


@pytest.mark.parametrize(
    ("format_id", "script"),
    [
        (120, ".mega.io\n.mega.nz\n.wetransfer.com\n"),
        (112, "mega.io\n*.mega.io\nmega.nz\n*.mega.nz\nwetransfer.com\n*.wetransfer.com\n"),
        (
            102,
            "<Proxy>\nurl.domain=mega.io deny\nurl.domain=mega.nz deny\n"
            "url.domain=wetransfer.com deny\n",
        ),
        (135, "http://mega.io/\nhttp://mega.nz/\nhttp://wetransfer.com/\n"),
    ],
)
def test_block_scripts_block_the_unsanctioned_apps(admin_api, discovered, format_id, script):
    response = admin_api.get(
        "/api/discovery_block_scripts/", {"format": format_id, "type": "banned"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == script


def test_every_block_script_format_names_each_domain(admin_api, discovered):
    from security.enumerations import BLOCK_SCRIPT_FORMATS

    for format_id in BLOCK_SCRIPT_FORMATS:
        text = admin_api.get("/cas/api/discovery_block_scripts/", {"format": format_id}).content
        for domain in (b"mega.io", b"mega.nz", b"wetransfer.com"):
            # Cisco ASA's rules are regular expressions: their dots are escaped.
            assert domain in text or domain.replace(b".", b"\\.") in text, (format_id, domain)
        assert b"dropbox.com" not in text
        assert b"figma.com" not in text


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ({}, "format must be one of 102 BlueCoat ProxySG"),
        ({"format": "999"}, "format must be one of"),
        ({"format": "١٢٠"}, "format must be one of"),
        ({"format": "120", "type": "allowed"}, "type must be banned"),
    ],
)
def test_bad_block_script_requests_are_a_400(admin_api, query, detail):
    response = admin_api.get("/api/discovery_block_scripts/", query)

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path", ["/api/nope", "/api/v1/nope/", "/cas/api/v1/alerts/x/y/z/", "/api/v2/alerts/"]
)
def test_every_unknown_api_path_is_a_json_404(admin_api, settings, debug, path):
    settings.DEBUG = debug

    response = admin_api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not Found"} or "detail" in response.json()
