"""Admin forms for obligations (new, edit, retract) and memberships (add, change status)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from wtforms.fields.choices import SelectChoice

from registry.authnz import Permissions
from registry.forms import Form
from registry.frameworks.forms import (
    MembershipForm,
    MembershipStatusForm,
    ObligationForm,
    RetractForm,
)
from registry.frameworks.models import Membership, MembershipStatus, Obligation
from registry.frameworks.services import FrameworkError, MembershipInput, ObligationInput
from registry.frameworks.views.admin import FORM, FrameworkView, LotView
from registry.integers import record_id, whole_number
from registry.suppliers.models import Supplier
from registry.views import form_views

# The supplier list on the membership form; past this many, admins type the registry number.
MAX_SUPPLIER_CHOICES = 1000


def _plain(value: Decimal) -> Decimal:
    """99.5000 as 99.5 and 100.0000 as 100 (normalize alone would give 1E+2)."""
    return Decimal(f"{value.normalize():f}")


def _obligation_input(form: ObligationForm) -> ObligationInput:
    lot = form.lot_id.data or ""
    return ObligationInput(
        category=form.category.data,  # the service checks it
        title=form.title.data or "",
        description=form.description.data or "",
        standard_reference=form.standard_reference.data,
        lot_id=whole_number(lot, minimum=1),
        supplier_id=form.supplier_id.data,
        kpi_target=form.kpi_target.data,
        kpi_unit=form.kpi_unit.data,
        kpi_direction=form.kpi_direction.data or None,
        weight=form.weight.data if form.weight.data is not None else Decimal(0),
        mandatory=bool(form.mandatory.data),
        illustrative=bool(form.illustrative.data),
    )


class ObligationView(FrameworkView):
    def obligation(self) -> Obligation:
        obligation = self.request.db.get(Obligation, record_id(self.request))
        if obligation is None or obligation.framework_id != self.framework.id:
            raise HTTPNotFound()
        return obligation

    def back(self) -> str:
        return self.framework_url(self.framework) + "#obligations"


class ObligationFormView(ObligationView):
    """New and edit share the form: its lot choices are the framework's lots."""

    def form(self, formdata: Any = None, **kwargs: Any) -> ObligationForm:
        lots = [
            SelectChoice(str(lot.id), f"Lot {lot.number}: {lot.title}")
            for lot in self.framework.lots
            if not lot.is_retracted
        ]
        return ObligationForm(formdata, lots=lots, **kwargs)


@form_views("frameworks.obligations.new", FORM, Permissions.AdminFrameworksWrite)
class NewObligationViews(ObligationFormView):
    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {
            "form": form,
            "caption": self.framework.reference,
            "heading": "Add an obligation",
            "intro": "What suppliers on this framework signed up to: for all of them, for one "
            "lot, or for one supplier. Give a KPI target to measure it by.",
            "submit": "Add obligation",
            "back": self.back(),
            "refused": "The framework is retracted." if self.framework.is_retracted else None,
        }

    def save(self, form: ObligationForm) -> Any:
        obligation = self.service.create_obligation(
            self.framework, _obligation_input(form), actor=self.request.identity
        )
        return self.done(f"Obligation '{obligation.title}' added", self.back())


@form_views("frameworks.obligations.edit", FORM, Permissions.AdminFrameworksWrite)
class EditObligationViews(ObligationFormView):
    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.record = self.obligation()

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {
            "form": form,
            "caption": self.framework.reference,
            "heading": "Edit the obligation",
            "submit": "Save changes",
            "back": self.back(),
            "refused": "A retracted obligation cannot be changed."
            if self.record.is_retracted
            else None,
        }

    def show(self) -> dict[str, Any]:
        o = self.record
        data = {
            "category": o.category.value,
            "title": o.title,
            "description": o.description,
            "standard_reference": o.standard_reference,
            "lot_id": str(o.lot_id) if o.lot_id else "",
            "supplier_id": o.supplier_id,
            "kpi_target": _plain(o.kpi_target) if o.kpi_target is not None else None,
            "kpi_unit": o.kpi_unit,
            "kpi_direction": o.kpi_direction.value if o.kpi_direction else "",
            "weight": _plain(o.weight),
            "mandatory": o.mandatory,
            "illustrative": o.illustrative,
        }
        return self.page(self.form(data=data))

    def save(self, form: ObligationForm) -> Any:
        self.service.update_obligation(
            self.record, _obligation_input(form), actor=self.request.identity
        )
        return self.done(f"Obligation '{self.record.title}' changed", self.back())


@form_views("frameworks.obligations.retract", FORM, Permissions.AdminFrameworksWrite)
class RetractObligationViews(ObligationView):
    form_class = RetractForm

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.record = self.obligation()

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {
            "form": form,
            "caption": self.framework.reference,
            "heading": f"Retract the obligation '{self.record.title}'",
            "intro": "The obligation stays on the public record, marked as retracted, with your "
            "reason. It no longer counts in scores or lock-in checks.",
            "submit": "Retract obligation",
            "warning": True,
            "back": self.back(),
            "refused": "The obligation is already retracted." if self.record.is_retracted else None,
        }

    def save(self, form: RetractForm) -> Any:
        self.service.retract_obligation(
            self.record, reason=form.reason.data or "", actor=self.request.identity
        )
        return self.done(f"Obligation '{self.record.title}' retracted", self.back())


@form_views("frameworks.memberships.new", FORM, Permissions.AdminFrameworksWrite)
class NewMembershipViews(LotView):
    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        retracted = self.framework.is_retracted or self.lot.is_retracted
        return {
            "form": form,
            "caption": f"{self.framework.reference} lot {self.lot.number}",
            "heading": "Add a supplier to the lot",
            "submit": "Add supplier",
            "back": self.lot_url(),
            "refused": "The lot or its framework is retracted." if retracted else None,
        }

    def form(self, formdata: Any = None) -> MembershipForm:
        rows = self.request.db.execute(
            sa.select(Supplier.id, Supplier.name)
            .where(Supplier.merged_into_id.is_(None))
            .order_by(sa.func.lower(Supplier.name), Supplier.id)
            .limit(MAX_SUPPLIER_CHOICES)
        ).all()
        return MembershipForm(
            formdata, suppliers=[SelectChoice(str(i), f"{name} ({i})") for i, name in rows]
        )

    def save(self, form: MembershipForm) -> Any:
        data = MembershipInput(
            supplier_id=form.supplier_id() or 0,
            status=form.status.data,  # the service checks it
            start_date=form.start_date.data,
            end_date=form.end_date.data,
            reason=form.reason.data or "",
            illustrative=bool(form.illustrative.data),
        )
        membership = self.service.add_membership(self.lot, data, actor=self.request.identity)
        return self.done(
            f"{membership.supplier.name} added to lot {self.lot.number}", self.lot_url()
        )


@form_views("frameworks.memberships.status", FORM, Permissions.AdminFrameworksWrite)
class MembershipStatusViews(FrameworkView):
    def __init__(self, request: Request) -> None:
        super().__init__(request)
        membership = request.db.get(Membership, record_id(request))
        if membership is None or membership.lot.framework_id != self.framework.id:
            raise HTTPNotFound()
        self.membership = membership

    def lot_url(self) -> str:
        return self.request.route_path(
            "frameworks.lots.detail",
            reference=self.framework.reference,
            number=self.membership.lot.number,
        )

    def form(self, formdata: Any = None) -> MembershipStatusForm:
        form = MembershipStatusForm(formdata)
        # The current status is not a change: offer the others only.
        form.status.choices = [
            SelectChoice(s.value, s.value[:1].upper() + s.value[1:])
            for s in MembershipStatus
            if s != self.membership.status
        ]
        return form

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        m = self.membership
        return {
            "form": form,
            "caption": f"{self.framework.reference} lot {m.lot.number}",
            "heading": f"Change {m.supplier.name}'s status on the lot",
            "intro": f"The supplier is {m.status.value} on this lot. Every change is kept with "
            "its reason and shown publicly.",
            "submit": "Change status",
            "back": self.lot_url(),
            "refused": "The framework is retracted." if self.framework.is_retracted else None,
        }

    def save(self, form: MembershipStatusForm) -> Any:
        if self.framework.is_retracted:
            raise FrameworkError([("", "The framework is retracted")])
        self.service.change_membership_status(
            self.membership,
            form.status.data or "",
            reason=form.reason.data or "",
            actor=self.request.identity,
        )
        return self.done(
            f"{self.membership.supplier.name} is now {self.membership.status.value} on lot "
            f"{self.membership.lot.number}",
            self.lot_url(),
        )
