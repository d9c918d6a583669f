"""KPI assessments, the review queue, the supplier's reply, scores and scorecards."""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from registry.integers import whole_number
from registry.scoring import clock_views
from registry.scoring.assessments import DEFAULT_REPLY_WINDOW_DAYS
from registry.scoring.scorecard import scorecard

REPLY_WINDOW_SETTING = "registry.scoring.reply_window_days"


def reply_window_days(settings: dict[str, Any]) -> int:
    """The supplier's reply window in days: a whole number from 1 to 90 (CPARS gives 14)."""
    raw = str(settings.get(REPLY_WINDOW_SETTING, DEFAULT_REPLY_WINDOW_DAYS)).strip()
    days = whole_number(raw, 1, 90)
    if days is None:
        raise ConfigurationError(
            f"{REPLY_WINDOW_SETTING} must be a whole number of days from 1 to 90, not {raw!r}"
        )
    return days


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    # Checked at start-up, so a bad value stops the app rather than a supplier's reply.
    settings[REPLY_WINDOW_SETTING] = reply_window_days(settings)
    # The scorecard partial asks for its data, so the supplier page needs no scoring code.
    config.add_request_method(_supplier_scorecard, name="supplier_scorecard")
    # The same for the assessment clocks and the buyer's on-time record and rating distribution.
    config.add_request_method(clock_views.contract_clocks, name="contract_clocks")
    config.add_request_method(clock_views.supplier_clocks, name="supplier_clocks")
    config.add_request_method(clock_views.buyer_assessment_record, name="buyer_assessment_record")


def _supplier_scorecard(request: Any, supplier_id: int) -> dict[str, Any]:
    return scorecard(request.db, supplier_id)
