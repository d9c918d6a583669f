"""Open data in and out: OCDS import and export, CSV and JSON downloads."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    # Views are found by config.scan(); the importer and exporter are plain functions.
    pass
