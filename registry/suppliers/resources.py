"""Route factories for /suppliers/{id}/..., /suppliers/groups/{id}/... and a merge's reversal."""

from __future__ import annotations

import functools

from sqlalchemy.orm import joinedload

from registry.resources import PublicRecordContext, record_or_404
from registry.suppliers.models import Supplier, SupplierGroup, SupplierMerge


class SupplierContext(PublicRecordContext):
    """A supplier's pages, merged or not: the views say what a merged record may not have."""

    __name__ = "supplier"

    @functools.cached_property
    def supplier(self) -> Supplier:
        # Its group is on every page of it: read in the same query.
        return record_or_404(self.request, Supplier, joinedload(Supplier.group))


class GroupContext(PublicRecordContext):
    __name__ = "supplier-group"

    @functools.cached_property
    def group(self) -> SupplierGroup:
        return record_or_404(self.request, SupplierGroup)


class MergeContext(PublicRecordContext):
    """/suppliers/merges/{id}/reverse: a merge, reversed already or not."""

    __name__ = "supplier-merge"

    @functools.cached_property
    def merge(self) -> SupplierMerge:
        return record_or_404(self.request, SupplierMerge)
