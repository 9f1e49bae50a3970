"""Pages of a table whose count stays cheap however long the table grows."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination

COUNT_BOUND = 1_000


class BoundedPaginator(Paginator):
    """Counts at most COUNT_BOUND + 1 rows, so the table's first page costs the same with a
    hundred tokens or a hundred thousand (an exact count reads every matching row). Past the
    bound the page says "more than 1,000" and offers the first 1,000 (20 pages), in any sort
    order; a search or a filter narrows it. `over_bound` known beforehand (a search whose
    index said it matches more) spares the count.
    The count is taken in no order (how many the first N + 1 are does not depend on it), so
    the database reads it from whichever index serves the filter best."""

    def __init__(self, *args, over_bound: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._known_over = over_bound

    @cached_property
    def _bounded_count(self) -> int:
        if self._known_over:
            return COUNT_BOUND + 1
        rows = self.object_list.order_by()  # type: ignore[attr-defined]  # a QuerySet
        return rows[: COUNT_BOUND + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._bounded_count, COUNT_BOUND)

    @property
    def over_bound(self) -> bool:
        return self._bounded_count > COUNT_BOUND


class StrictPageNumberPagination(PageNumberPagination):
    """DRF's page numbers, with a `page` that must be a whole number from 1 (404 otherwise)
    and a `page_size` (where the list takes one) a whole number from 1 (400 otherwise,
    rather than the default given silently); above the largest, the largest."""

    page_size_query_param: str | None = "page_size"
    page_size: int = 50
    max_page_size: int = 100

    def get_page_number(self, request, paginator):
        """The page asked for: a whole number from 1 (or "last"); anything else, an empty
        value included, is no page (404), rather than the first page given silently."""
        asked = request.query_params.get(self.page_query_param)
        if asked is None or asked in self.last_page_strings:
            return super().get_page_number(request, paginator)
        if not (asked.isascii() and asked.isdigit()) or int(asked) < 1:
            raise exceptions.NotFound("Invalid page.")
        return asked

    def get_page_size(self, request) -> int:
        if not self.page_size_query_param:
            return self.page_size
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None:
            return self.page_size
        if not (asked.isascii() and asked.isdigit()) or int(asked) < 1:
            raise exceptions.ValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return min(int(asked), self.max_page_size)
