"""KPI assessments: the officer's record, the supplier's reply, the auditor's review queue, who
may read which, and the evidence check of each rating."""

from __future__ import annotations

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    from registry.scoring.assessments.services import REPLY_WINDOW_SETTING, reply_window_days

    settings = config.get_settings()
    # Checked at start-up, so a bad value stops the app rather than a supplier's reply.
    settings[REPLY_WINDOW_SETTING] = reply_window_days(settings)
