"""Buyers: the public bodies that award contracts."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
