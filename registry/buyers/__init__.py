"""Buyers: the public bodies that award contracts."""

from pyramid.config import Configurator

from registry.buyers.interfaces import IBuyerService


def includeme(config: Configurator) -> None:
    # Named, not imported: importing the package (for its models) must not load its services,
    # which import other packages' models in turn.
    config.register_service_factory("registry.buyers.services.buyer_service_factory", IBuyerService)
