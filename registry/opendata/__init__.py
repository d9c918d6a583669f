"""Open data in and out: OCDS import and export, CSV and JSON downloads."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
