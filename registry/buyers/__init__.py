"""Buyers: the public bodies that award contracts."""

from pyramid.config import Configurator

from registry.buyers.interfaces import IBuyerService
from registry.buyers.services import buyer_service_factory


def includeme(config: Configurator) -> None:
    config.register_service_factory(buyer_service_factory, IBuyerService)
