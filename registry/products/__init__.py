"""Products and their end of support, linked to contracts and obligations; the exposure pages."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    # Views are found by the app's scan; the product pages need no services of their own.
    pass
