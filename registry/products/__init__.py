"""Products and their end of support, linked to contracts and obligations; the exposure pages."""

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request

from registry.clock import today
from registry.products.exposure import find_exposures


def buyer_exposures(request: Request, buyer_id: int) -> list[Any]:
    """A buyer's exposures today, for templates/products/_buyer_exposures.html (buyer pages)."""
    grace = request.registry["registry.detection"].thresholds["end_of_support"]["grace_days"]
    return find_exposures(request.db, today(), int(grace), buyer_id=buyer_id)


def includeme(config: Configurator) -> None:
    config.add_request_method(buyer_exposures, "buyer_exposures")
