import django_filters
from django.db.models import F, Q

from tokens.models import ApiTokenQuerySet, Status


class TokenOrdering(django_filters.OrderingFilter):
    """Never-used tokens sort the same way on every database (SQLite and PostgreSQL disagree
    on where NULLs go by default). By last use they count as the oldest; by status they come
    first: Generated, then Active (most recent first), then Inactive. Each order is one an
    index serves (see the token indexes)."""

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        name = param.lstrip("-")
        if name == "last_used":
            last_used = F("last_used_at")
            return (
                last_used.desc(nulls_last=True) if descending else last_used.asc(nulls_first=True)
            )
        if name == "status":
            last_used = F("last_used_at")
            return (
                last_used.asc(nulls_last=True) if descending else last_used.desc(nulls_first=True)
            )
        return super().get_ordering_value(param)

    # Newest first when nothing else is asked for.
    DEFAULT = ("-created_at", "-id")

    def filter(self, qs, value):
        """Ties (every never-used token has the same last use) are broken by generation time,
        in the direction the index on the sort key walks, so that no sort needs a full sort."""
        if not value:
            return qs.order_by(*self.DEFAULT)
        ordering = [self.get_ordering_value(param) for param in value]
        newest_first = {
            "last_used": False,
            "-last_used": True,
            "status": True,
            "-status": False,
        }.get(value[0], True)
        ties = ["-created_at", "-id"] if newest_first else ["created_at", "id"]
        return qs.order_by(*ordering, *ties)


class TokenFilter(django_filters.FilterSet):
    """The filters of the tokens table, shared by the page and the API."""

    status = django_filters.ChoiceFilter(choices=Status.choices, method="filter_status")
    search = django_filters.CharFilter(method="filter_search", max_length=100)
    ordering = TokenOrdering(
        fields=(
            ("name", "name"),
            ("user__username", "generated_by"),
            ("created_at", "generated_on"),
            ("last_used_at", "last_used"),
            ("status", "status"),
        )
    )

    def filter_status(self, queryset: ApiTokenQuerySet, name, value):
        return queryset.filter_status(value)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(user__username__icontains=value)
            | Q(user__first_name__icontains=value)
            | Q(user__last_name__icontains=value)
        )
