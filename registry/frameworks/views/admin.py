"""Admin forms: new and edit framework, change its status, retract it; new, edit, retract lot.

Each GET shows the form; each POST validates, calls the service and redirects with a flash, or
re-renders with status 400 and the problems on their fields (the service writes nothing then).
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults

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
from registry.frameworks.views.public import framework_or_404, lot_or_404

FORM = "frameworks/form.html"


class AdminView:
    """What every admin form shares: the service, the page's words, the 400 re-render."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(IFrameworkService)

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {"form": form, **extra}

    def invalid(
        self, form: Form, error: FrameworkError | None = None, **extra: Any
    ) -> dict[str, Any]:
        if error is not None:
            form.add_errors(error.errors)
        self.request.response.status = 400
        return self.page(form, **extra)

    def done(self, message: str, url: str) -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        return HTTPSeeOther(url)

    def framework_url(self, framework: Framework) -> str:
        return self.request.route_path("frameworks.detail", reference=framework.reference)


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
    }


@view_defaults(
    route_name="frameworks.new", renderer=FORM, permission=Permissions.AdminFrameworksWrite
)
class NewFrameworkViews(AdminView):
    _form_class = FrameworkForm

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {
            "form": form,
            "heading": "Record a framework",
            "submit": "Record framework",
            "back": self.request.route_path("frameworks.list"),
        }

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        return self.page(self._form_class())

    @view_config(request_method="POST")
    def submit(self) -> Any:
        form = self._form_class(self.request.POST)
        if not form.validate():
            return self.invalid(form)
        status = (
            FrameworkStatus(form.status.data) if form.status.data in set(FrameworkStatus) else None
        )
        if status is None:
            form.status.errors = ["Choose the framework's status from the list"]
            return self.invalid(form)
        try:
            framework = self.service.create_framework(
                _framework_input(form, status), actor=self.request.identity
            )
        except FrameworkError as error:
            return self.invalid(form, error)
        return self.done(f"Framework {framework.reference} recorded", self.framework_url(framework))


@view_defaults(
    route_name="frameworks.edit", renderer=FORM, permission=Permissions.AdminFrameworksWrite
)
class EditFrameworkViews(AdminView):
    _form_class = FrameworkEditForm

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.framework = framework_or_404(request)

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

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        return self.page(self._form_class(data=_framework_formdata(self.framework)))

    @view_config(request_method="POST")
    def submit(self) -> Any:
        form = self._form_class(self.request.POST)
        if not form.validate():
            return self.invalid(form)
        try:
            self.service.update_framework(
                self.framework,
                _framework_input(form, self.framework.status),
                actor=self.request.identity,
            )
        except FrameworkError as error:
            return self.invalid(form, error)
        return self.done(
            f"Framework {self.framework.reference} changed", self.framework_url(self.framework)
        )


@view_defaults(
    route_name="frameworks.status", renderer=FORM, permission=Permissions.AdminFrameworksWrite
)
class FrameworkStatusViews(AdminView):
    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.framework = framework_or_404(request)
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

    def _form(self, formdata: Any = None) -> StatusForm:
        return StatusForm(formdata, allowed=self.allowed)

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        return self.page(self._form())

    @view_config(request_method="POST")
    def submit(self) -> Any:
        form = self._form(self.request.POST)
        if not form.validate():
            return self.invalid(form)
        try:
            self.service.change_status(
                self.framework,
                form.status.data or "",
                reason=form.reason.data or "",
                actor=self.request.identity,
            )
        except FrameworkError as error:
            return self.invalid(form, error)
        return self.done(
            f"Framework {self.framework.reference} is now {self.framework.status.value}",
            self.framework_url(self.framework),
        )


@view_defaults(
    route_name="frameworks.retract", renderer=FORM, permission=Permissions.AdminFrameworksWrite
)
class RetractFrameworkViews(AdminView):
    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.framework = framework_or_404(request)

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

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        return self.page(RetractForm())

    @view_config(request_method="POST")
    def submit(self) -> Any:
        form = RetractForm(self.request.POST)
        if not form.validate():
            return self.invalid(form)
        try:
            self.service.retract_framework(
                self.framework, reason=form.reason.data or "", actor=self.request.identity
            )
        except FrameworkError as error:
            return self.invalid(form, error)
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
        ceiling_amount=form.ceiling_amount.data,
        ceiling_currency=form.ceiling_currency.data,
    )


@view_defaults(
    route_name="frameworks.lots.new", renderer=FORM, permission=Permissions.AdminFrameworksWrite
)
class NewLotViews(AdminView):
    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.framework = framework_or_404(request)

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {
            "form": form,
            "caption": self.framework.reference,
            "heading": "Add a lot",
            "submit": "Add lot",
            "back": self.framework_url(self.framework),
            "refused": "The framework is retracted." if self.framework.is_retracted else None,
        }

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        return self.page(LotForm())

    @view_config(request_method="POST")
    def submit(self) -> Any:
        form = LotForm(self.request.POST)
        if not form.validate():
            return self.invalid(form)
        try:
            lot = self.service.create_lot(
                self.framework, _lot_input(form), actor=self.request.identity
            )
        except FrameworkError as error:
            return self.invalid(form, error)
        return self.done(
            f"Lot {lot.number} added to {self.framework.reference}",
            self.framework_url(self.framework),
        )


@view_defaults(
    route_name="frameworks.lots.edit", renderer=FORM, permission=Permissions.AdminFrameworksWrite
)
class EditLotViews(AdminView):
    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.framework = framework_or_404(request)
        self.lot: Lot = lot_or_404(request, self.framework)

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {
            "form": form,
            "caption": f"{self.framework.reference} lot {self.lot.number}",
            "heading": "Edit the lot",
            "submit": "Save changes",
            "back": self.request.route_path(
                "frameworks.lots.detail", reference=self.framework.reference, number=self.lot.number
            ),
            "refused": "The lot or its framework is retracted."
            if self.framework.is_retracted or self.lot.is_retracted
            else None,
        }

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        lot = self.lot
        data = {
            "number": lot.number,
            "title": lot.title,
            "description": lot.description,
            "cpv_codes": ", ".join(lot.cpv_codes or []),
            "illustrative": lot.illustrative,
        }
        return self.page(LotForm(data=data))

    @view_config(request_method="POST")
    def submit(self) -> Any:
        form = LotForm(self.request.POST)
        if not form.validate():
            return self.invalid(form)
        try:
            self.service.update_lot(self.lot, _lot_input(form), actor=self.request.identity)
        except FrameworkError as error:
            return self.invalid(form, error)
        return self.done(
            f"Lot {self.lot.number} changed",
            self.request.route_path(
                "frameworks.lots.detail", reference=self.framework.reference, number=self.lot.number
            ),
        )


@view_defaults(
    route_name="frameworks.lots.retract", renderer=FORM, permission=Permissions.AdminFrameworksWrite
)
class RetractLotViews(AdminView):
    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.framework = framework_or_404(request)
        self.lot: Lot = lot_or_404(request, self.framework)

    def lot_url(self) -> str:
        return self.request.route_path(
            "frameworks.lots.detail", reference=self.framework.reference, number=self.lot.number
        )

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

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        return self.page(RetractForm())

    @view_config(request_method="POST")
    def submit(self) -> Any:
        form = RetractForm(self.request.POST)
        if not form.validate():
            return self.invalid(form)
        try:
            self.service.retract_lot(
                self.lot, reason=form.reason.data or "", actor=self.request.identity
            )
        except FrameworkError as error:
            return self.invalid(form, error)
        return self.done(f"Lot {self.lot.number} retracted", self.lot_url())
