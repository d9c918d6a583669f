"""Suppliers, their ultimate parent groups, and merging duplicate records."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
