"""The supplier's reply window is a setting checked when the app starts."""

from __future__ import annotations

from typing import Any

import pytest
from pyramid.exceptions import ConfigurationError

from registry.config import configure
from registry.scoring.assessments.services import REPLY_WINDOW_SETTING, reply_window_days


def test_default_is_14_days() -> None:
    assert reply_window_days({}) == 14
    assert reply_window_days({REPLY_WINDOW_SETTING: " 30 "}) == 30


@pytest.mark.parametrize("value", ["0", "91", "fourteen", "-3", "7.5"])
def test_bad_values_stop_the_app_starting(app_settings: dict[str, Any], value: str) -> None:
    with pytest.raises(ConfigurationError, match="reply_window_days must be a whole number"):
        configure({**app_settings, REPLY_WINDOW_SETTING: value})
