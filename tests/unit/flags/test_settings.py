"""Thresholds from the ini: defaults, overrides, and bad values refused naming the setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyramid.exceptions import ConfigurationError

from registry.config import configure
from registry.flags.detectors import DETECTORS, load_settings
from tests.common.cli import run_cli, write_ini


def test_every_detector_has_defaults_a_rule_and_a_source() -> None:
    settings = load_settings({})
    assert len(DETECTORS) == 12  # nine lock-in detectors and issue 10's three
    for detector in DETECTORS.values():
        assert settings.thresholds[detector.id] == detector.defaults
        assert detector.source and detector.source_url.startswith("https://")
        assert detector.describe(detector.defaults)
    assert settings.thresholds["market_concentration"]["hhi_threshold"] == 1800
    assert settings.cpv_depth == 5


def test_overrides_are_read_with_their_type() -> None:
    settings = load_settings(
        {
            "registry.detectors.market_concentration.hhi_threshold": "2000",
            "registry.detectors.repeat_awards.min_awards": " 4 ",
            "registry.markets.cpv_depth": "8",
        }
    )
    assert settings.thresholds["market_concentration"]["hhi_threshold"] == 2000.0
    assert settings.thresholds["repeat_awards"]["min_awards"] == 4
    assert settings.cpv_depth == 8


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "registry.detectors.market_concentration.hhi_threshold",
            "12000",
            "between 0.0 and 10000.0",
        ),
        ("registry.detectors.market_concentration.hhi_threshold", "high", "must be a number"),
        ("registry.detectors.market_concentration.hhi_threshold", "nan", "between"),
        ("registry.detectors.repeat_awards.min_awards", "2.5", "must be a whole number"),
        ("registry.detectors.monopoly_duopoly.single_share", "-0.1", "between 0.0 and 1.0"),
        ("registry.detectors.market_concentraton.hhi_threshold", "1800", "no detector"),
        ("registry.detectors.market_concentration.hhi", "1800", "no threshold 'hhi'"),
        ("registry.markets.cpv_depth", "9", "from 2 to 8"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        load_settings({name: value})
    assert name in str(error.value)
    assert message in str(error.value)


def test_a_bad_threshold_stops_the_app_starting(app_settings: dict[str, Any]) -> None:
    settings = {**app_settings, "registry.detectors.buyer_dependency.share_threshold": "80%"}
    with pytest.raises(
        ConfigurationError, match=r"registry\.detectors\.buyer_dependency\.share_threshold"
    ):
        configure(settings)


def test_a_bad_threshold_stops_the_cli_naming_the_setting(
    tmp_path: Path, database_url: str
) -> None:
    ini = write_ini(tmp_path, database_url)
    ini.write_text(ini.read_text() + "registry.detectors.over_long_framework.max_years = 0\n")
    result = run_cli(ini, "detect", "--json")
    assert result.exit_code == 1
    assert (
        "registry.detectors.over_long_framework.max_years must be between 1 and 50" in result.output
    )
