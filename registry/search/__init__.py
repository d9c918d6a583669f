"""Search behind a backend interface (Whoosh by default), indexed after commit."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
