"""Scoring: KPI assessments and their review (assessments), the scores computed from them
(scores), the assessment clocks of the Procurement Act 2023 (clocks), and the remedies: breaches,
remediation plans and exclusions (remedies). Their models register with the metadata through
registry.models; their views are found by the app's scan."""

from __future__ import annotations

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    # The reply window setting, checked at start-up.
    config.include(".assessments")
    # The request methods the supplier, contract and buyer pages' partials ask for data through.
    config.include(".scores")
    config.include(".clocks")
