"""Reads of the security data that are more than a filtered list."""

from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from security.filters import FilterError, string_value, value_list
from security.models import DataSource, DiscoveredApp


def category_counts(
    source: DataSource, *, days: int | None, filters: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """[{"id": <category>, "total": <apps>}] of the apps `source`'s logs showed, seen within
    `days` when given, narrowed by a `category` filter ({"eq": [...]} or {"neq": [...]})."""
    apps = DiscoveredApp.objects.filter(tenant_id=source.tenant_id, data_source=source)
    if days is not None:
        apps = apps.filter(last_seen__gte=timezone.now() - timedelta(days=days))
    for operator, value in (filters or {}).items():
        if operator not in {"eq", "neq"}:
            raise FilterError(
                f"Operator '{operator}' is not allowed on field 'category'; use eq, neq"
            )
        where = f"filters.category.{operator}"
        ids = [string_value(item, where) for item in value_list(value, where)]
        apps = apps.filter(category__in=ids) if operator == "eq" else apps.exclude(category__in=ids)
    rows = apps.values("category").annotate(total=Count("id")).order_by("category")
    return [{"id": row["category"], "total": row["total"]} for row in rows]
