"""Aggregation opportunities: many buyers buying one supplier group's products separately."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    # The pages read the detector's settings (registry.detection, set by registry.flags).
    pass
