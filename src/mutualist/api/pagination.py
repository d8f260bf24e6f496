"""Limit/offset pagination, the same on every list.

``?limit=20&offset=40`` -> ``{"items": [...], "count": 123, "limit": 20, "offset": 40}``.
A limit outside 1..``API_PAGE_SIZE_MAX`` is refused (422 ``validation_failed``)
rather than silently clamped, so a client never mistakes a short page for the
end of the list.

(ninja's ``@paginate`` decorator is not used: it resolves the view's string
annotations in its own module, which breaks under ``from __future__ import
annotations``. Taking the parameters as a ``Query`` schema is as documented
and keeps the view's signature honest.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, overload

from django.conf import settings
from django.db.models import Model, QuerySet
from ninja import Field, Schema

DEFAULT_LIMIT = 20
# Beyond any real list; keeps an absurd offset from reaching the database as an
# integer it cannot represent.
MAX_OFFSET = 1_000_000_000

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")
M = TypeVar("M", bound=Model)


class PageParams(Schema):
    limit: int = Field(
        DEFAULT_LIMIT,
        ge=1,
        le=settings.API_PAGE_SIZE_MAX,
        description=f"Items per page, 1 to {settings.API_PAGE_SIZE_MAX}.",
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")


class Page(Schema, Generic[ItemT]):
    items: list[ItemT]
    count: int = Field(description="All items that match, on every page.")
    limit: int
    offset: int


@overload
def paginate(
    rows: QuerySet[M], params: PageParams, present: Callable[[M], ItemT]
) -> Page[ItemT]: ...
@overload
def paginate(
    rows: Sequence[RowT], params: PageParams, present: Callable[[RowT], ItemT]
) -> Page[ItemT]: ...
def paginate(rows: Any, params: PageParams, present: Callable[[Any], ItemT]) -> Page[ItemT]:
    """One page of ``rows``, each turned into its output schema by ``present``."""
    window = rows[params.offset : params.offset + params.limit]
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    return Page[ItemT](
        items=[present(row) for row in window],
        count=count,
        limit=params.limit,
        offset=params.offset,
    )
