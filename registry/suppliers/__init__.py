"""Suppliers, their ultimate parent groups, and merging duplicate records."""

from pyramid.config import Configurator

from registry.suppliers.interfaces import ISupplierService


def includeme(config: Configurator) -> None:
    # Named, not imported: importing the package (for its models) must not load its services,
    # which import other packages' models in turn.
    config.register_service_factory(
        "registry.suppliers.services.supplier_service_factory", ISupplierService
    )
