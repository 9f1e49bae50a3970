import uuid
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Tenant, User, generic_portal_url
from accounts.roles import Role
from accounts.service_accounts import service_account_create
from accounts.services import tenant_save, user_deprovision, user_save
from core.http import route_url
from demo import data as security_demo
from extensions.models import LogCollector, SiemAgent
from extensions.services import log_collector_create, siem_agent_create
from security.models import Alert, DataSource
from tokens.models import ApiToken, Kind
from tokens.services import token_generate
from tokens.usage import capability_history_add, usage_history_add

# username, first name, last name, role, demo password
DEMO_USERS = [
    ("admin@contoso.com", "Megan", "Bowen", Role.GLOBAL_ADMIN, "demo-Admin-2026!"),
    ("operator@contoso.com", "Alex", "Wilber", Role.SECURITY_OPERATOR, "demo-Operator-2026!"),
    ("compliance@contoso.com", "Adele", "Vance", Role.COMPLIANCE_ADMIN, "demo-Compliance-2026!"),
    ("reader@contoso.com", "Lidia", "Holloway", Role.SECURITY_READER, "demo-Reader-2026!"),
    ("globalreader@contoso.com", "Grady", "Archie", Role.GLOBAL_READER, "demo-GlobalReader-2026!"),
    ("discovery@contoso.com", "Isaiah", "Langer", Role.DISCOVERY_ADMIN, "demo-Discovery-2026!"),
    ("former@contoso.com", "Pradeep", "Gupta", Role.SECURITY_OPERATOR, "demo-Former-2026!"),
]
PLATFORM_ADMIN = ("platform-admin", "demo-Platform-2026!")

# Contoso's Entra directory, as the local fake Entra (manage.py fake_entra) serves it: each demo
# user has an object id there, and the app role that maps to their portal role.
DEMO_ENTRA_TENANT_ID = uuid.UUID("7d3c9a1e-4b2f-4c8d-9e6a-5f1b0c2d3e4f")


def demo_object_id(username: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_ENTRA_TENANT_ID, username)


# owner, token name, generated this long ago, last used this long ago (None: never used),
# expires in (None: never; negative: expired), requests a day while in use, description.
# Two expire soon: make run's worker e-mails their owners a reminder (7 days, 1 day
# before) on the console within a minute of starting. One of each status: Active (used in
# the past week), Inactive, Generated (never used), Expired; a deprovisioned owner's.
DEMO_TOKENS = [
    (
        "admin@contoso.com",
        "Sentinel connector",
        timedelta(days=120),
        timedelta(hours=2),
        None,
        1440,
        "Microsoft Sentinel's data connector pulls alerts and activities every minute.",
    ),
    (
        "admin@contoso.com",
        "Quarterly audit export",
        timedelta(days=200),
        timedelta(days=45),
        timedelta(days=165),
        3,
        "The audit team's export, run at the end of each quarter.",
    ),
    ("operator@contoso.com", "SOAR playbook", timedelta(days=3), None, timedelta(days=87), 0, ""),
    (
        "operator@contoso.com",
        "Incident triage script",
        timedelta(days=60),
        timedelta(days=1),
        timedelta(hours=20),
        40,
        "Closes benign alerts after triage.",
    ),
    (
        "reader@contoso.com",
        "Weekly report",
        timedelta(days=90),
        timedelta(days=9),
        timedelta(days=5),
        12,
        "",
    ),
    (
        "reader@contoso.com",
        "Old importer",
        timedelta(days=400),
        timedelta(days=40),
        -timedelta(days=35),
        200,
        "Replaced by the Sentinel connector.",
    ),
    ("compliance@contoso.com", "DLP review", timedelta(hours=5), None, timedelta(days=30), 0, ""),
    (
        "former@contoso.com",
        "Legacy SIEM pull",
        timedelta(days=300),
        timedelta(days=20),
        None,
        96,
        "",
    ),
]

# Where the demo tokens were used from (documentation addresses, RFC 5737), and how.
DEMO_ADDRESSES = ["203.0.113.10", "203.0.113.24", "198.51.100.7"]
SENTINEL_ADDRESSES = ["203.0.113.0/24", "198.51.100.7"]
DEMO_USER_AGENT = "python-requests/2.32"


class Command(BaseCommand):
    help = "Creates the demo tenant Contoso with a user of each role and tokens of each status."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG=0 (demo passwords are public).",
        )

    @transaction.atomic
    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo makes users with published passwords; with DEBUG=0 pass --force."
            )
        # Every write goes through the services, as the admin's and the API's do; each step
        # leaves what an earlier run made as it is.
        tenant = _tenant()
        users = {person[0]: _user(tenant, *person) for person in DEMO_USERS}
        if not User.objects.filter(tenant=None, username=PLATFORM_ADMIN[0]).exists():
            staff = User(username=PLATFORM_ADMIN[0], is_staff=True, is_superuser=True)
            user_save(user=staff, password=PLATFORM_ADMIN[1])
        _tokens(users)
        if not Alert.objects.for_tenant(tenant).exists():
            security_demo.seed(tenant, [username for username, *_ in DEMO_USERS])
        _extensions(tenant, users["admin@contoso.com"])
        _service_account(tenant, users)
        user_deprovision(user=users["former@contoso.com"])
        self._report(tenant)

    def _report(self, tenant: Tenant) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS("Demo tenant ready: Contoso"))
        out.write(f"  Generic portal URL: {generic_portal_url()}")
        out.write(f"  Contoso's own URL:  {tenant.custom_url}")
        out.write("  Sign in as (username / password):")
        for username, _, _, role, password in DEMO_USERS:
            note = " (deprovisioned)" if username.startswith("former") else ""
            out.write(f"    {username:<26} {password:<24} {role.label}{note}")
        out.write(
            f"    {PLATFORM_ADMIN[0]:<26} {PLATFORM_ADMIN[1]:<24} Django admin only (/admin/)"
        )
        if tenant.entra_tenant_id == DEMO_ENTRA_TENANT_ID:
            out.write(
                "  Or 'Sign in with Microsoft': make run starts a local fake Entra ID for it."
            )
        out.write(
            "  Expiry reminders and dormant tokens: make run's worker (manage.py db_worker) "
            "e-mails here, on the console."
        )
        out.write(
            "  Generate an API token on the portal, then: curl -H 'Authorization: Token <value>' "
            + route_url(tenant.custom_url, "api:me")
        )


def _tenant() -> Tenant:
    tenant = Tenant.objects.filter(slug="contoso").first()
    if tenant is None:
        tenant = Tenant(name="Contoso", slug="contoso", region="us2")
    if tenant.entra_tenant_id is None:  # new, or seeded before Entra sign-in existed
        tenant.entra_tenant_id = DEMO_ENTRA_TENANT_ID
        tenant = tenant_save(tenant=tenant)
    return tenant


def _user(tenant: Tenant, username: str, first: str, last: str, role: str, password: str) -> User:
    user = User.objects.in_tenant(tenant.pk).filter(username=username).first()
    if user is None:
        user = User(
            tenant=tenant,
            username=username,
            role=role,
            first_name=first,
            last_name=last,
            email=username,
            entra_object_id=demo_object_id(username),
        )
        return user_save(user=user, password=password)
    if user.entra_object_id is None:
        user.entra_object_id = demo_object_id(username)
        user_save(user=user)
    return user


def _tokens(users: dict[str, User]) -> None:
    """The demo tokens, backdated, with usage consistent with their last use (requests per
    day up to it, the addresses it came from); their values are dropped: nobody needs them,
    and values are never printed."""
    now = timezone.now()
    for username, name, made_ago, used_ago, expires_in, daily, about in DEMO_TOKENS:
        owner = users[username]
        if ApiToken.objects.filter(user=owner, name=name, kind=Kind.API).exists():
            continue
        made = now - made_ago
        token, _ = token_generate(
            user=owner,
            name=name,
            created_at=made,
            description=about,
            expires_at=now + expires_in if expires_in is not None else None,
            # Sentinel pulls from the SOC's addresses only; the others from anywhere.
            allowed_ips=SENTINEL_ADDRESSES if name == "Sentinel connector" else None,
        )
        if used_ago is not None:
            last = now - used_ago
            _usage(token, made, last, daily)
    # One that a platform administrator generated for someone in the Django admin.
    staff = User.objects.filter(tenant=None, username=PLATFORM_ADMIN[0]).first()
    reader = users["globalreader@contoso.com"]
    if staff and not ApiToken.objects.filter(user=reader, kind=Kind.API).exists():
        token_generate(
            user=reader,
            name="Board dashboard",
            by=staff,
            created_at=now - timedelta(days=10),
            expires_at=now + timedelta(days=80),
            description="Generated by the platform team at the board's request.",
        )


def _service_account(tenant: Tenant, users: dict[str, User]) -> None:
    """A service account for the SOC's automation, the security operator its custodian, with
    one token of its own (what a departed person's token would be handed over to)."""
    if User.objects.service_accounts_in(tenant.pk).filter(username="soar-playbooks").exists():
        return
    custodian = next(u for u in users.values() if u.role == Role.SECURITY_OPERATOR)
    account = service_account_create(
        tenant=tenant, name="soar-playbooks", role=Role.SECURITY_OPERATOR, custodians=[custodian.pk]
    )
    now = timezone.now()
    token, _ = token_generate(
        user=account,
        by=custodian,
        name="Alert triage playbook",
        created_at=now - timedelta(days=20),
        expires_at=now + timedelta(days=160),
        description="Closes benign alerts from the SOAR playbooks.",
    )
    _usage(token, now - timedelta(days=20), now - timedelta(hours=1), 120)


def _usage(token: ApiToken, made, last, daily: int) -> None:
    """`daily` requests each day from its making to its last use (the last 30 days are what
    the chart shows), the last from the first address."""
    first_day = max(made.date(), (last - timedelta(days=35)).date())
    days = (last.date() - first_day).days + 1
    per_day = {first_day + timedelta(days=n): daily for n in range(days)}
    used_from = DEMO_ADDRESSES[: 2 if daily < 500 else 3]
    addresses = [(ip, last - timedelta(hours=n * 7)) for n, ip in enumerate(used_from)]
    usage_history_add(token=token, per_day=per_day, addresses=addresses, user_agent=DEMO_USER_AGENT)
    # Every request read alerts or activities: what each used, against what it holds.
    capability_history_add(token=token, capability="Investigation.read", per_day=per_day, last=last)


def _extensions(tenant: Tenant, admin: User) -> None:
    """A SIEM agent and a log collector, so those sections are not empty (token values
    discarded, as above)."""
    if not SiemAgent.objects.for_tenant(tenant).exists():
        siem_agent_create(
            user=admin,
            name="Contoso Sentinel",
            output_format="cef",
            send_alerts=True,
            send_activities=True,
        )
    if not LogCollector.objects.for_tenant(tenant).exists():
        log_collector_create(
            user=admin,
            name="Headquarters collector",
            data_sources=DataSource.objects.for_tenant(tenant),
        )
