"""/methodology: the scoring method explained, with a worked example."""

from __future__ import annotations

import datetime
from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from registry.authnz import Permissions
from registry.opendata import methods
from registry.scoring.assessments.services import DEFAULT_REPLY_WINDOW_DAYS, REPLY_WINDOW_SETTING
from registry.scoring.scores import method


@view_config(
    route_name="methodology",
    renderer="scoring/methodology.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def methodology(request: Request) -> dict[str, Any]:
    example = method.compute(
        method.Aggregates(
            count=2,
            weight=2.0,
            weighted_points=200.0,
            weighted_points_sq=20000.0,
            ratings={"Good": 2},
        ),
        60.0,
        datetime.date(2024, 12, 31),
    )
    return {
        "method": method,
        "procurement_methods": methods,
        "points": [(r.value, p) for r, p in method.POINTS.items()],
        "example": example,
        "reply_window_days": request.registry.settings.get(
            REPLY_WINDOW_SETTING, DEFAULT_REPLY_WINDOW_DAYS
        ),
    }
