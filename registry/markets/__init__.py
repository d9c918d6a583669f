"""Markets (CPV prefix or framework lot) and their concentration."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
