"""The append-only, hash-chained audit trail every accountable change writes to."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
