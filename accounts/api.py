"""Users of the tenant, for full admins: list them, deprovision one, restore one."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import has_capability
from accounts.roles import Capability
from accounts.services import user_deprovision, user_reprovision
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


def tenant_users(request):
    return User.objects.in_tenant(request.user.tenant_id).order_by("username")


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


class UserDeprovisionApi(APIView):
    """Deprovision a user: sessions end, sign-in is refused, their API tokens get 403."""

    permission_classes = [CanManageUsers]

    @extend_schema(request=None, responses={200: UserOutputSerializer})
    def post(self, request, user_id: str):
        user = get_tenant_user(request, user_id)
        if user.pk == request.user.pk:
            # Allowed to deprovision, but never oneself: a 403 (the request is well formed).
            raise exceptions.PermissionDenied("You cannot deprovision yourself.")
        user_deprovision(user=user)
        return Response(UserOutputSerializer(user).data)


class UserReprovisionApi(APIView):
    """Restore a deprovisioned user."""

    permission_classes = [CanManageUsers]

    @extend_schema(request=None, responses={200: UserOutputSerializer})
    def post(self, request, user_id: str):
        user = get_tenant_user(request, user_id)
        user_reprovision(user=user)
        return Response(UserOutputSerializer(user).data)
