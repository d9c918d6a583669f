"""The API's coverage: every lock-in detector and what it made of each subject it examined."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from registry.api.responses import json_response, keyset_page, next_link
from registry.api.validation import ApiError, validate_request
from registry.authnz import Permissions
from registry.flags.coverage import CoverageCounts, coverage_counts
from registry.flags.detectors import DETECTORS, Detector
from registry.flags.models import CoverageState, DetectorCoverage, Flag


def detector_json(
    request: Request, detector: Detector, counts: CoverageCounts | None
) -> dict[str, Any]:
    thresholds = request.registry["registry.detection"].thresholds[detector.id]
    return {
        "id": detector.id,
        "title": detector.title,
        "subjects": detector.subjects,
        "rule": detector.describe(thresholds),
        "source": detector.source,
        "method_version": detector.version,
        "declares_coverage": detector.coverage is not None,
        "coverage": (counts or CoverageCounts()).as_json(),
    }


@view_config(route_name="api.detectors", permission=Permissions.PublicRead, request_method="GET")
def detectors(request: Request) -> Response:
    validate_request(request)
    counts = coverage_counts(request.db)
    data = [detector_json(request, d, counts.get(d.id)) for d in DETECTORS.values()]
    return json_response(request, {"data": data})


@view_config(
    route_name="api.detector_coverage", permission=Permissions.PublicRead, request_method="GET"
)
def detector_coverage(request: Request) -> Response:
    params = validate_request(request)
    detector = DETECTORS.get(params["id"])
    if detector is None:
        raise ApiError(404, f"There is no detector called {params['id']}")
    query = sa.select(DetectorCoverage).where(DetectorCoverage.detector == detector.id)
    if params.get("state"):
        query = query.where(DetectorCoverage.state == CoverageState(params["state"]))
    items, cursor = keyset_page(request, params, query, DetectorCoverage.id)
    flagged = [(row.subject_type, row.subject_key) for row in items if row.state == "flagged"]
    flag_ids = {}
    if flagged:
        flag_ids = {
            (subject_type, key): flag_id
            for flag_id, subject_type, key in request.db.execute(
                sa.select(Flag.id, Flag.subject_type, Flag.subject_key).where(
                    Flag.detector == detector.id,
                    sa.tuple_(Flag.subject_type, Flag.subject_key).in_(flagged),
                )
            )
        }
    data = [
        {
            "subject_type": row.subject_type.value,
            "subject": row.subject_key,
            "subject_label": row.subject_label,
            "state": row.state.value,
            "reason": row.reason,
            "flag_id": flag_ids.get((row.subject_type, row.subject_key)),
            "method_version": row.method_version,
        }
        for row in items
    ]
    counts = coverage_counts(request.db).get(detector.id)
    return json_response(
        request,
        {
            "detector": detector_json(request, detector, counts),
            "data": data,
            "links": {"next": next_link(request, cursor)},
        },
    )
