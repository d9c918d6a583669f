"""Scores: the versioned method, the set-based SQL that applies it to the published
assessments, full and incremental runs, scores that follow their inputs, and the scorecard."""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request

from registry.scoring.scores.scorecard import scorecard


def supplier_scorecard(request: Request, supplier_id: int) -> dict[str, Any]:
    return scorecard(request.db, supplier_id)


def includeme(config: Configurator) -> None:
    # The scorecard partial asks for its data, so the supplier page needs no scoring code.
    config.add_request_method(supplier_scorecard, name="supplier_scorecard")
