"""Contracts and call-offs, with extensions and retraction."""

from pyramid.config import Configurator

from registry.contracts.interfaces import IContractService


def includeme(config: Configurator) -> None:
    # Named, not imported: importing the package (for its models) must not load its services,
    # which import other packages' models in turn.
    config.register_service_factory(
        "registry.contracts.services.contract_service_factory", IContractService
    )
