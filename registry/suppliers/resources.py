"""Route factories for /suppliers/{id}/..., /suppliers/groups/{id}/... and a merge's reversal."""

from __future__ import annotations

from pyramid.request import Request
from sqlalchemy.orm import joinedload

from registry.resources import PublicRecordContext, record_or_404
from registry.suppliers.models import Supplier, SupplierGroup, SupplierMerge


class SupplierContext(PublicRecordContext):
    """A supplier's pages, merged or not: the views say what a merged record may not have."""

    __name__ = "supplier"

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        # Its group is on every page of it: read in the same query.
        self.supplier = record_or_404(request, Supplier, joinedload(Supplier.group))


class GroupContext(PublicRecordContext):
    __name__ = "supplier-group"

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.group = record_or_404(request, SupplierGroup)


class MergeContext(PublicRecordContext):
    """/suppliers/merges/{id}/reverse: a merge, reversed already or not."""

    __name__ = "supplier-merge"

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.merge = record_or_404(request, SupplierMerge)
