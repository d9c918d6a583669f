"""Admin forms: new and edit framework, change its status, retract it; new, edit, retract lot.

Each view is a registry.views.FormView: GET shows the form; POST validates, calls the service
and redirects with a flash, or re-renders with status 400 and the problems on their fields.
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from registry.authnz import Permissions
from registry.forms import Form
from registry.frameworks.forms import (
    FrameworkEditForm,
    FrameworkForm,
    LotForm,
    RetractForm,
    StatusForm,
)
from registry.frameworks.interfaces import IFrameworkService
from registry.frameworks.models import Framework, FrameworkStatus, Lot
from registry.frameworks.services import (
    FrameworkError,
    FrameworkInput,
    LotInput,
    allowed_statuses,
    parse_cpv_codes,
)
from registry.views import FormView, form_views

FORM = "frameworks/form.html"


class AdminView(FormView):
    """The frameworks service, its refusals, and the framework's page to go back to."""

    service_interface = IFrameworkService
    error_class = FrameworkError

    def framework_url(self, framework: Framework) -> str:
        return self.request.route_path("frameworks.detail", reference=framework.reference)


class FrameworkView(AdminView):
    """A form about one framework, named in the URL."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.framework: Framework = request.context.framework


class LotView(FrameworkView):
    """A form about one lot of the framework, named in the URL."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.lot: Lot = request.context.lot

    def lot_url(self) -> str:
        return self.request.route_path(
            "frameworks.lots.detail", reference=self.framework.reference, number=self.lot.number
        )


def _framework_input(form: FrameworkForm, status: FrameworkStatus) -> FrameworkInput:
    return FrameworkInput(
        reference=form.reference.data or "",
        title=form.title.data or "",
        owner_body=form.owner_body.data or "",
        description=form.description.data or "",
        status=status,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        extended_end_date=form.extended_end_date.data,
        max_term_months=form.max_term_months.data,
        cpv_codes=parse_cpv_codes(form.cpv_codes.data),
        source_url=form.source_url.data,
        illustrative=bool(form.illustrative.data),
        ceiling_amount=form.ceiling_amount.data,
        ceiling_currency=form.ceiling_currency.data,
    )


def _framework_formdata(framework: Framework) -> dict[str, Any]:
    return {
        "reference": framework.reference,
        "title": framework.title,
        "owner_body": framework.owner_body,
        "description": framework.description,
        "start_date": framework.start_date,
        "end_date": framework.end_date,
        "extended_end_date": framework.extended_end_date,
        "max_term_months": framework.max_term_months,
        "cpv_codes": ", ".join(framework.cpv_codes or []),
        "source_url": framework.source_url,
        "illustrative": framework.illustrative,
        # Shown again, so saving another change does not clear the ceiling.
        "ceiling_amount": framework.ceiling_amount,
        "ceiling_currency": framework.ceiling_currency,
    }


@form_views("frameworks.new", FORM, Permissions.AdminFrameworksWrite)
class NewFrameworkViews(AdminView):
    form_class = FrameworkForm

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {
            "form": form,
            "heading": "Record a framework",
            "submit": "Record framework",
            "back": self.request.route_path("frameworks.list"),
        }

    def save(self, form: FrameworkForm) -> Any:
        status = (
            FrameworkStatus(form.status.data) if form.status.data in set(FrameworkStatus) else None
        )
        if status is None:
            form.status.errors = ["Choose the framework's status from the list"]
            return self.invalid(form)
        framework = self.service.create_framework(
            _framework_input(form, status), actor=self.request.identity
        )
        return self.done(f"Framework {framework.reference} recorded", self.framework_url(framework))


@form_views("frameworks.edit", FORM, Permissions.AdminFrameworksWrite)
class EditFrameworkViews(FrameworkView):
    form_class = FrameworkEditForm

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {
            "form": form,
            "caption": self.framework.reference,
            "heading": "Edit the framework",
            "submit": "Save changes",
            "back": self.framework_url(self.framework),
            "refused": "A retracted framework cannot be changed."
            if self.framework.is_retracted
            else None,
        }

    def show(self) -> dict[str, Any]:
        return self.page(self.form_class(data=_framework_formdata(self.framework)))

    def save(self, form: FrameworkEditForm) -> Any:
        self.service.update_framework(
            self.framework,
            _framework_input(form, self.framework.status),
            actor=self.request.identity,
        )
        return self.done(
            f"Framework {self.framework.reference} changed", self.framework_url(self.framework)
        )


@form_views("frameworks.status", FORM, Permissions.AdminFrameworksWrite)
class FrameworkStatusViews(FrameworkView):
    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.allowed = allowed_statuses(self.framework)

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        refused = None
        if self.framework.is_retracted:
            refused = "A retracted framework's status cannot be changed."
        elif not self.allowed:
            refused = f"The framework is {self.framework.status.value}: that is the last status."
        return {
            "form": form,
            "caption": self.framework.reference,
            "heading": "Change the framework's status",
            "intro": f"The framework is {self.framework.status.value}. A framework moves "
            "one step at a time: coming, open, pending, standstill, live, expired.",
            "submit": "Change status",
            "back": self.framework_url(self.framework),
            "refused": refused,
        }

    def form(self, formdata: Any = None) -> StatusForm:
        return StatusForm(formdata, allowed=self.allowed)

    def save(self, form: StatusForm) -> Any:
        self.service.change_status(
            self.framework,
            form.status.data or "",
            reason=form.reason.data or "",
            actor=self.request.identity,
        )
        return self.done(
            f"Framework {self.framework.reference} is now {self.framework.status.value}",
            self.framework_url(self.framework),
        )


@form_views("frameworks.retract", FORM, Permissions.AdminFrameworksWrite)
class RetractFrameworkViews(FrameworkView):
    form_class = RetractForm

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {
            "form": form,
            "caption": self.framework.reference,
            "heading": "Retract the framework",
            "intro": "Retracting keeps the framework and everything on it, marked as retracted, "
            "with your reason. Use it for a framework recorded in error.",
            "submit": "Retract framework",
            "warning": True,
            "back": self.framework_url(self.framework),
            "refused": "The framework is already retracted."
            if self.framework.is_retracted
            else None,
        }

    def save(self, form: RetractForm) -> Any:
        self.service.retract_framework(
            self.framework, reason=form.reason.data or "", actor=self.request.identity
        )
        return self.done(
            f"Framework {self.framework.reference} retracted", self.framework_url(self.framework)
        )


def _lot_input(form: LotForm) -> LotInput:
    return LotInput(
        number=form.number.data or "",
        title=form.title.data or "",
        description=form.description.data or "",
        cpv_codes=parse_cpv_codes(form.cpv_codes.data),
        illustrative=bool(form.illustrative.data),
        membership_complete=bool(form.membership_complete.data),
        ceiling_amount=form.ceiling_amount.data,
        ceiling_currency=form.ceiling_currency.data,
    )


@form_views("frameworks.lots.new", FORM, Permissions.AdminFrameworksWrite)
class NewLotViews(FrameworkView):
    form_class = LotForm

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {
            "form": form,
            "caption": self.framework.reference,
            "heading": "Add a lot",
            "submit": "Add lot",
            "back": self.framework_url(self.framework),
            "refused": "The framework is retracted." if self.framework.is_retracted else None,
        }

    def save(self, form: LotForm) -> Any:
        lot = self.service.create_lot(self.framework, _lot_input(form), actor=self.request.identity)
        return self.done(
            f"Lot {lot.number} added to {self.framework.reference}",
            self.framework_url(self.framework),
        )


@form_views("frameworks.lots.edit", FORM, Permissions.AdminFrameworksWrite)
class EditLotViews(LotView):
    form_class = LotForm

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {
            "form": form,
            "caption": f"{self.framework.reference} lot {self.lot.number}",
            "heading": "Edit the lot",
            "submit": "Save changes",
            "back": self.lot_url(),
            "refused": "The lot or its framework is retracted."
            if self.framework.is_retracted or self.lot.is_retracted
            else None,
        }

    def show(self) -> dict[str, Any]:
        lot = self.lot
        data = {
            "number": lot.number,
            "title": lot.title,
            "description": lot.description,
            "cpv_codes": ", ".join(lot.cpv_codes or []),
            "illustrative": lot.illustrative,
            "membership_complete": lot.membership_complete,
            "ceiling_amount": lot.ceiling_amount,
            "ceiling_currency": lot.ceiling_currency,
        }
        return self.page(LotForm(data=data))

    def save(self, form: LotForm) -> Any:
        self.service.update_lot(self.lot, _lot_input(form), actor=self.request.identity)
        return self.done(f"Lot {self.lot.number} changed", self.lot_url())


@form_views("frameworks.lots.retract", FORM, Permissions.AdminFrameworksWrite)
class RetractLotViews(LotView):
    form_class = RetractForm

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        refused = None
        if self.lot.is_retracted:
            refused = "The lot is already retracted."
        elif self.framework.is_retracted:
            refused = "The framework is retracted."
        return {
            "form": form,
            "caption": f"{self.framework.reference} lot {self.lot.number}",
            "heading": "Retract the lot",
            "intro": "Retracting keeps the lot and its suppliers, marked as retracted, with your "
            "reason. Use it for a lot recorded in error; to take one supplier off the lot, change "
            "its status instead.",
            "submit": "Retract lot",
            "warning": True,
            "back": self.lot_url(),
            "refused": refused,
        }

    def save(self, form: RetractForm) -> Any:
        self.service.retract_lot(
            self.lot, reason=form.reason.data or "", actor=self.request.identity
        )
        return self.done(f"Lot {self.lot.number} retracted", self.lot_url())
