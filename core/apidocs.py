"""The API documentation page: the OpenAPI schema (drf-spectacular's, the one /api/schema/
serves) written out as plain HTML, grouped by resource, each call with its parameters, body
and answers. A page of our own rather than Swagger UI, which axe-core finds 60-odd
violations in (contrast, interactive controls nested in each other) that its options cannot
remove; trying calls is the browsable API's job (each path links to it)."""

from functools import lru_cache
from typing import Any

from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@lru_cache(maxsize=1)
def documented() -> dict[str, Any]:
    """The schema, as the page shows it (built once per process: it changes with the code)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})
    groups: dict[str, list[dict]] = {}
    for path, item in schema["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            groups.setdefault(_group(path), []).append(
                _operation(path, method, operation, components)
            )
    return {
        "info": schema["info"],
        "groups": sorted(groups.items()),
        "schemes": schema.get("components", {}).get("securitySchemes", {}),
    }


def _group(path: str) -> str:
    """The resource a path belongs to: /api/v1/tokens/<id>/ → tokens, /scim/v2/Users → scim."""
    parts = [part for part in path.split("/") if part and not part.startswith("{")]
    if parts[:1] == ["scim"]:
        return "scim"
    parts = [part for part in parts if part not in {"api", "v1", "cas"}]
    return parts[0] if parts else "api"


def _operation(path: str, method: str, operation: dict, components: dict) -> dict:
    body = None
    if request_body := operation.get("requestBody"):
        content = request_body.get("content", {})
        media, spec = next(iter(content.items())) if content else ("", {})
        body = {"media": media, **_shape(spec.get("schema", {}), components)}
    return {
        "id": operation["operationId"],
        "method": method.upper(),
        "path": path,
        "description": operation.get("description", "") or operation.get("summary", ""),
        "parameters": [
            {
                "name": parameter["name"],
                "in": parameter["in"],
                "required": parameter.get("required", False),
                "type": _type(parameter.get("schema", {}), components),
                "description": parameter.get("description", ""),
            }
            for parameter in operation.get("parameters", [])
        ],
        "body": body,
        "responses": [
            {
                "code": code,
                "description": answer.get("description", ""),
                **_shape(_first_schema(answer), components),
            }
            for code, answer in sorted(operation.get("responses", {}).items())
        ],
        "browsable": method == "get" and "{" not in path,
    }


def _first_schema(answer: dict) -> dict:
    """The schema of an answer's first media type ({} when it has no body)."""
    content: dict = answer.get("content") or {}
    for media in content.values():
        return media.get("schema", {})
    return {}


def _resolve(schema: dict, components: dict) -> tuple[str, dict]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        return name, components.get(name, {})
    return "", schema


def _shape(schema: dict, components: dict) -> dict:
    """A schema's name and, for an object, its fields (name, type, required, description)."""
    name, resolved = _resolve(schema, components)
    required = set(resolved.get("required", []))
    fields = [
        {
            "name": field,
            "type": _type(spec, components),
            "required": field in required,
            "read_only": spec.get("readOnly", False),
            "description": spec.get("description", ""),
        }
        for field, spec in resolved.get("properties", {}).items()
    ]
    return {"schema_name": name or _type(schema, components), "fields": fields}


def _type(schema: dict, components: dict) -> str:
    name, resolved = _resolve(schema, components)
    if name:
        return name
    kind = resolved.get("type", "")
    if kind == "array":
        return f"list of {_type(resolved.get('items', {}), components)}"
    if "enum" in resolved:
        return " | ".join(str(value) for value in resolved["enum"] if value is not None)
    if one_of := resolved.get("oneOf") or resolved.get("allOf"):
        return " or ".join(_type(part, components) for part in one_of)
    fmt = resolved.get("format")
    return f"{kind} ({fmt})" if fmt else (kind or "any")


@require_GET
def api_docs(request):
    return render(request, "api_docs.html", documented())
