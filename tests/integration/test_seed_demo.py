from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Tenant, User
from accounts.roles import Role
from tokens.models import ApiToken


def test_seed_demo_is_idempotent_and_covers_every_role_and_status(db, capsys):
    call_command("seed_demo", force=True)
    first_out = capsys.readouterr().out
    counts = (Tenant.objects.count(), User.objects.count(), ApiToken.objects.count())
    call_command("seed_demo", force=True)

    assert (Tenant.objects.count(), User.objects.count(), ApiToken.objects.count()) == counts
    contoso = Tenant.objects.get(slug="contoso")
    assert (contoso.name, contoso.region) == ("Contoso", "us2")
    assert set(User.objects.filter(tenant=contoso).values_list("role", flat=True)) == set(Role)
    statuses = set(ApiToken.objects.with_status().values_list("status", flat=True))
    assert statuses == {"generated", "active", "inactive", "expired"}
    owners = ApiToken.objects.values("user").distinct().count()
    assert owners >= 4
    assert User.objects.filter(deprovisioned_at__isnull=False).count() == 1
    assert "https://contoso.us2.portal.test" in first_out
    assert "admin@contoso.com          demo-Admin-2026!" in first_out
    admin = User.objects.get(username="admin@contoso.com")
    assert admin.check_password("demo-Admin-2026!")


def test_seed_demo_refuses_a_production_database_unless_forced(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="with DEBUG=0 pass --force"):
        call_command("seed_demo")
    assert User.objects.count() == 0


def test_seed_demo_fills_contoso_with_varied_security_data(db):
    from security.models import Activity, Alert, DataSource, Entity, File, Subnet

    # Taken before seeding: every event seeded "in the last day" is after it, however long
    # the seeding takes (the suite on every core).
    last_day = timezone.now() - timedelta(days=1)
    call_command("seed_demo", force=True)
    call_command("seed_demo", force=True)

    closed = Alert.objects.exclude(resolution_status=0).count()
    # 3,000 of the apps' events; the controls': 12 blocked downloads, 20 office sign-ins, 3
    # reads of another's mailbox, and this product's record of each alert closed.
    assert Activity.objects.count() == 3000 + 12 + 20 + 3 + closed
    assert Activity.objects.filter(source=1, taken_action="block").count() == 12
    assert Activity.objects.filter(ip_category=1).count() == 20
    assert Activity.objects.filter(impersonated=True).count() == 3
    assert Activity.objects.filter(service=20595).count() == closed > 0
    # Exchange Online in the last day: three scan pages of 500.
    assert Activity.objects.filter(service=20893, timestamp__gte=last_day).count() >= 1500
    assert Alert.objects.count() == 48
    severity_status = set(Alert.objects.values_list("severity", "resolution_status"))
    assert {severity for severity, _ in severity_status} == {0, 1, 2, 3}
    assert {status for _, status in severity_status} == {0, 3, 4, 5}
    assert all(Alert.objects.filter(severity=severity).count() >= 10 for severity in (0, 1, 2, 3))
    # OneDrive, SharePoint and Exchange Online events, Entra ID sign-ins (Microsoft Azure),
    # and this product's own (Microsoft Cloud App Security).
    assert set(Activity.objects.values_list("service", flat=True)) == {
        15600,
        20892,
        20893,
        12260,
        20595,
    }
    assert Activity.objects.exclude(user_name=None).values("user_name").distinct().count() == 7
    # A user entity per person (type 2, with three accounts each) and two applications'.
    assert Entity.objects.filter(type=2, parent=None).count() == 7
    assert Entity.objects.filter(type=1, parent=None).count() == 2
    assert Entity.objects.exclude(parent=None).count() == 21
    assert File.objects.count() == 60
    assert Subnet.objects.count() == 6
    assert DataSource.objects.count() == 2
    # Each person's activities point at their user entity.
    activity = Activity.objects.select_related("entity").exclude(user_name=None).first()
    assert activity.entity.email == activity.user_name
    from extensions.models import LogCollector, SiemAgent

    assert list(SiemAgent.objects.values_list("name", flat=True)) == ["Contoso Sentinel"]
    assert LogCollector.objects.get().data_sources.count() == 2
    # Demo people have Entra object ids that the fake Entra's accounts use; the service
    # account, which never signs in, has none.
    assert list(
        User.objects.filter(tenant__slug="contoso", entra_object_id__isnull=True).values_list(
            "username", "is_service_account"
        )
    ) == [("soar-playbooks", True)]


def test_the_demo_tokens_usage_agrees_with_their_last_use(db):
    """Each used demo token shows requests up to its last use, none after, and the address
    it was last used from; a never-used one shows nothing."""
    from tokens.usage import usage_of

    call_command("seed_demo", force=True)

    for token in ApiToken.objects.filter(kind="api").select_related("user"):
        usage = usage_of(token)
        days = {day["day"]: day["count"] for day in usage["requests_per_day"]}
        if token.last_used_at is None:
            assert (sum(days.values()), usage["recent_ips"]) == (0, []), token.name
            continue
        last_day = token.last_used_at.date().isoformat()
        assert all(count == 0 for day, count in days.items() if day > last_day), token.name
        if last_day in days:  # used within the chart's 30 days
            assert days[last_day] > 0, token.name
        assert usage["last_used_ip"] == usage["recent_ips"][0]["ip"], token.name
    sentinel = ApiToken.objects.get(name="Sentinel connector")
    assert sum(d["count"] for d in usage_of(sentinel)["requests_per_day"]) >= 29 * 1440
    board = ApiToken.objects.get(name="Board dashboard")
    assert (board.created_by.username, board.user.username) == (
        "platform-admin",
        "globalreader@contoso.com",
    )
