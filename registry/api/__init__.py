"""The JSON API under /api/v1, with its OpenAPI document and API tokens."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
