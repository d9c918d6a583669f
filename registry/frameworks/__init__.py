"""Frameworks, lots, memberships and obligations."""

from pyramid.config import Configurator

from registry.frameworks.interfaces import IFrameworkService


def includeme(config: Configurator) -> None:
    # Named, not imported: importing the package (for its models) must not load its services,
    # which import other packages' models in turn.
    config.register_service_factory(
        "registry.frameworks.services.framework_service_factory", IFrameworkService
    )
