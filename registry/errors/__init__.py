"""Error pages in the house style, JSON errors under /api; never a traceback."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
