"""Frameworks, lots, memberships and obligations."""

from pyramid.config import Configurator

from registry.frameworks.interfaces import IFrameworkService
from registry.frameworks.services import framework_service_factory


def includeme(config: Configurator) -> None:
    config.register_service_factory(framework_service_factory, IFrameworkService)
