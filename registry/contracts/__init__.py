"""Contracts and call-offs, with extensions and retraction."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
