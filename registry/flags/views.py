"""The flag pages: the list with its filters, one flag with its evidence, and its lifecycle."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults

from registry.audit.services import events_for
from registry.authnz import Permissions
from registry.flags.detectors import DETECTORS
from registry.flags.evidence import evidence_for
from registry.flags.forms import FlagStatusForm
from registry.flags.models import Flag, FlagStatus, Severity, SubjectType
from registry.flags.services import FlagError, allowed_moves, change_status
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
    query = query.order_by(SEVERITY_ORDER, Flag.last_detected.desc(), Flag.id.desc())
    page = paginate(request.db, query, page_number(request))
    return {
        "page": page,
        "filters": FILTERS,
        "chosen": chosen,
        "errors": errors,
        "detectors": DETECTORS,
    }


@view_defaults(
    route_name="flags.detail", renderer="flags/detail.html", permission=Permissions.PublicRead
)
class FlagViews:
    _form_class = FlagStatusForm

    def __init__(self, request: Request) -> None:
        self.request = request
        flag = request.db.get(Flag, int(request.matchdict["id"]))
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
            "detector": DETECTORS.get(flag.detector),
            "evidence": evidence_for(self.request, flag),
            "events": events_for(self.request.db, "flag", flag.id) if can_triage else [],
            "form": form if can_triage and (moves or form is not None) else None,
            "moves": moves,
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
