"""CSV import of frameworks, suppliers, obligations and contracts."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
