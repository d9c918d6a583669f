"""Route factory for /buyers/{id}/...: the buyer loaded once."""

from __future__ import annotations

from pyramid.request import Request

from registry.buyers.models import Buyer
from registry.resources import PublicRecordContext, record_or_404


class BuyerContext(PublicRecordContext):
    __name__ = "buyer"

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.buyer = record_or_404(request, Buyer)
