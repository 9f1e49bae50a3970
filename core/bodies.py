"""Request bodies checked by input serializers: `RequestBody.read(request)` gives the
validated fields of a JSON object or answers 400 with the first problem as `detail` (and all
of them as `errors`).

Its fields take a JSON value as it is, never a look-alike: DRF's own fields turn 5 into "5"
for a CharField, "yes" into True for a BooleanField and "5" into 5 for an IntegerField, which
the reference's clients never send and this API would rather name. Each message names the
field, so that `detail` alone tells a script what to mend."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from core.inputs import INT64, InputError, check_tree, parse_int


class InvalidBody(exceptions.APIException):
    status_code = 400

    def __init__(self, errors: dict) -> None:
        super().__init__()
        self.detail = {"detail": _first(errors), "errors": errors}  # type: ignore[dict-item]


def _first(errors: Any) -> str:
    """The first message of a serializer's errors, however deep (a list's item's, ...)."""
    while isinstance(errors, dict | list) and errors:
        errors = next(iter(errors.values())) if isinstance(errors, dict) else errors[0]
    return str(errors)


class RequestBody(serializers.Serializer):
    """A body that must be a JSON object with the declared fields (others are ignored, as the
    reference's clients send more than each call reads)."""

    # True: `detail` is "<field>: <message>", as the API's other validation errors (and the
    # IP range calls, which always answered so); False: the message alone.
    detail_names_field = False

    @classmethod
    def read(cls, request, **context: Any) -> dict[str, Any]:
        if not isinstance(request.data, dict):
            raise exceptions.ParseError("The body must be a JSON object.")
        body = cls(data=request.data, context={"request": request, **context})
        if not body.is_valid():
            if cls.detail_names_field:
                raise exceptions.ValidationError(body.errors)
            raise InvalidBody(dict(body.errors))
        return dict(body.validated_data)

    @classmethod
    def read_fields(cls, request, **context: Any) -> dict[str, Any]:
        """Like read(), from the query string and the body together (the body wins), for the
        calls the reference shows both ways."""
        data: dict[str, Any] = dict(request.query_params.items())
        if isinstance(request.data, dict) or hasattr(request.data, "getlist"):
            data.update(request.data.items())
        elif request.data:
            raise exceptions.ParseError("The body must be a JSON object.")
        body = cls(data=data, context={"request": request, **context})
        if not body.is_valid():
            raise InvalidBody(dict(body.errors))
        return dict(body.validated_data)


class StrictFields:
    """A mixin for the input serializers of this product's own write bodies (not the data
    API's, whose reference clients send more than each call reads): a field the endpoint
    does not know is a 400 naming it, so that a client never believes it restricted a
    token that it did not restrict (a misspelt `expires_in_day`, a restriction this version
    does not have). Read-only fields (a GET's answer sent back) are known and ignored."""

    IGNORED = frozenset({"csrfmiddlewaretoken"})  # the browsable API's form posts

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            known = set(self.fields) | self.IGNORED  # type: ignore[attr-defined]
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                writable = sorted(
                    name
                    for name, field in self.fields.items()  # type: ignore[attr-defined]
                    if not field.read_only
                )
                raise serializers.ValidationError(
                    {unknown[0]: [f"Unknown field: this endpoint takes {', '.join(writable)}."]}
                )
        return super().to_internal_value(data)  # type: ignore[misc]


class JsonValue(serializers.Field):
    """A field whose value is checked by `clean(data)`; `message` answers a missing or null
    value where the field is required."""

    message = ""

    def __init__(self, *, message: str = "", **kwargs: Any) -> None:
        self.message = message or self.message
        if self.message:
            kwargs["error_messages"] = {"required": self.message, "null": self.message}
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        return self.clean(data)

    def clean(self, data: Any) -> Any:
        raise NotImplementedError

    def fail_with(self, default: str) -> serializers.ValidationError:
        return serializers.ValidationError(self.message or default)

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(OpenApiTypes.STR)
class StrictText(JsonValue):
    """A JSON string of at most `max_length` characters, stripped; unless required, absent or
    null is ""."""

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        if not kwargs.setdefault("required", False):
            kwargs.setdefault("default", "")
            kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)
        self.max_length = max_length

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None and self.allow_null:
            return True, ""
        return super().validate_empty_values(data)

    def clean(self, data: Any) -> str:
        if not isinstance(data, str) or len(data) > self.max_length:
            raise self.fail_with(
                f"{self.field_name} must be a string of at most {self.max_length} characters."
            )
        return data.strip()


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBool(JsonValue):
    """JSON true or false; absent is `default` (False unless given)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", False)
        super().__init__(**kwargs)

    def clean(self, data: Any) -> bool:
        if not isinstance(data, bool):
            raise self.fail_with(f"{self.field_name} must be true or false.")
        return data


@extend_schema_field(OpenApiTypes.INT64)
class StrictInt(JsonValue):
    """A JSON whole number within 64 bits (not true, not 5.0, not "5"); absent or null is
    None."""

    def __init__(self, *, digits: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", None)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)
        self.digits = digits  # also ASCII digits in a string (a query string's value)

    def clean(self, data: Any) -> int:
        if self.digits and isinstance(data, str) and parse_int(data) is not None:
            data = parse_int(data)
        if isinstance(data, bool) or not isinstance(data, int) or not -INT64 <= data <= INT64:
            raise self.fail_with(f"{self.field_name} must be a whole number.")
        return data


# DRF's own fields, made strict, where their schema (bounds, enums) is worth keeping: each
# takes only its JSON type, with DRF's own message otherwise (a choice lists the choices
# instead of echoing the value sent).


class JsonString(serializers.CharField):
    """A JSON string (5 is not "5")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class WholeNumber(serializers.IntegerField):
    """A JSON whole number within the field's bounds (not true, not 5.0, not "5")."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonBoolean(serializers.BooleanField):
    """JSON true or false (not "yes", not 1)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictChoice(serializers.ChoiceField):
    """A JSON string among the choices; the error lists them (never the value sent, which
    may be a megabyte)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or data not in self.choice_strings_to_values:
            names = ", ".join(str(choice) for choice in self.choices)
            raise serializers.ValidationError(f"Choose one of: {names}.")
        return self.choice_strings_to_values[data]


class JsonTree(serializers.JSONField):
    """A JSON value, given as JSON or, in a form or query string, as JSON text; either way
    walked by core.inputs.check_tree (DRF's field parses the text with plain json.loads, so
    a lone surrogate or a NUL in it got past the body parser's checks)."""

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        try:
            return check_tree(value, self.field_name or "the body")
        except InputError as error:
            raise serializers.ValidationError(str(error)) from None
