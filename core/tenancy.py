"""The base of every tenant-owned table's queryset: reads name their tenant."""

from typing import Self

from django.db import models


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> Self:
        """This tenant's rows (a Tenant or its primary key)."""
        return self.filter(tenant=tenant)
