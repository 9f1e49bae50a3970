"""SCIM 2.0 user provisioning (RFC 7643/7644), as Microsoft Entra's provisioning service
calls it: `{tenant URL}/scim/v2/Users`, authenticated with the tenant's SCIM secret token
(`Authorization: Bearer <value>`, a token of kind `scim` generated on the portal's User
provisioning page by a full admin).

Entra finds a user with `filter=userName eq "..."`, creates one with POST, disables one with
PATCH `active=false` (deprovisioning here: sessions ended, tokens kept but refused) and may
DELETE one (deprovisioned and no longer a SCIM resource). Users created here get no role: the
role comes from the `roles` claim when they first sign in with Microsoft. Attributes this
portal does not keep (title, addresses, ...) are accepted and ignored, as Entra sends what its
attribute mappings say.
"""

import re
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsActiveUser, request_can
from accounts.roles import Capability
from accounts.services import (
    user_deprovision,
    user_reprovision,
    user_save,
    user_scim_delete,
)
from core.errors import Conflict
from core.inputs import INT64, parse_int
from core.names import is_clean_name
from core.parsers import JSONParser
from core.paths import row_by_path_id
from core.schema import ApiAutoSchema
from tokens.authentication import ApiTokenAuthentication

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
MAX_COUNT = 100
MAX_START = 2**31

_FILTER = re.compile(r'^\s*(userName|externalId)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


class ScimError(exceptions.APIException):
    def __init__(self, detail: str, status_code: int = 400, scim_type: str | None = None):
        super().__init__(detail)
        self.status_code = status_code
        self.scim_type = scim_type


class ScimJSONParser(JSONParser):
    media_type = "application/scim+json"


class ScimRenderer(JSONRenderer):
    media_type = "application/scim+json"


class ScimTokenAuthentication(ApiTokenAuthentication):
    """Entra's provisioning service sends the secret token as a Bearer token."""

    keywords: tuple[str, ...] = ("bearer", "token")

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="scim"'


class CanProvision(IsActiveUser):
    """A SCIM token, whose issuer may still manage the tenant's settings."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if not request_can(request, Capability.SETTINGS_MANAGE):
            self.message = "The SCIM token's issuer may no longer manage users."
            return False
        return True


# Attributes this module checks itself (_text, _email): Entra's user names and addresses may
# hold characters that Django's validators refuse, such as the apostrophe of
# o'brien@contoso.com, and Entra, not this portal, is where they are right or wrong.
SCIM_CHECKED = ("username", "email")


class ScimErrorSerializer(serializers.Serializer):
    schemas = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    detail = serializers.CharField()
    scimType = serializers.CharField(required=False)


class ScimSchema(ApiAutoSchema):
    error_serializer = ScimErrorSerializer

    def body_required(self) -> bool:
        return True  # a User, a PatchOp


def _text_schema(longest: int, **extra) -> dict:
    return {"type": "string", "maxLength": longest, "nullable": True, **extra}


WHOLE = {"type": "integer", "minimum": -INT64, "maximum": INT64}
FLAG = {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": ["True", "False"]}]}
SCIM_USER_ANSWER = {"type": "object", "description": "A SCIM User (RFC 7643 4.1)."}
SCIM_USER = {
    "type": "object",
    "description": "A SCIM User (RFC 7643 4.1): the attributes this portal keeps; others are "
    "ignored. Texts are trimmed and refuse control and invisible characters.",
    "properties": {
        "userName": _text_schema(150, minLength=1, nullable=False),
        "externalId": _text_schema(200),
        "displayName": _text_schema(150),
        "active": FLAG,
        "name": {
            "type": "object",
            "properties": {
                "givenName": _text_schema(150),
                "familyName": _text_schema(150),
            },
        },
        "emails": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"value": _text_schema(254), "primary": {"type": "boolean"}},
            },
        },
    },
    "required": ["userName"],
}
SCIM_PATCH = {
    "type": "object",
    "description": "A SCIM PatchOp (RFC 7644 3.5.2): replace or add userName, externalId, "
    "active, name, emails, displayName.",
    "properties": {
        "schemas": {"type": "array", "items": {"type": "string"}},
        "Operations": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "op": {"type": "string", "enum": ["add", "replace", "Add", "Replace"]},
                    "path": {
                        "type": "string",
                        "description": "An attribute, or none: value "
                        "is then an object of attributes.",
                    },
                    "value": {"description": "The attribute's value, as in a User."},
                },
                "required": ["op"],
            },
        },
    },
    "required": ["Operations"],
}


class ScimView(APIView):
    schema = ScimSchema()
    conflicts = True  # a userName taken
    authentication_classes = [ScimTokenAuthentication]
    # Entra's provisioning cycles come in bursts; they are not the API clients the
    # per-tenant throttle is for.
    throttle_classes: list = []  # limits nothing (its usage counts go out all the same)
    permission_classes = [CanProvision]
    token_kinds = ("scim",)
    parser_classes = [ScimJSONParser, JSONParser]
    renderer_classes = [ScimRenderer, JSONRenderer]

    @staticmethod
    def error_body(exc, response) -> dict:
        """RFC 7644's error schema (core/exceptions.py calls this for every SCIM error)."""
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        body = {
            "schemas": [ERROR_SCHEMA],
            "status": str(response.status_code),
            "detail": str(detail or response.data),
        }
        if scim_type := getattr(exc, "scim_type", None):
            body["scimType"] = scim_type
        return body

    def users(self):
        # SCIM-deleted users (is_active=False) are no longer resources, and local break-glass
        # accounts never are: provisioning must not be able to lock out the way back in.
        issuer: Any = self.request.user  # the SCIM token's issuer (CanProvision)
        # Nor are service accounts: Entra's directory has no such user to provision.
        return User.objects.people_in(issuer.tenant_id).filter(
            is_active=True, password__startswith=UNUSABLE_PASSWORD_PREFIX
        )

    def refuse_issuer(self, user: User) -> None:
        if user.pk == self.request.user.pk:
            raise ScimError(
                "This user issued the SCIM token in use and cannot be deprovisioned through "
                "it; generate the SCIM token as another administrator first.",
                status.HTTP_403_FORBIDDEN,
            )

    def get_user(self, user_id: str) -> User:
        user = row_by_path_id(self.users(), user_id)
        if user is None:
            raise ScimError(f"User {user_id} not found", status.HTTP_404_NOT_FOUND)
        return user

    def resource(self, user: User) -> dict:
        location = self.request.build_absolute_uri(
            reverse("scim:user", kwargs={"user_id": str(user.pk)})
        )
        body = {
            "schemas": [USER_SCHEMA],
            "id": str(user.pk),
            "userName": user.username,
            "name": {
                "givenName": user.first_name,
                "familyName": user.last_name,
                "formatted": user.get_full_name(),
            },
            "displayName": user.display_name,
            "active": not user.is_deprovisioned,
            "emails": [{"value": user.email, "type": "work", "primary": True}]
            if user.email
            else [],
            "meta": {
                "resourceType": "User",
                "created": user.date_joined.isoformat(),
                "location": location,
            },
        }
        if user.scim_external_id:
            body["externalId"] = user.scim_external_id
        return body


def _text(value, attribute: str, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScimError(f"{attribute} must be a string", scim_type="invalidValue")
    value = value.strip()
    if len(value) > max_length or not is_clean_name(value):
        raise ScimError(
            f"{attribute} is too long or has control or invisible characters",
            scim_type="invalidValue",
        )
    return value


def _boolean(value, attribute: str) -> bool:
    # Entra sends "True"/"False" as strings in PATCH operations.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ScimError(f"{attribute} must be a boolean", scim_type="invalidValue")


def _work_email(emails) -> str | None:
    if emails is None:
        return None
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise ScimError("emails must be a list of objects", scim_type="invalidValue")
    chosen = next((e for e in emails if e.get("primary")), emails[0] if emails else {})
    return _text(chosen.get("value"), "emails.value", 254)


def _apply(user: User, attributes: dict) -> bool | None:
    """Copies the attributes this portal keeps onto `user`; returns the `active` value asked
    for, if any."""
    active = None
    for attribute, value in attributes.items():
        key = attribute.lower()
        if key == "active":
            active = _boolean(value, "active")
        elif key == "emails" or key.startswith("emails["):
            email = _work_email(value if key == "emails" else [{"value": value, "primary": True}])
            if email is not None:
                user.email = email
        else:
            _apply_one(user, key, value)
    return active


def _apply_one(user: User, key: str, value) -> None:
    """One of the attributes kept as text (userName, externalId, the name's parts)."""
    if key == "username":
        user.username = _text(value, "userName", 150)
        if not user.username:
            raise ScimError("userName is required", scim_type="invalidValue")
    elif key == "externalid":
        user.scim_external_id = _text(value, "externalId", 200)
    elif key == "name":
        if not isinstance(value, dict):
            raise ScimError("name must be an object", scim_type="invalidValue")
        _apply_name(user, value)
    elif key in {"name.givenname", "name.familyname"}:
        _apply_name(user, {key.split(".")[1]: value})


def _apply_name(user: User, name: dict) -> None:
    for part, value in name.items():
        if part.lower() == "givenname":
            user.first_name = _text(value, "name.givenName", 150)
        elif part.lower() == "familyname":
            user.last_name = _text(value, "name.familyName", 150)


def _set_active(user: User, active: bool | None) -> None:
    if active is False:
        user_deprovision(user=user)
    elif active is True:
        user_reprovision(user=user)


def _save(user: User) -> None:
    """Saves the user through the service; a concurrent request that took the same userName
    between our check and this write is a 409, as the check itself would have answered."""
    try:
        user_save(user=user, checked_elsewhere=SCIM_CHECKED)
    except Conflict as conflict:
        raise ScimError(conflict.detail, status.HTTP_409_CONFLICT, "uniqueness") from None


def _username_taken(user: User) -> bool:
    """Within the user's tenant only: names other tenants use are neither refused nor told."""
    return (
        User.objects.in_tenant(user.tenant_id)
        .filter(username__iexact=user.username)
        .exclude(pk=user.pk)
        .exists()
    )


class UsersScim(ScimView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "filter",
                {"type": "string", "pattern": _FILTER.pattern.replace(r"\s", " ")},
                description='Only userName eq "..." and externalId eq "...", in any case.',
            ),
            OpenApiParameter("startIndex", WHOLE, description="From 1 (below: 1)."),
            OpenApiParameter("count", WHOLE, description=f"0 to {MAX_COUNT} (more: {MAX_COUNT})."),
        ],
        responses={200: {"type": "object", "description": "A SCIM ListResponse of Users."}},
    )
    def get(self, request):
        users = self.users().order_by("pk")
        if raw := request.query_params.get("filter"):
            match = _FILTER.match(raw)
            if match is None:
                raise ScimError(
                    'Only filter=userName eq "..." or externalId eq "..." is supported',
                    scim_type="invalidFilter",
                )
            attribute, value = match.group(1).lower(), match.group(2).replace('\\"', '"')
            users = users.filter(
                Q(username__iexact=value) if attribute == "username" else Q(scim_external_id=value)
            )
        start, count = self._paging(request.query_params)
        total = users.count()
        page = list(users[start - 1 : start - 1 + count])
        return Response(
            {
                "schemas": [LIST_SCHEMA],
                "totalResults": total,
                "startIndex": start,
                "itemsPerPage": len(page),
                "Resources": [self.resource(user) for user in page],
            }
        )

    @staticmethod
    def _paging(params) -> tuple[int, int]:
        """RFC 7644 3.4.2.4: a startIndex below 1 means 1, a negative count means 0. Past
        MAX_START no tenant has users: the page is empty (an OFFSET that large would not fit
        the database's integer)."""
        start = parse_int(params.get("startIndex", "1"))
        count = parse_int(params.get("count", str(MAX_COUNT)))
        if start is None or count is None:
            raise ScimError("startIndex and count must be integers", scim_type="invalidValue")
        return min(max(start, 1), MAX_START), min(max(count, 0), MAX_COUNT)

    @extend_schema(request={"application/scim+json": SCIM_USER}, responses={201: SCIM_USER_ANSWER})
    @transaction.atomic
    def post(self, request):
        if not isinstance(request.data, dict):
            raise ScimError("The body must be a SCIM User object", scim_type="invalidSyntax")
        username = _text(request.data.get("userName"), "userName", 150)
        if not username:
            raise ScimError("userName is required", scim_type="invalidValue")
        tenant_id = request.user.tenant_id
        user = User.objects.in_tenant(tenant_id).filter(username__iexact=username).first()
        if user is not None and (user.is_active or user.is_local or user.is_service_account):
            raise ScimError(
                f"A user named {username} exists", status.HTTP_409_CONFLICT, "uniqueness"
            )
        if user is None:
            user = User(tenant_id=tenant_id, role="")
            user.set_unusable_password()
        user.is_active = True  # a user deleted through SCIM comes back as the same account
        active = _apply(user, request.data)
        if _username_taken(user):
            raise ScimError(
                f"A user named {username} exists", status.HTTP_409_CONFLICT, "uniqueness"
            )
        _save(user)
        _set_active(user, True if active is None else active)
        return Response(self.resource(user), status=status.HTTP_201_CREATED)


class UserScim(ScimView):
    @extend_schema(responses={200: SCIM_USER_ANSWER})
    def get(self, request, user_id: str):
        return Response(self.resource(self.get_user(user_id)))

    @extend_schema(request={"application/scim+json": SCIM_PATCH}, responses={200: SCIM_USER_ANSWER})
    @transaction.atomic
    def patch(self, request, user_id: str):
        user = self.get_user(user_id)
        operations = request.data.get("Operations") if isinstance(request.data, dict) else None
        if not isinstance(operations, list) or not operations:
            raise ScimError("A PatchOp needs a list of Operations", scim_type="invalidSyntax")
        active = None
        for operation in operations:
            if not isinstance(operation, dict):
                raise ScimError("Each operation must be an object", scim_type="invalidSyntax")
            op = str(operation.get("op", "")).lower()
            if op not in {"add", "replace", "remove"}:
                raise ScimError(
                    f"Unsupported op {operation.get('op')!r}", scim_type="invalidSyntax"
                )
            path, value = operation.get("path"), operation.get("value")
            if path is None and not isinstance(value, dict):
                raise ScimError(
                    "An operation without a path needs an object value", scim_type="invalidSyntax"
                )
            if op == "remove":
                value = None if path else {}
            attributes: dict = value if path is None else {str(path): value}  # type: ignore[assignment]  # a dict when path is None (checked above)
            if "active" in {key.lower() for key in attributes} and op == "remove":
                raise ScimError("active cannot be removed", scim_type="mutability")
            asked = _apply(user, attributes)
            active = asked if asked is not None else active
        if active is False:
            self.refuse_issuer(user)
        if _username_taken(user):
            raise ScimError(
                f"A user named {user.username} exists", status.HTTP_409_CONFLICT, "uniqueness"
            )
        _save(user)
        _set_active(user, active)
        user.refresh_from_db()
        return Response(self.resource(user))

    @extend_schema(responses={204: None})
    @transaction.atomic
    def delete(self, request, user_id: str):
        user = self.get_user(user_id)
        self.refuse_issuer(user)
        user_scim_delete(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)
