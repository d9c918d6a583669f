"""Route factory for /buyers/{id}/...: the buyer loaded once."""

from __future__ import annotations

import functools

from registry.buyers.models import Buyer
from registry.resources import PublicRecordContext, record_or_404


class BuyerContext(PublicRecordContext):
    __name__ = "buyer"

    @functools.cached_property
    def buyer(self) -> Buyer:
        return record_or_404(self.request, Buyer)
