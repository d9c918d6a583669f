"""The lock-in detectors, one module each, and their settings from the ini file.

A threshold is set as `registry.detectors.<detector id>.<threshold> = value`; anything else under
`registry.detectors.` (a misspelt detector or threshold) is refused, as is a value out of range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from registry.flags.detectors import (
    aggregation_opportunity,
    buyer_dependency,
    closed_framework,
    end_of_support,
    extension_creep,
    market_concentration,
    missing_exit_portability,
    monopoly_duopoly,
    non_competitive_share,
    over_long_framework,
    proprietary_interfaces,
    repeat_awards,
)
from registry.flags.detectors.base import SETTINGS_PREFIX, Detector, Finding, RunContext, Threshold
from registry.markets.services import cpv_depth

DETECTORS: dict[str, Detector] = {
    module.DETECTOR.id: module.DETECTOR
    for module in (
        market_concentration,
        monopoly_duopoly,
        buyer_dependency,
        repeat_awards,
        non_competitive_share,
        extension_creep,
        over_long_framework,
        missing_exit_portability,
        proprietary_interfaces,
        # Issue 10: beyond lock-in.
        aggregation_opportunity,
        end_of_support,
        closed_framework,
    )
}

__all__ = [
    "DETECTORS",
    "DetectionSettings",
    "Detector",
    "Finding",
    "RunContext",
    "Threshold",
    "load_settings",
]


@dataclasses.dataclass(frozen=True)
class DetectionSettings:
    thresholds: dict[str, dict[str, int | float]]
    cpv_depth: int


def load_settings(settings: Mapping[str, Any]) -> DetectionSettings:
    """Every detector's thresholds, defaults overridden by the ini; ConfigurationError naming the
    setting when one is unknown, of the wrong type or out of range."""
    thresholds = {d.id: d.defaults for d in DETECTORS.values()}
    for name, raw in settings.items():
        if not name.startswith(SETTINGS_PREFIX):
            continue
        detector_id, _, threshold_name = name[len(SETTINGS_PREFIX) :].partition(".")
        detector = DETECTORS.get(detector_id)
        if detector is None:
            raise ConfigurationError(
                f"{name}: there is no detector {detector_id!r} (detectors: {', '.join(DETECTORS)})"
            )
        spec = {t.name: t for t in detector.thresholds}.get(threshold_name)
        if spec is None:
            raise ConfigurationError(
                f"{name}: detector {detector_id} has no threshold {threshold_name!r} "
                f"(thresholds: {', '.join(t.name for t in detector.thresholds)})"
            )
        thresholds[detector_id][threshold_name] = spec.parse(name, raw)
    return DetectionSettings(thresholds=thresholds, cpv_depth=cpv_depth(settings))


def includeme(config: Configurator) -> None:
    config.registry["registry.detection"] = load_settings(config.get_settings())
