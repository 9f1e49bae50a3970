import django_filters
from django.db.models import Q

from tokens.models import ApiTokenQuerySet, Status


class TokenFilter(django_filters.FilterSet):
    """The filters of the tokens table, shared by the page and the API."""

    status = django_filters.ChoiceFilter(choices=Status.choices, method="filter_status")
    search = django_filters.CharFilter(method="filter_search", max_length=100)
    ordering = django_filters.OrderingFilter(
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
