"""Contract pages: the public list and detail, and officers' forms to record, publish, retract
and extend their own organisation's contracts."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults
from sqlalchemy.orm import selectinload

from registry.authnz import Permissions, Role
from registry.buyers.models import Buyer
from registry.contracts.forms import ConfirmForm, ContractForm, ExtendForm, RetractForm
from registry.contracts.interfaces import IContractService
from registry.contracts.models import Contract, ProcurementMethod
from registry.contracts.resources import ContractContext
from registry.contracts.rules import can_see, extension_rows, visibility_clause
from registry.contracts.services import ContractError, ContractInput, ContractPermissionError
from registry.frameworks.models import Framework, Lot
from registry.integers import whole_number, year_number
from registry.pagination import page_number, paginate
from registry.records import Publication
from registry.suppliers.models import Supplier


def _nulls_last(column: Any) -> Any:
    # NULLS LAST spelled so SQLite and PostgreSQL sort alike.
    return sa.case((column.is_(None), 1), else_=0)


SORTS: dict[str, tuple[str, list[Any]]] = {
    "newest": (
        "Award date (newest first)",
        [_nulls_last(Contract.award_date), Contract.award_date.desc(), Contract.id.desc()],
    ),
    "oldest": (
        "Award date (oldest first)",
        [_nulls_last(Contract.award_date), Contract.award_date, Contract.id],
    ),
    "value": (
        "Value (highest first)",
        [_nulls_last(Contract.value_amount), Contract.value_amount.desc(), Contract.id],
    ),
    "title": ("Title (A to Z)", [sa.func.lower(Contract.title), Contract.id]),
}
STATUSES = {"published": "Published", "draft": "Draft", "retracted": "Retracted"}


def _int_param(request: Request, name: str, errors: list[str], label: str) -> int | None:
    raw = request.params.get(name, "").strip()
    if not raw:
        return None
    number = whole_number(raw, minimum=1)
    if number is not None:
        return number
    errors.append(f"{label} must be a registry number, like 12")
    return None


@view_config(
    route_name="contracts.list",
    renderer="contracts/list.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def contract_list(request: Request) -> dict[str, Any]:
    user = request.identity
    errors: list[str] = []
    query = sa.select(Contract).options(
        selectinload(Contract.buyer), selectinload(Contract.supplier)
    )
    visible = visibility_clause(user)
    if visible is not None:
        query = query.where(visible)
    sees_more = visible is None or (user is not None and user.role == Role.officer)

    filters: dict[str, Any] = {}
    buyer_id = _int_param(request, "buyer", errors, "Buyer")
    if buyer_id is not None:
        filters["buyer"] = request.db.get(Buyer, buyer_id)
        query = query.where(Contract.buyer_id == buyer_id)
    supplier_id = _int_param(request, "supplier", errors, "Supplier")
    if supplier_id is not None:
        filters["supplier"] = request.db.get(Supplier, supplier_id)
        query = query.where(Contract.supplier_id == supplier_id)
    framework = request.params.get("framework", "").strip()[:40]
    if framework:
        query = query.where(
            Contract.lot_id.in_(
                sa.select(Lot.id).join(Framework).where(Framework.reference == framework)
            )
        )
    method = request.params.get("method", "").strip()
    if method:
        if method in {m.value for m in ProcurementMethod}:
            query = query.where(Contract.procurement_method == ProcurementMethod(method))
        else:
            errors.append("Procurement method must be one of the methods listed")
            method = ""
    year_text = request.params.get("year", "").strip()
    if year_text:
        year = year_number(year_text)
        if year is not None:
            query = query.where(
                Contract.award_date >= datetime.date(year, 1, 1),
                Contract.award_date <= datetime.date(year, 12, 31),
            )
        else:
            errors.append("Award year must be a year in 4 digits, like 2021")
            year_text = ""
    status = request.params.get("status", "").strip()
    if status and sees_more and status in STATUSES:
        if status == "retracted":
            query = query.where(Contract.retracted_at.is_not(None))
        else:
            query = query.where(
                Contract.publication == Publication(status), Contract.retracted_at.is_(None)
            )
    else:
        status = ""
    sort = request.params.get("sort", "newest")
    if sort not in SORTS:
        sort = "newest"
    query = query.order_by(*SORTS[sort][1])

    page = paginate(request.db, query, page_number(request))
    frameworks = request.db.execute(
        sa.select(Framework.reference, Framework.title).order_by(Framework.reference)
    ).all()
    return {
        "page": page,
        "errors": errors,
        "filters": filters,
        "framework": framework,
        "frameworks": frameworks,
        "method": method,
        "methods": [m.value for m in ProcurementMethod],
        "year": year_text,
        "status": status,
        "statuses": STATUSES if sees_more else {},
        "sort": sort,
        "sorts": {key: label for key, (label, _) in SORTS.items()},
        "can_create": request.has_permission(Permissions.OfficerContractsWrite),
    }


@view_config(
    route_name="contracts.detail",
    renderer="contracts/detail.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def contract_detail(context: ContractContext, request: Request) -> dict[str, Any]:
    contract = context.contract
    user = request.identity
    if not can_see(user, contract):
        # A draft is not there for those who may not see it.
        raise HTTPNotFound()
    before, after = request.find_service(IContractService).chain(contract)
    can_write = bool(request.has_permission(Permissions.OfficerContractsWrite, context))
    return {
        "contract": contract,
        "before": [c for c in before if can_see(user, c)],
        "after": [c for c in after if can_see(user, c)],
        "extensions": extension_rows(contract),
        "can_write": can_write and not contract.is_retracted,
        "is_draft": contract.publication == Publication.draft,
    }


def validate_all(
    request: Request, form: ContractForm, contract: Contract | None, buyer_id: int | None
) -> bool:
    """The form's checks and, when they fail, the service's too (which supplier, framework or
    lot the text names...), so every problem is reported in one round."""
    if form.validate():
        return True
    service = request.find_service(IContractService)
    form.add_other_errors(
        service.problems(form.to_input(buyer_id=buyer_id), contract, actor=request.identity)
    )
    return False


def _redirect_to(request: Request, contract: Contract) -> HTTPSeeOther:
    return HTTPSeeOther(request.route_path("contracts.detail", id=contract.id))


@view_defaults(
    route_name="contracts.new",
    renderer="contracts/form.html",
    permission=Permissions.OfficerContractsWrite,
)
class NewContractViews:
    _form_class = ContractForm

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(IContractService)
        user = request.identity
        # Officers record their own buyer's contracts; only admins choose the buyer.
        self.buyer_id = None if user.role == Role.admin else user.buyer_id
        if user.role != Role.admin and self.buyer_id is None:
            raise HTTPForbidden("Your account is not linked to a buyer organisation.")

    def _render(self, form: ContractForm) -> dict[str, Any]:
        buyer = self.request.db.get(Buyer, self.buyer_id) if self.buyer_id else None
        return {"form": form, "contract": None, "buyer": buyer}

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        return self._render(self._form_class())

    @view_config(request_method="POST")
    def submit(self) -> Any:
        request = self.request
        form = self._form_class(request.POST)
        if validate_all(request, form, None, self.buyer_id):
            try:
                contract = self.service.create(
                    form.to_input(buyer_id=self.buyer_id), actor=request.identity
                )
            except ContractError as exc:
                form.add_errors(exc.errors)
            except ContractPermissionError as exc:
                raise HTTPForbidden(str(exc)) from exc
            else:
                request.session.flash(
                    "Contract recorded as a draft. Publish it when it is ready.", queue="success"
                )
                return _redirect_to(request, contract)
        request.response.status = 400
        return self._render(form)


class _ContractAction:
    """Shared by the pages that act on one contract (the context's ACL has let the user in)."""

    def __init__(self, context: ContractContext, request: Request) -> None:
        self.context = context
        self.contract = context.contract
        self.request = request
        self.service = request.find_service(IContractService)

    def refuse(self, message: str) -> HTTPSeeOther:
        self.request.session.flash(message, queue="error")
        return _redirect_to(self.request, self.contract)

    def done(self, message: str) -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        return _redirect_to(self.request, self.contract)


@view_defaults(
    route_name="contracts.edit",
    renderer="contracts/form.html",
    permission=Permissions.OfficerContractsWrite,
)
class EditContractViews(_ContractAction):
    _form_class = ContractForm

    def _buyer_id(self) -> int | None:
        return None if self.request.identity.role == Role.admin else self.contract.buyer_id

    def _render(self, form: ContractForm) -> dict[str, Any]:
        buyer = None if self._buyer_id() is None else self.contract.buyer
        return {"form": form, "contract": self.contract, "buyer": buyer}

    def _not_editable(self) -> str | None:
        if self.contract.is_retracted:
            return "A retracted contract cannot be edited."
        if self.contract.publication != Publication.draft:
            return "A published contract cannot be edited: record an extension, or retract it."
        return None

    @view_config(request_method="GET")
    def show(self) -> Any:
        if message := self._not_editable():
            return self.refuse(message)
        data = dataclasses.asdict(ContractInput.from_contract(self.contract))
        method = data["procurement_method"]
        data["procurement_method"] = method.value if method else ""
        return self._render(self._form_class(data=data))

    @view_config(request_method="POST")
    def submit(self) -> Any:
        if message := self._not_editable():
            return self.refuse(message)
        form = self._form_class(self.request.POST)
        if validate_all(self.request, form, self.contract, self._buyer_id()):
            try:
                self.service.update(
                    self.contract,
                    form.to_input(buyer_id=self._buyer_id()),
                    actor=self.request.identity,
                )
            except ContractError as exc:
                form.add_errors(exc.errors)
            except ContractPermissionError as exc:
                raise HTTPForbidden(str(exc)) from exc
            else:
                return self.done("Contract updated.")
        self.request.response.status = 400
        return self._render(form)


@view_defaults(
    route_name="contracts.publish",
    renderer="contracts/publish.html",
    permission=Permissions.OfficerContractsWrite,
)
class PublishContractViews(_ContractAction):
    @view_config(request_method="GET")
    def show(self) -> Any:
        if self.contract.publication != Publication.draft or self.contract.is_retracted:
            return self.refuse("Only a draft can be published.")
        return {"contract": self.contract, "form": ConfirmForm()}

    @view_config(request_method="POST")
    def submit(self) -> Any:
        try:
            self.service.publish(self.contract, actor=self.request.identity)
        except ContractError as exc:
            return self.refuse(str(exc))
        return self.done("Contract published. It is now on the public register.")


@view_defaults(
    route_name="contracts.retract",
    renderer="contracts/retract.html",
    permission=Permissions.OfficerContractsWrite,
)
class RetractContractViews(_ContractAction):
    _form_class = RetractForm

    @view_config(request_method="GET")
    def show(self) -> Any:
        if self.contract.is_retracted:
            return self.refuse("This contract has already been retracted.")
        return {"contract": self.contract, "form": self._form_class()}

    @view_config(request_method="POST")
    def submit(self) -> Any:
        if self.contract.is_retracted:
            return self.refuse("This contract has already been retracted.")
        form = self._form_class(self.request.POST)
        if form.validate():
            try:
                self.service.retract(
                    self.contract, form.reason.data or "", actor=self.request.identity
                )
            except ContractError as exc:
                form.form_errors.extend(message for _, message in exc.errors)
            else:
                return self.done("Contract retracted. The record and your reason are kept.")
        self.request.response.status = 400
        return {"contract": self.contract, "form": form}


@view_defaults(
    route_name="contracts.extend",
    renderer="contracts/extend.html",
    permission=Permissions.OfficerContractsWrite,
)
class ExtendContractViews(_ContractAction):
    _form_class = ExtendForm

    def _not_extendable(self) -> str | None:
        if self.contract.is_retracted:
            return "A retracted contract cannot be extended."
        if self.contract.publication != Publication.published:
            return "A draft is not extended: edit its end date, or publish it first."
        return None

    @view_config(request_method="GET")
    def show(self) -> Any:
        if message := self._not_extendable():
            return self.refuse(message)
        return {"contract": self.contract, "form": self._form_class()}

    @view_config(request_method="POST")
    def submit(self) -> Any:
        if message := self._not_extendable():
            return self.refuse(message)
        form = self._form_class(self.request.POST)
        if form.validate():
            try:
                self.service.extend(
                    self.contract,
                    extended_on=form.extended_on.data,
                    new_end_date=form.new_end_date.data,
                    reason=form.reason.data or "",
                    actor=self.request.identity,
                )
            except ContractError as exc:
                for name, message in exc.errors:
                    field = form._fields.get(name)
                    if field is not None:
                        field.errors = [*field.errors, message]
                    else:
                        form.form_errors.append(message)
            else:
                return self.done("Extension recorded. The contract's end date has moved.")
        self.request.response.status = 400
        return {"contract": self.contract, "form": form}
