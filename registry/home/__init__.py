"""The home page."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
