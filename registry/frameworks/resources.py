"""Route factories for /frameworks/{reference}/... and /frameworks/{reference}/lots/{number}/...:
the framework (and the lot) loaded once, named by the reference and number people read."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request

from registry.frameworks.models import Framework, Lot
from registry.resources import PublicRecordContext

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


class FrameworkContext(PublicRecordContext):
    """A framework's pages, and its obligations' and memberships' forms; retracted or not (the
    views say what a retracted framework may not have)."""

    __name__ = "framework"

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        reference = _named(request, "reference", Framework.reference)
        framework = request.db.execute(_BY_REFERENCE, {"reference": reference}).scalar_one_or_none()
        if framework is None:
            raise HTTPNotFound()
        self.framework: Framework = framework


class LotContext(FrameworkContext):
    """A lot's pages: the lot numbered {number} on the framework {reference}."""

    __name__ = "lot"

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        number = _named(request, "number", Lot.number)
        lot = request.db.execute(
            _BY_NUMBER, {"framework_id": self.framework.id, "number": number}
        ).scalar_one_or_none()
        if lot is None:
            raise HTTPNotFound()
        self.lot: Lot = lot
