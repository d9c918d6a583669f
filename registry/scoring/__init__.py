"""KPI assessments, the review queue, the supplier's reply, scores and scorecards."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
