"""The flag pages: the list with its filters, one flag with its evidence, and its lifecycle."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults

from registry.audit import actors
from registry.audit.services import events_for
from registry.authnz import Permissions
from registry.flags.coverage import NOT_DECLARED, coverage_counts, coverage_query
from registry.flags.detectors import DETECTORS
from registry.flags.evidence import evidence_for
from registry.flags.forms import FlagStatusForm
from registry.flags.metrics import currency_of, metric_rows, threshold_rows
from registry.flags.models import (
    COVERAGE_LABELS,
    CoverageState,
    Flag,
    FlagGroup,
    FlagStatus,
    Severity,
    SubjectType,
)
from registry.flags.services import FlagError, allowed_moves, change_status
from registry.integers import record_id, whole_number
from registry.markets.cache import cached
from registry.markets.keys import MarketKey
from registry.pagination import page_number, paginate

FILTERS: dict[str, Any] = {
    "detector": {d.id: d.title for d in DETECTORS.values()},
    "severity": {s.value: s.value.capitalize() for s in Severity},
    "status": {
        "active": "Open or acknowledged",
        **{s.value: s.value.capitalize() for s in FlagStatus},
    },
    "subject_type": {s.value: s.value.capitalize() for s in SubjectType},
}


def _coverage(request: Request, detector: str | None = None) -> Any:
    """Coverage counts change only when detection runs: kept per process as long as the market
    figures (`registry.markets.cache_seconds`), one detector's alone where one is shown."""
    counts = cached(request, ("coverage", detector), lambda: coverage_counts(request.db, detector))
    return counts if detector is None else counts.get(detector)


# The flags about one record, linked from its page (which lists only the first of them).
SUBJECTS: dict[str, tuple[str, Any]] = {
    "group_id": (
        "supplier group",
        lambda v: Flag.id.in_(sa.select(FlagGroup.flag_id).where(FlagGroup.group_id == v)),
    ),
    "buyer_id": ("buyer", lambda v: Flag.buyer_id == v),
    "framework_id": ("framework", lambda v: Flag.framework_id == v),
    "market_key": ("market", lambda v: Flag.market_key == v),
}


def _subject(request: Request, errors: list[str]) -> tuple[str, Any] | None:
    """?group_id=, ?buyer_id=, ?framework_id= or ?market_key=: (what it reads as, condition)."""
    for name, (noun, condition) in SUBJECTS.items():
        value = request.params.get(name, "").strip()
        if not value:
            continue
        if name == "market_key" and MarketKey.parse(value) is not None:
            return f"{noun} {value}", condition(value)
        number = whole_number(value, minimum=1)
        if name != "market_key" and number is not None:
            return f"{noun} {number}", condition(number)
        errors.append(f"There is no {noun} {value[:40]!r}: the filter was not used")
    return None


SEVERITY_ORDER = sa.case(
    (Flag.severity == Severity.high, 0), (Flag.severity == Severity.medium, 1), else_=2
)


@view_config(
    route_name="flags.list",
    renderer="flags/list.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def flag_list(request: Request) -> dict[str, Any]:
    query = sa.select(Flag)
    chosen: dict[str, str] = {}
    errors = []
    for name, choices in FILTERS.items():
        value = request.params.get(name, "").strip()
        if not value:
            continue
        if value not in choices:
            errors.append(
                f"There is no {name.replace('_', ' ')} called {value[:40]!r}: it was not used"
            )
            continue
        chosen[name] = value
        if name == "status" and value == "active":
            query = query.where(Flag.status.in_([FlagStatus.open, FlagStatus.acknowledged]))
        else:
            query = query.where(getattr(Flag, name) == value)
    subject = _subject(request, errors)
    if subject is not None:
        query = query.where(subject[1])
    query = query.order_by(SEVERITY_ORDER, Flag.last_detected.desc(), Flag.id.desc())
    page = paginate(request.db, query, page_number(request))
    return {
        "page": page,
        "filters": FILTERS,
        "chosen": chosen,
        "subject": subject[0] if subject else None,
        "errors": errors,
        "detectors": DETECTORS,
        "coverage": _coverage(request),
    }


@view_defaults(
    route_name="flags.detail", renderer="flags/detail.html", permission=Permissions.PublicRead
)
class FlagViews:
    _form_class = FlagStatusForm

    def __init__(self, request: Request) -> None:
        self.request = request
        flag = request.db.get(Flag, record_id(request))
        if flag is None:
            raise HTTPNotFound("There is no flag with that number.")
        self.flag = flag

    def _page(self, form: FlagStatusForm | None = None) -> dict[str, Any]:
        flag = self.flag
        can_triage = bool(self.request.has_permission(Permissions.AuditorFlagsTriage))
        moves = allowed_moves(flag)
        if form is None and can_triage and moves:
            form = self._form_class(allowed=moves)
        return {
            "flag": flag,
            "metrics": metric_rows(flag.metrics),
            "thresholds": threshold_rows(DETECTORS.get(flag.detector), flag.thresholds or {}),
            "currency": currency_of(flag.metrics),
            "detector": DETECTORS.get(flag.detector),
            "evidence": evidence_for(self.request, flag),
            "events": actors.history(
                self.request.db, self.request.identity, events_for(self.request.db, "flag", flag.id)
            )
            if can_triage
            else [],
            "form": form if can_triage and (moves or form is not None) else None,
            "moves": moves,
            "coverage": _coverage(self.request, flag.detector),
        }

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        return self._page()

    @view_config(
        route_name="flags.status", request_method="POST", permission=Permissions.AuditorFlagsTriage
    )
    def change(self) -> Any:
        request = self.request
        form = self._form_class(request.POST, allowed=allowed_moves(self.flag))
        if not allowed_moves(self.flag):
            form.form_errors.append(f"A flag that is {self.flag.status} cannot be changed")
        elif form.validate():
            try:
                change_status(
                    request.db,
                    self.flag,
                    FlagStatus(form.status.data),
                    actor=request.identity,
                    reason=form.reason.data,
                )
            except FlagError as exc:
                form.form_errors.append(str(exc))
            else:
                request.session.flash(f"The flag is now {self.flag.status}.", queue="success")
                return HTTPSeeOther(request.route_path("flags.detail", id=self.flag.id))
        request.response.status = 400
        return self._page(form)


# ?state= on a detector's page: the state's name (not_applicable), which reads well in a URL.
STATES = {state.name: state for state in CoverageState}


@view_config(
    route_name="flags.detector",
    renderer="flags/detector.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def detector_coverage(request: Request) -> dict[str, Any]:
    """One detector: its rule and every subject it examined, flagged or not (coverage)."""
    detector = DETECTORS.get(request.matchdict["detector"])
    if detector is None:
        raise HTTPNotFound("There is no detector with that name.")
    raw = request.params.get("state", "").strip()
    error = None
    state = STATES.get(raw)
    if raw and state is None:
        error = f"There is no state called {raw[:40]!r}: every subject is shown"
    page = paginate(request.db, coverage_query(detector.id, state), page_number(request))
    # The flags behind this page's flagged rows, to link each to its evidence: one query.
    keys = [(row.subject_type, row.subject_key) for row in page.items]
    flags = {}
    if keys:
        flags = {
            (flag.subject_type, flag.subject_key): flag
            for flag in request.db.execute(
                sa.select(Flag).where(
                    Flag.detector == detector.id,
                    sa.tuple_(Flag.subject_type, Flag.subject_key).in_(keys),
                )
            ).scalars()
        }
    thresholds = request.registry["registry.detection"].thresholds[detector.id]
    return {
        "detector": detector,
        "rule": detector.describe(thresholds),
        "counts": _coverage(request, detector.id),
        "page": page,
        "state": state.name if state else "",
        "states": {name: COVERAGE_LABELS[s] for name, s in STATES.items()},
        "error": error,
        "flags": flags,
        "not_declared": NOT_DECLARED if detector.coverage is None else None,
    }
