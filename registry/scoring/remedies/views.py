"""/suppliers/{id}/remedies: auditors record breaches, remediation plans and exclusions, and move
the supplier's memberships (in remediation, suspended). Each write is audited by the service."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from registry.authnz import Permissions
from registry.clock import today
from registry.frameworks.models import Lot, Membership
from registry.integers import record_id
from registry.scoring.remedies import services as remedies
from registry.scoring.remedies.forms import BreachForm, ExclusionForm, MembershipForm, PlanForm
from registry.suppliers.models import Supplier

FORMS = {
    "breach": BreachForm,
    "plan": PlanForm,
    "exclusion": ExclusionForm,
    "membership": MembershipForm,
}
DONE = {
    "breach": "Notice recorded and published on the supplier's scorecard.",
    "plan": "Remediation plan recorded and published on the supplier's scorecard.",
    "exclusion": "Exclusion recorded and published on the supplier's scorecard.",
    "membership": "Membership status changed.",
}


class RemediesPage:
    def __init__(self, request: Request) -> None:
        self.request = request
        supplier = request.db.get(Supplier, record_id(request))
        if supplier is None:
            raise HTTPNotFound()
        self.supplier: Supplier = supplier
        self.memberships = list(
            request.db.scalars(
                sa.select(Membership)
                .where(Membership.supplier_id == supplier.id)
                .options(selectinload(Membership.lot).selectinload(Lot.framework))
                .order_by(Membership.id)
            )
        )

    def _forms(self, posted: str | None = None) -> dict[str, Any]:
        forms: dict[str, Any] = {
            name: cls(self.request.POST if name == posted else None) for name, cls in FORMS.items()
        }
        choices = [
            SelectChoice(
                str(m.id),
                f"{m.lot.framework.reference} lot {m.lot.number}: {m.lot.title} ({m.status})",
            )
            for m in self.memberships
        ]
        forms["plan"].membership_id.choices = [SelectChoice("", "Not tied to a lot"), *choices]
        forms["membership"].membership_id.choices = choices
        return forms

    def _render(self, forms: dict[str, Any]) -> dict[str, Any]:
        return {"supplier": self.supplier, "forms": forms, "memberships": self.memberships}

    def _membership(self, raw: str | None, required: bool) -> Membership | None:
        for membership in self.memberships:
            if str(membership.id) == (raw or ""):
                return membership
        if required or raw:
            raise remedies.RemedyError(
                [("membership_id", "Choose one of the supplier's framework lots")]
            )
        return None

    def _write(self, name: str, form: Any) -> None:
        db, actor, supplier_id = self.request.db, self.request.identity, self.supplier.id
        if name == "breach":
            remedies.record_breach(
                db,
                supplier_id=supplier_id,
                kind=form.kind.data or "",
                occurred_on=form.occurred_on.data,
                description=form.description.data or "",
                actor=actor,
                notice_published_on=form.notice_published_on.data,
            )
        elif name == "plan":
            membership = self._membership(form.membership_id.data, required=False)
            remedies.record_remediation_plan(
                db,
                supplier_id=supplier_id,
                gap=form.gap.data or "",
                agreed_date=form.agreed_date.data,
                actor=actor,
                today=today(),
                membership_id=membership.id if membership else None,
                progress=form.progress.data or "",
                progress_percent=form.progress_percent.data or 0,
            )
        elif name == "exclusion":
            remedies.record_exclusion(
                db,
                supplier_id=supplier_id,
                ground=form.ground.data or "",
                kind=form.kind.data or "",
                start_date=form.start_date.data,
                expected_end_date=form.expected_end_date.data,
                actor=actor,
            )
        else:
            membership = self._membership(form.membership_id.data, required=True)
            assert membership is not None
            remedies.change_membership_status(
                db, membership, form.status.data or "", form.reason.data or "", actor
            )

    @view_config(
        route_name="remedies.supplier",
        renderer="scoring/remedies.html",
        permission=Permissions.AuditorReviewAct,
        request_method="GET",
    )
    def show(self) -> dict[str, Any]:
        return self._render(self._forms())

    @view_config(
        route_name="remedies.supplier",
        renderer="scoring/remedies.html",
        permission=Permissions.AuditorReviewAct,
        request_method="POST",
    )
    def submit(self) -> Any:
        name = self.request.POST.get("record", "")
        if name not in FORMS:
            raise HTTPNotFound()
        forms = self._forms(name)
        form = forms[name]
        if form.validate():
            try:
                self._write(name, form)
            except remedies.RemedyError as exc:
                form.add_errors(exc.errors)
            else:
                self.request.session.flash(DONE[name], queue="success")
                return HTTPSeeOther(
                    self.request.route_path("remedies.supplier", id=self.supplier.id)
                )
        self.request.response.status = 400
        return self._render(forms)
