"""Route factories for /frameworks/{reference}/... and /frameworks/{reference}/lots/{number}/...:
the framework (and the lot) loaded once, named by the reference and number people read."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request

from registry.frameworks.models import Framework, Lot
from registry.resources import PublicRecordContext

M = TypeVar("M")

_BY_REFERENCE = sa.select(Framework).where(
    Framework.reference == sa.bindparam("reference", type_=sa.String)
)
_BY_NUMBER = sa.select(Lot).where(
    Lot.framework_id == sa.bindparam("framework_id", type_=sa.Integer),
    Lot.number == sa.bindparam("number", type_=sa.String),
)


def _named(request: Request, name: str, column: Any) -> str:
    """The URL's {name}, when a row's `column` could hold it; a 404 otherwise. PostgreSQL refuses
    a NUL in text (a 500), and text longer than the column matches nothing anyway."""
    text = str(request.matchdict.get(name) or "")
    if not text or "\x00" in text or len(text) > column.type.length:
        raise HTTPNotFound()
    return text


def _one_or_404(record: M | None) -> M:
    if record is None:
        raise HTTPNotFound()
    return record


class FrameworkContext(PublicRecordContext):
    """A framework's pages, and its obligations' and memberships' forms; retracted or not (the
    views say what a retracted framework may not have)."""

    __name__ = "framework"

    @functools.cached_property
    def framework(self) -> Framework:
        reference = _named(self.request, "reference", Framework.reference)
        found = self.request.db.execute(_BY_REFERENCE, {"reference": reference})
        return _one_or_404(found.scalar_one_or_none())


class LotContext(FrameworkContext):
    """A lot's pages: the lot numbered {number} on the framework {reference}."""

    __name__ = "lot"

    @functools.cached_property
    def lot(self) -> Lot:
        number = _named(self.request, "number", Lot.number)
        found = self.request.db.execute(
            _BY_NUMBER, {"framework_id": self.framework.id, "number": number}
        )
        return _one_or_404(found.scalar_one_or_none())
