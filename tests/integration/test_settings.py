import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-" + "x7Qp2Lm9" * 8,
    "PORTAL_DOMAIN": "portal.example.com",
    "DATABASE_URL": "",
    "EMAIL_URL": "smtp+tls://portal:s3cret@smtp.example.com",
}


def manage(*args, **env_overrides):
    # Without the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE, which the deploy check rightly flags.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (1 silenced)."


def test_production_without_a_mail_server_fails_the_deployment_checklist():
    env = {**PRODUCTION, "EMAIL_URL": ""}

    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode == 1
    assert "(mail.E001) Your MAILERS setting uses a development-only email backend" in (
        result.stderr
    )


def test_the_mail_server_comes_from_email_url():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.MAILERS)",
        **{
            **PRODUCTION,
            "EMAIL_URL": "smtp+tls://portal:s%40cret@smtp.example.com",
            "EMAIL_TIMEOUT": "7",
        },
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == repr(
        {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {
                    "host": "smtp.example.com",
                    "port": 587,
                    "username": "portal",
                    "password": "s@cret",
                    "use_ssl": False,
                    "use_tls": True,
                    "timeout": 7,
                },
            }
        }
    )


def test_production_without_secret_key_stops_with_a_clear_message():
    env = dict(PRODUCTION)
    del env["SECRET_KEY"]

    result = manage("check", **env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG=0" in result.stderr


def test_a_malformed_boolean_is_named():
    result = manage("check", **{**PRODUCTION, "DEBUG": "maybe"})

    assert result.returncode != 0
    assert "DEBUG must be 1/0, true/false, yes/no or on/off, not 'maybe'" in result.stderr


def test_database_url_selects_the_engine():
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected


@pytest.mark.postgres
def test_the_suite_really_runs_on_postgresql_when_asked(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


def test_pages_carry_csp_and_safe_headers(client, reader):
    client.force_login(reader)

    response = client.get("/settings/security-extensions/api-tokens/")

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert django_settings.SESSION_COOKIE_HTTPONLY
    assert django_settings.CSRF_COOKIE_HTTPONLY


def test_production_trusts_no_tenant_origin_for_another_and_counts_clients_behind_the_proxy():
    script = (
        "from django.conf import settings as s; "
        "print(s.CSRF_TRUSTED_ORIGINS, s.ALLAUTH_TRUSTED_PROXY_COUNT, "
        "s.DATABASES['default']['OPTIONS'].get('connect_timeout'))"
    )

    behind = manage("shell", "--no-imports", "-c", script, **PRODUCTION, BEHIND_TLS_PROXY="1")
    direct = manage("shell", "--no-imports", "-c", script, **PRODUCTION)
    on_postgres = manage(
        "shell",
        "--no-imports",
        "-c",
        script,
        **{**PRODUCTION, "DATABASE_URL": "postgres://u@db:5432/p", "DB_CONNECT_TIMEOUT": "3"},
    )

    assert behind.stdout.strip() == "['https://portal.example.com'] 1 None"
    assert direct.stdout.strip() == "['https://portal.example.com'] 0 None"
    assert on_postgres.stdout.strip() == "['https://portal.example.com'] 0 3"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"ENTRA_AUTHORITY": "http://127.0.0.1:8765"},
            "ENTRA_AUTHORITY must be an https:// address when DEBUG=0",
        ),
        (
            {"ENTRA_CLIENT_ID": "6f1c3a52-0d4e-4b8e-9a57-2d7f4c1e9b30"},
            "ENTRA_CLIENT_ID (or ENTRA_API_APP_ID) is the local fake Entra ID's published",
        ),
    ],
)
def test_production_refuses_the_fake_entra(overrides, message):
    result = manage("check", **{**PRODUCTION, **overrides})

    assert result.returncode == 1
    assert message in result.stderr
