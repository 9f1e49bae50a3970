"""Users of the tenant, for full admins: list them (people and service accounts), deprovision
one (after a preview of what it breaks), restore one; create and change service accounts."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.impact import deprovision_impact
from accounts.models import User
from accounts.permissions import has_capability
from accounts.reauthentication import signed_in_only
from accounts.roles import Capability
from accounts.service_accounts import service_account_change, service_account_create
from accounts.services import user_deprovision, user_reprovision
from core.bodies import JsonString, StrictFields, WholeNumber
from core.http import origin_of
from core.inputs import INT64
from core.pagination import StrictPageNumberPagination
from core.paths import row_by_path_id
from core.schema import page_of, page_parameters

CanManageUsers = has_capability(Capability.SETTINGS_MANAGE)


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    email = serializers.CharField()
    role = serializers.CharField()
    role_label = serializers.CharField()
    entra_object_id = serializers.UUIDField(allow_null=True)
    deprovisioned = serializers.BooleanField(source="is_deprovisioned")
    deprovisioned_at = serializers.DateTimeField(allow_null=True)
    service_account = serializers.BooleanField(
        source="is_service_account",
        help_text="A service account: it owns tokens, never signs in, SCIM never sees it.",
    )
    custodians = serializers.SerializerMethodField(
        help_text="A service account's custodians (user ids); empty for a person."
    )
    no_custodian = serializers.SerializerMethodField(
        help_text="A service account with no active custodian: a full admin should name one."
    )

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_custodians(self, user) -> list[int]:
        return sorted(person.pk for person in user.custodians.all())

    @extend_schema_field(serializers.BooleanField())
    def get_no_custodian(self, user) -> bool:
        return user.is_service_account and not user.has_custodian


def tenant_users(request):
    return (
        User.objects.in_tenant(request.user.tenant_id)
        .prefetch_related("custodians")
        .order_by("username")
    )


def get_tenant_user(request, user_id: str) -> User:
    user = row_by_path_id(tenant_users(request), user_id)
    if user is None:
        raise exceptions.NotFound("User not found.")
    return user


class UserPagination(StrictPageNumberPagination):
    page_size = 100
    page_size_query_param = None  # the page is always 100


class UserListApi(APIView):
    """The tenant's users, with their role and whether they are deprovisioned."""

    permission_classes = [CanManageUsers]

    @extend_schema(
        parameters=page_parameters(UserPagination.page_size),
        responses={200: page_of("UserPage", UserOutputSerializer(many=True))},
    )
    def get(self, request):
        paginator = UserPagination()
        page: list | None = paginator.paginate_queryset(tenant_users(request), request, view=self)
        return paginator.get_paginated_response(UserOutputSerializer(page, many=True).data)


class RecentTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    suffix = serializers.CharField()
    last_used = serializers.DateTimeField()
    last_used_ip = serializers.CharField(allow_null=True)


class DeprovisionImpactSerializer(UserOutputSerializer):
    service_accounts_left_without_custodian = serializers.ListField(
        child=serializers.CharField(),
        help_text="The service accounts of which they are (or, once deprovisioned, were) the "
        "only active custodian, by name: without them, they have none (an alert says so).",
    )
    tokens_used_last_7_days = RecentTokenSerializer(
        many=True,
        help_text="Their API tokens used in the last 7 days: the automation that stops when "
        "they are deprovisioned (hand them over to a service account to keep it running).",
    )


class UserDeprovisionApi(APIView):
    """Deprovision a user: sessions end, sign-in is refused, their API tokens get 403. GET
    previews it: which of their tokens were used in the last 7 days (what would stop); the
    POST's answer says the same."""

    permission_classes = [CanManageUsers]

    @extend_schema(responses={200: DeprovisionImpactSerializer})
    def get(self, request, user_id: str):
        user = get_tenant_user(request, user_id)
        return Response(DeprovisionImpactSerializer(_impact(user)).data)

    @extend_schema(request=None, responses={200: DeprovisionImpactSerializer})
    def post(self, request, user_id: str):
        user = get_tenant_user(request, user_id)
        if user.pk == request.user.pk:
            # Allowed to deprovision, but never oneself: a 403 (the request is well formed).
            raise exceptions.PermissionDenied("You cannot deprovision yourself.")
        user_deprovision(user=user)
        return Response(DeprovisionImpactSerializer(_impact(user)).data)


def _impact(user: User) -> User:
    """The user, with what deprovisioning them breaks (accounts/impact.py) as attributes."""
    user.tokens_used_last_7_days = []  # type: ignore[attr-defined]  # read by the serializer
    user.service_accounts_left_without_custodian = [  # type: ignore[attr-defined]
        account.username for account in User.objects.left_without_custodian_by(user)
    ]
    for name, value in deprovision_impact(user).items():
        setattr(user, name, value)
    return user


class UserReprovisionApi(APIView):
    """Restore a deprovisioned user."""

    permission_classes = [CanManageUsers]

    @extend_schema(request=None, responses={200: UserOutputSerializer})
    def post(self, request, user_id: str):
        user = get_tenant_user(request, user_id)
        user_reprovision(user=user)
        return Response(UserOutputSerializer(user).data)


class ServiceAccountCreateApi(APIView):
    """Create a service account: a name, a role, its custodians (people of the tenant, by
    id). It owns tokens that its custodians generate; it never signs in. By a signed-in full
    admin whose sign-in is recent, never with a token."""

    permission_classes = [CanManageUsers]

    class InputSerializer(StrictFields, serializers.Serializer):
        name = JsonString(help_text="Letters, digits, dots, hyphens and underscores; no @.")
        role = JsonString(help_text="A role of the role table, as for people.")
        custodians = serializers.ListField(
            child=WholeNumber(min_value=1, max_value=INT64), min_length=1, max_length=50
        )

    @extend_schema(request=InputSerializer, responses={201: UserOutputSerializer})
    def post(self, request):
        signed_in_only(request, "A service account is created")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = service_account_create(
            tenant=request.user.tenant,
            name=data["name"],
            role=data["role"],
            custodians=data["custodians"],
            by=request.user,
            origin=origin_of(request),
        )
        return Response(UserOutputSerializer(account).data, status=status.HTTP_201_CREATED)


class ServiceAccountChangeApi(APIView):
    """Change a service account's role, or name its custodians anew (at least one)."""

    permission_classes = [CanManageUsers]

    class InputSerializer(StrictFields, serializers.Serializer):
        role = JsonString(required=False)
        custodians = serializers.ListField(
            child=WholeNumber(min_value=1, max_value=INT64),
            min_length=1,
            max_length=50,
            required=False,
        )

    @extend_schema(request=InputSerializer, responses={200: UserOutputSerializer})
    def patch(self, request, user_id: str):
        signed_in_only(request, "A service account is changed")
        account = get_tenant_user(request, user_id)
        if not account.is_service_account:
            raise exceptions.NotFound("Service account not found.")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        service_account_change(
            account=account,
            role=data.get("role"),
            custodians=data.get("custodians"),
            by=request.user,
            origin=origin_of(request),
        )
        account = get_tenant_user(request, user_id)  # its custodians as saved
        return Response(UserOutputSerializer(account).data)
