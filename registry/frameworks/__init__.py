"""Frameworks, lots, memberships and obligations."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
