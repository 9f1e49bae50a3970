import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, Trim

from accounts.roles import Capability, Role, capabilities_for

# A DNS label: the tenant's custom URL is {slug}.{region}.{PORTAL_DOMAIN}.
dns_label = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z",
    "Use lower-case letters, digits and inner hyphens (a DNS label, at most 63 characters).",
)

# Region code: (region name, data center), as the original's About page shows them.
REGIONS = {
    "us": ("East US", "US1"),
    "us2": ("East US 2", "US2"),
    "us3": ("West US 2", "US3"),
    "eu": ("West Europe", "EU1"),
    "eu2": ("North Europe", "EU2"),
    "uk": ("UK South", "UK"),
    "au": ("Australia East", "AU"),
}


class TenantManager(models.Manager["Tenant"]):
    def by_host(self, slug: str, region: str) -> "Tenant | None":
        return self.filter(slug=slug, region=region).first()


class Tenant(models.Model):
    name = models.CharField(max_length=200)
    slug = models.CharField(max_length=63, unique=True, validators=[dns_label])
    region = models.CharField(max_length=16, choices=[(k, k) for k in REGIONS])
    # The tenant's own id, as the original shows it on its About page.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entra_tenant_id = models.UUIDField("Entra tenant ID", null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def custom_host(self) -> str:
        return f"{self.slug}.{self.region}.{settings.PORTAL_DOMAIN}"

    @property
    def custom_url(self) -> str:
        """The tenant's own portal and API address: the one to give API clients."""
        return f"{settings.PORTAL_SCHEME}://{self.custom_host}"

    @property
    def region_name(self) -> str:
        return REGIONS.get(self.region, (self.region, ""))[0]

    @property
    def data_center(self) -> str:
        return REGIONS.get(self.region, ("", self.region.upper()))[1]


def generic_portal_url() -> str:
    return f"{settings.PORTAL_SCHEME}://{settings.PORTAL_DOMAIN}"


class UserManager(DjangoUserManager):
    def get_by_natural_key(self, username):
        # User names are unique within a tenant; the natural key (createsuperuser, fixtures)
        # names platform staff, who have none.
        return self.get(tenant__isnull=True, username__iexact=username)

    def in_tenant(self, tenant_id: int | None):
        """Users of one tenant (or, for None, platform staff): where a user name is unique."""
        if tenant_id is None:
            return self.filter(tenant__isnull=True)
        return self.filter(tenant_id=tenant_id)

    def deprovisioned_in(self, tenant_id: int | None):
        return self.in_tenant(tenant_id).filter(deprovisioned_at__isnull=False)

    def people_in(self, tenant_id: int | None):
        """The people of a tenant: its users that are not service accounts."""
        return self.in_tenant(tenant_id).filter(is_service_account=False)

    def service_accounts_in(self, tenant_id: int | None):
        return self.in_tenant(tenant_id).filter(is_service_account=True)

    def without_custodian(self, tenant_id: int | None, but=None):
        """The tenant's service accounts with no active custodian ("no custodian"), or none
        but the user `but` (those that deprovisioning `but` would leave without one)."""
        custody = User.custodians.through.objects.filter(
            to_user__deprovisioned_at__isnull=True, to_user__is_active=True
        )
        if but is not None:
            custody = custody.exclude(to_user=but)
        return self.service_accounts_in(tenant_id).exclude(pk__in=custody.values("from_user_id"))

    def left_without_custodian_by(self, user):
        """The active service accounts whose only active custodian is `user`."""
        return self.without_custodian(user.tenant_id, but=user).filter(
            custodians=user, deprovisioned_at__isnull=True, is_active=True
        )


def shown_name(prefix: str = ""):
    """User.display_name as SQL: "first last", or the user name when both are blank (the
    tokens table sorts owners by it, through an index of the same expression)."""
    full = Trim(Concat(F(f"{prefix}first_name"), Value(" "), F(f"{prefix}last_name")))
    return Coalesce(NullIf(full, Value("")), F(f"{prefix}username"))


class User(AbstractUser):
    """A person who signs in. Tenant users hold one role; platform staff (the Django admin's
    operators) may have no tenant and can neither generate tokens nor call the API.

    User names are unique within a tenant, not across tenants (DECISIONS.md 29): one
    tenant must not be able to take, or learn of, a name another tenant's people use."""

    username = models.CharField(
        "username",
        max_length=150,
        help_text="Required. 150 characters or fewer. Unique within the tenant.",
        validators=[UnicodeUsernameValidator()],
    )

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    # Blank when Entra no longer assigns the user any mapped app role: their tokens can do
    # nothing until a role is assigned again.
    role = models.CharField(
        max_length=32, choices=Role.choices, default=Role.SECURITY_READER, blank=True
    )
    deprovisioned_at = models.DateTimeField(null=True, blank=True)
    # The user's object id (`oid`) in their tenant's Entra directory: how Entra sign-in, Entra
    # bearer tokens in user context and SCIM provisioning find them.
    entra_object_id = models.UUIDField("Entra object ID", null=True, blank=True)
    # SCIM's externalId, as Entra's provisioning service sends it (often the mailNickname).
    scim_external_id = models.CharField("SCIM external ID", max_length=200, blank=True)
    # A service account (accounts/service_accounts.py): not a person. It owns tokens that act
    # with its role and outlive anyone; it never signs in (no password, no Entra identity)
    # and SCIM never sees it. Its custodians, people of the tenant, generate and manage them.
    is_service_account = models.BooleanField(default=False, editable=False)
    custodians = models.ManyToManyField(
        "self", symmetrical=False, related_name="custodian_of", blank=True
    )

    objects = UserManager()  # type: ignore[misc]  # AbstractUser declares it on the class

    # display_name as the database sorts it (computed by the database, never written here).
    sort_name = models.GeneratedField(
        expression=Lower(shown_name()),
        output_field=models.CharField(max_length=301),
        db_persist=True,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("username"), "tenant", name="user_tenant_username_ci_unique"
            ),
            # NULLs are distinct in a unique index: platform staff get a constraint of their own.
            models.UniqueConstraint(
                Lower("username"),
                condition=models.Q(tenant__isnull=True),
                name="user_staff_username_ci_unique",
            ),
            models.UniqueConstraint(
                fields=["tenant", "entra_object_id"], name="user_tenant_entra_oid_unique"
            ),
        ]
        indexes = [
            # A tenant's people in the order their names are read: the tokens table walks
            # owners in this order when it sorts by "Generated by".
            models.Index(fields=["tenant", "sort_name", "id"], name="user_tenant_sort_name"),
        ]

    @property
    def role_label(self) -> str:
        return self.get_role_display() if self.role else "No role"

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What this user may do now. A deprovisioned user, or one outside any tenant, may do
        nothing through the portal's tenant features."""
        if self.tenant_id is None or self.deprovisioned_at is not None or not self.is_active:
            return frozenset()
        return capabilities_for(self.role)

    @property
    def is_local(self) -> bool:
        """A local (break-glass) account: it signs in with a password of its own here. Entra
        sign-in never adopts one, and SCIM never sees one."""
        return self.has_usable_password()

    @property
    def active_custodians(self) -> list["User"]:
        """A service account's custodians who may still sign in (read from the prefetched
        custodians when the caller prefetched them; one query otherwise)."""
        return [person for person in self.custodians.all() if not person.is_deprovisioned]

    @property
    def has_custodian(self) -> bool:
        """A service account's: whether an active person is its custodian."""
        return bool(self.active_custodians)

    @property
    def kind_label(self) -> str:
        return "Service account" if self.is_service_account else "Person"

    @property
    def is_deprovisioned(self) -> bool:
        return self.deprovisioned_at is not None or not self.is_active


class SeenApplication(models.Model):
    """An Entra application (app registration, application context) that called the API of
    a tenant: when first and last (at most a minute behind), from where, with what it was
    granted then. The credential inventory lists it; nothing of its token is kept."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    app_id = models.CharField(max_length=100)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    capabilities = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "app_id"], name="seen_application_unique")
        ]

    def __str__(self) -> str:
        return f"{self.app_id} ({self.tenant_id})"
