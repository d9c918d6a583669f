"""Contracts and call-offs, with extensions and retraction."""

from pyramid.config import Configurator

from registry.contracts.interfaces import IContractService
from registry.contracts.services import contract_service_factory


def includeme(config: Configurator) -> None:
    config.register_service_factory(contract_service_factory, IContractService)
