"""Paged API lists (issue 11). The body stays the JSON list DESIGN §3 gives; the page's place rides in headers.

`?page=N` (from 1) and `?page_size=M` (1..1000, default 100) choose the page. The answer carries `X-Total-Count` (rows
over every page) and an RFC 8288 `Link` header with `next`, `prev`, `first` and `last` where they exist, as GitHub's
API does, so a client follows `rel="next"` until there is none. A page past the last is an empty list (the rows may
have shrunk while a client paged). A page or page size that is not a whole number in range is a 400 with a field
message, like every other bad input.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from drf_link_header_pagination import LinkHeaderPagination
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class ListPagination(LinkHeaderPagination):  # type: ignore[misc]  # the package ships no type hints
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        size = _whole_number(request, self.page_size_query_param, PAGE_SIZE, 1, MAX_PAGE_SIZE)
        number = _whole_number(request, self.page_query_param, 1, 1, None)
        paginator = Paginator(queryset, size)
        if number > paginator.num_pages:
            # Past the last page: nothing, but the count and the way back are still given.
            self.page = Page([], number, paginator)
            return []
        self.page = paginator.page(number)
        return list(self.page)

    def get_headers(self) -> dict[str, str]:
        paginator = self.page.paginator
        if self.page.number > paginator.num_pages:
            # Django's Page cannot name its neighbours past the end: only the first and last pages are offered.
            url = self.request.build_absolute_uri()
            last = replace_query_param(url, self.page_query_param, paginator.num_pages)
            headers = {"Link": f'<{remove_query_param(url, self.page_query_param)}>; rel="first", <{last}>; rel="last"'}
        else:
            headers = super().get_headers()
        headers["X-Total-Count"] = str(paginator.count)
        return headers


def _whole_number(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None  # "²".isdigit() too
    if value is None or value < low or (high is not None and value > high):
        limit = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise ValidationError({name: [f"Enter a whole number {limit}."]})
    return value


def paginate(request: Request, view: Any, rows: Any) -> tuple[list[Any], ListPagination]:
    """One page of `rows` (an ordered queryset) for `request`, and the paginator that builds its response."""
    paginator = ListPagination()
    return paginator.paginate_queryset(rows, request, view), paginator


# For a list view's @extend_schema(parameters=...): the query parameters and the response headers of a page.
PAGE_PARAMETERS: list[OpenApiParameter] = [
    OpenApiParameter("page", OpenApiTypes.INT, description="The page, from 1 (default 1).", required=False),
    OpenApiParameter(
        "page_size", OpenApiTypes.INT, required=False,
        description=f"Rows a page, 1 to {MAX_PAGE_SIZE} (default {PAGE_SIZE}).",
    ),
    OpenApiParameter(
        "X-Total-Count", OpenApiTypes.INT, location=OpenApiParameter.HEADER, response=[200],
        description="Rows over every page.",
    ),
    OpenApiParameter(
        "Link", OpenApiTypes.STR, location=OpenApiParameter.HEADER, response=[200],
        description='RFC 8288 links to the `next`, `prev`, `first` and `last` pages where they exist, e.g. '
        '`<https://mbc.example/api/v1/flags/?page=2>; rel="next"`.',
    ),
]
