"""Admin forms: record and edit suppliers, manage groups, merge duplicates and reverse merges."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults

from registry.authnz import Permissions
from registry.suppliers.forms import (
    GroupForm,
    MergeForm,
    MoveGroupForm,
    NewSupplierForm,
    ReasonForm,
    SupplierForm,
)
from registry.suppliers.interfaces import ISupplierService
from registry.suppliers.models import Supplier, SupplierGroup, SupplierMerge
from registry.suppliers.services import MergeError, SupplierError, find_by_number
from registry.suppliers.views.public import get_group, get_supplier


def _to_supplier(request: Request, supplier: Supplier, message: str) -> HTTPSeeOther:
    request.session.flash(message, queue="success")
    return HTTPSeeOther(request.route_path("suppliers.detail", id=supplier.id))


def _refuse(request: Request, supplier: Supplier, message: str) -> HTTPSeeOther:
    request.session.flash(message, queue="error")
    return HTTPSeeOther(request.route_path("suppliers.detail", id=supplier.id))


def _chosen_group(
    service: Any, form: NewSupplierForm | MoveGroupForm
) -> tuple[SupplierGroup | None, str | None]:
    """(existing group, new group's name) from the radio choice; errors go on the form."""
    choice = form.group_choice.data
    if choice == "existing":
        text = (form.group.data or "").strip()
        if not text:
            form.group.errors = [*form.group.errors, "Enter the existing group's name or number"]
            return None, None
        group = service.find_group(text)
        if group is None:
            form.group.errors = [
                *form.group.errors,
                f"No supplier group is called or numbered “{text}”: check the groups page, "
                "or choose a new group",
            ]
        return group, None
    if choice == "new":
        name = (form.new_group_name.data or "").strip()
        if not name:
            form.new_group_name.errors = [*form.new_group_name.errors, "Enter the new group's name"]
        return None, name or None
    if choice != "own" or isinstance(form, MoveGroupForm):
        form.group_choice.errors = [*form.group_choice.errors, "Choose which group it belongs to"]
    return None, None


@view_defaults(
    route_name="suppliers.new",
    renderer="suppliers/form.html",
    permission=Permissions.AdminSuppliersWrite,
)
class NewSupplierViews:
    _form_class = NewSupplierForm

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISupplierService)

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        return {"form": self._form_class(), "supplier": None}

    @view_config(request_method="POST")
    def submit(self) -> Any:
        form = self._form_class(self.request.POST)
        valid = form.validate()
        group, new_name = _chosen_group(self.service, form)
        if valid and not any(f.errors for f in form):
            data = form.to_input()
            data.group_id = group.id if group else None
            data.new_group_name = new_name
            try:
                supplier = self.service.create(data, actor=self.request.identity)
            except SupplierError as exc:
                form.add_errors(exc.errors)
            else:
                return _to_supplier(self.request, supplier, f"{supplier.name} added.")
        self.request.response.status = 400
        return {"form": form, "supplier": None}


@view_defaults(
    route_name="suppliers.edit",
    renderer="suppliers/form.html",
    permission=Permissions.AdminSuppliersWrite,
)
class EditSupplierViews:
    _form_class = SupplierForm

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISupplierService)
        self.supplier = get_supplier(request)

    @view_config(request_method="GET")
    def show(self) -> Any:
        if self.supplier.is_merged:
            return _refuse(self.request, self.supplier, "A merged record cannot be edited.")
        s = self.supplier
        form = self._form_class(
            data={
                "name": s.name,
                "companies_house_number": s.companies_house_number,
                "duns": s.duns,
                "party_id": s.party_id,
                "sme": "" if s.sme is None else ("yes" if s.sme else "no"),
                "aliases": "\n".join(s.aliases or []),
            }
        )
        return {"form": form, "supplier": s}

    @view_config(request_method="POST")
    def submit(self) -> Any:
        if self.supplier.is_merged:
            return _refuse(self.request, self.supplier, "A merged record cannot be edited.")
        form = self._form_class(self.request.POST)
        if form.validate():
            try:
                self.service.update(self.supplier, form.to_input(), actor=self.request.identity)
            except SupplierError as exc:
                form.add_errors(exc.errors)
            else:
                return _to_supplier(self.request, self.supplier, "Supplier updated.")
        self.request.response.status = 400
        return {"form": form, "supplier": self.supplier}


@view_defaults(
    route_name="suppliers.group",
    renderer="suppliers/move.html",
    permission=Permissions.AdminSuppliersWrite,
)
class MoveGroupViews:
    _form_class = MoveGroupForm

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISupplierService)
        self.supplier = get_supplier(request)

    @view_config(request_method="GET")
    def show(self) -> Any:
        if self.supplier.is_merged:
            return _refuse(self.request, self.supplier, "A merged record cannot change group.")
        return {"form": self._form_class(), "supplier": self.supplier}

    @view_config(request_method="POST")
    def submit(self) -> Any:
        if self.supplier.is_merged:
            return _refuse(self.request, self.supplier, "A merged record cannot change group.")
        form = self._form_class(self.request.POST)
        valid = form.validate()
        group, new_name = _chosen_group(self.service, form)
        if valid and not any(f.errors for f in form):
            actor = self.request.identity
            try:
                if group is None:
                    try:
                        group = self.service.create_group(new_name or "", actor=actor)
                    except SupplierError as exc:
                        raise SupplierError(
                            [("new_group_name" if n == "name" else n, m) for n, m in exc.errors]
                        ) from exc
                self.service.move_to_group(
                    self.supplier, group, reason=form.reason.data or "", actor=actor
                )
            except SupplierError as exc:
                form.add_errors(exc.errors)
            else:
                return _to_supplier(
                    self.request, self.supplier, f"{self.supplier.name} is now in {group.name}."
                )
        self.request.response.status = 400
        return {"form": form, "supplier": self.supplier}


@view_defaults(
    route_name="suppliers.groups.new",
    renderer="suppliers/group_form.html",
    permission=Permissions.AdminSuppliersWrite,
)
class NewGroupViews:
    _form_class = GroupForm

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISupplierService)

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        return {"form": self._form_class(), "group": None}

    @view_config(request_method="POST")
    def submit(self) -> Any:
        form = self._form_class(self.request.POST)
        if form.validate():
            try:
                group = self.service.create_group(
                    form.name.data or "",
                    companies_house_number=form.companies_house_number.data,
                    actor=self.request.identity,
                )
            except SupplierError as exc:
                form.add_errors(exc.errors)
            else:
                self.request.session.flash(f"Group {group.name} added.", queue="success")
                return HTTPSeeOther(self.request.route_path("suppliers.groups.detail", id=group.id))
        self.request.response.status = 400
        return {"form": form, "group": None}


@view_defaults(
    route_name="suppliers.groups.edit",
    renderer="suppliers/group_form.html",
    permission=Permissions.AdminSuppliersWrite,
)
class EditGroupViews:
    _form_class = GroupForm

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISupplierService)
        self.group = get_group(request)

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        form = self._form_class(
            data={
                "name": self.group.name,
                "companies_house_number": self.group.companies_house_number,
            }
        )
        return {"form": form, "group": self.group}

    @view_config(request_method="POST")
    def submit(self) -> Any:
        form = self._form_class(self.request.POST)
        if form.validate():
            try:
                self.service.rename_group(
                    self.group,
                    form.name.data or "",
                    companies_house_number=form.companies_house_number.data,
                    actor=self.request.identity,
                )
            except SupplierError as exc:
                form.add_errors(exc.errors)
            else:
                self.request.session.flash("Group updated.", queue="success")
                return HTTPSeeOther(
                    self.request.route_path("suppliers.groups.detail", id=self.group.id)
                )
        self.request.response.status = 400
        return {"form": form, "group": self.group}


@view_defaults(
    route_name="suppliers.merge",
    renderer="suppliers/merge.html",
    permission=Permissions.AdminSuppliersWrite,
)
class MergeViews:
    _form_class = MergeForm

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISupplierService)
        self.supplier = get_supplier(request)

    @view_config(request_method="GET")
    def show(self) -> Any:
        if self.supplier.is_merged:
            return _refuse(self.request, self.supplier, "This record has already been merged.")
        return {"form": self._form_class(), "supplier": self.supplier}

    @view_config(request_method="POST")
    def submit(self) -> Any:
        form = self._form_class(self.request.POST)
        if form.validate():
            survivor = find_by_number(self.request.db, form.survivor.data or "")
            if survivor is None:
                form.survivor.errors = [
                    *form.survivor.errors,
                    "No supplier has that registry number or Companies House number",
                ]
            else:
                try:
                    self.service.merge(
                        self.supplier,
                        survivor,
                        reason=form.reason.data or "",
                        actor=self.request.identity,
                    )
                except MergeError as exc:
                    form.add_errors(exc.errors)
                else:
                    return _to_supplier(
                        self.request,
                        survivor,
                        f"{self.supplier.name} merged into {survivor.name}. "
                        "The merge can be reversed from this page.",
                    )
        self.request.response.status = 400
        return {"form": form, "supplier": self.supplier}


@view_defaults(
    route_name="suppliers.merges.reverse",
    renderer="suppliers/reverse.html",
    permission=Permissions.AdminSuppliersWrite,
)
class ReverseMergeViews:
    _form_class = ReasonForm

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(ISupplierService)
        merge = request.db.get(SupplierMerge, int(request.matchdict["id"]))
        if merge is None:
            raise HTTPNotFound()
        self.merge = merge

    @view_config(request_method="GET")
    def show(self) -> Any:
        if self.merge.reversed_at is not None:
            return _refuse(self.request, self.merge.survivor, "That merge was already reversed.")
        return {"form": self._form_class(), "merge": self.merge}

    @view_config(request_method="POST")
    def submit(self) -> Any:
        form = self._form_class(self.request.POST)
        if form.validate():
            try:
                self.service.reverse_merge(
                    self.merge, reason=form.reason.data or "", actor=self.request.identity
                )
            except MergeError as exc:
                form.add_errors(exc.errors)
            else:
                return _to_supplier(
                    self.request,
                    self.merge.merged,
                    "Merge reversed. Everything it moved is back on this record.",
                )
        self.request.response.status = 400
        return {"form": form, "merge": self.merge}
