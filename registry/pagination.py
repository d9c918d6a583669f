"""Page-number pagination for list pages: one query for the page, one for the count."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from sqlalchemy.orm import Session

from registry.integers import whole_number

DEFAULT_PAGE_SIZE = 25
MAX_PAGE = 10**6


@dataclasses.dataclass
class Page:
    items: list[Any]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.number - 1) * self.size + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.number * self.size)


def page_number(request: Request) -> int:
    """The ?page= parameter; anything that is not a positive whole number means page 1."""
    return whole_number(request.params.get("page"), 1, MAX_PAGE) or 1


def paginate(
    db: Session, query: sa.Select[Any], number: int, size: int = DEFAULT_PAGE_SIZE
) -> Page:
    total = db.execute(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    pages = max(1, math.ceil(total / size))
    number = min(number, pages)
    items = list(db.execute(query.limit(size).offset((number - 1) * size)).scalars())
    return Page(items=items, number=number, size=size, total=total)


def counted(query: sa.Select[Any]) -> sa.Select[Any]:
    """`query` with the count of all its rows on each row (a window count, worked out before any
    LIMIT): its first rows and their total in one round trip. For a query of one entity whose
    joins add no rows, and no DISTINCT. `counted_rows` reads the result."""
    return query.add_columns(sa.func.count().over())


def counted_rows(rows: Sequence[Any]) -> tuple[list[Any], int]:
    """The entities of a `counted` query's rows, and the total they carry (no rows: 0)."""
    return [row[0] for row in rows], rows[0][-1] if rows else 0


def first_page(db: Session, query: sa.Select[Any], size: int = DEFAULT_PAGE_SIZE) -> Page:
    """Page 1 of `query` and the total in one round trip (`counted`): a summary's first few
    (issue 21)."""
    items, total = counted_rows(db.execute(counted(query).limit(size)).all())
    return Page(items=items, number=1, size=size, total=total)


def paginate_list(items: list[Any], number: int, size: int = DEFAULT_PAGE_SIZE) -> Page:
    """A page of a list already computed in Python (markets, opportunities: figures per row)."""
    pages = max(1, math.ceil(len(items) / size))
    number = min(number, pages)
    start = (number - 1) * size
    return Page(items[start : start + size], number, size, len(items))
