"""Suppliers, their ultimate parent groups, and merging duplicate records."""

from pyramid.config import Configurator

from registry.suppliers.interfaces import ISupplierService
from registry.suppliers.services import supplier_service_factory


def includeme(config: Configurator) -> None:
    config.register_service_factory(supplier_service_factory, ISupplierService)
