"""Lock-in detectors and the flags they raise, with their evidence."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
