"""Admin forms: record and edit suppliers, manage groups, merge duplicates and reverse merges."""

from __future__ import annotations

from typing import Any, ClassVar

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request

from registry.authnz import Permissions
from registry.forms import Form
from registry.pickers.services import NotPicked, pick_supplier
from registry.problems import ServiceError
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
from registry.suppliers.services import MergeError, SupplierError
from registry.views import FormView, form_views


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


class SupplierView(FormView):
    """The suppliers service and its refusals; `supplier` is the record the page is about."""

    service_interface = ISupplierService
    error_class: ClassVar[type[ServiceError]] = SupplierError
    supplier: Supplier | None = None

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {"form": form, "supplier": self.supplier}

    def to_supplier(self, supplier: Supplier, message: str) -> HTTPSeeOther:
        return _to_supplier(self.request, supplier, message)


class OneSupplierView(SupplierView):
    supplier: Supplier
    refusal = ""  # why a merged record cannot have this form

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.supplier = request.context.supplier

    def refused(self) -> HTTPSeeOther | None:
        if self.supplier.is_merged:
            return _refuse(self.request, self.supplier, self.refusal)
        return None

    def show(self) -> Any:
        return self.refused() or super().show()


class GroupChoiceView(SupplierView):
    """Forms with the group radios: the choice is checked even when other fields fail."""

    group: SupplierGroup | None = None
    new_name: str | None = None

    def validate(self, form: NewSupplierForm | MoveGroupForm) -> bool:
        valid = form.validate()
        self.group, self.new_name = _chosen_group(self.service, form)
        return valid and not any(f.errors for f in form)


@form_views("suppliers.new", "suppliers/form.html", Permissions.AdminSuppliersWrite)
class NewSupplierViews(GroupChoiceView):
    form_class = NewSupplierForm

    def save(self, form: NewSupplierForm) -> HTTPSeeOther:
        data = form.to_input()
        data.group_id = self.group.id if self.group else None
        data.new_group_name = self.new_name
        supplier = self.service.create(data, actor=self.request.identity)
        return self.to_supplier(supplier, f"{supplier.name} added.")


@form_views("suppliers.edit", "suppliers/form.html", Permissions.AdminSuppliersWrite)
class EditSupplierViews(OneSupplierView):
    form_class = SupplierForm
    refusal = "A merged record cannot be edited."

    def form(self, formdata: Any = None) -> SupplierForm:
        if formdata is not None:
            return SupplierForm(formdata)
        s = self.supplier
        return SupplierForm(
            data={
                "name": s.name,
                "companies_house_number": s.companies_house_number,
                "duns": s.duns,
                "party_id": s.party_id,
                "sme": "" if s.sme is None else ("yes" if s.sme else "no"),
                "aliases": "\n".join(s.aliases or []),
            }
        )

    def submit(self) -> Any:
        return self.refused() or super().submit()

    def save(self, form: SupplierForm) -> HTTPSeeOther:
        self.service.update(self.supplier, form.to_input(), actor=self.request.identity)
        return self.to_supplier(self.supplier, "Supplier updated.")


@form_views("suppliers.group", "suppliers/move.html", Permissions.AdminSuppliersWrite)
class MoveGroupViews(OneSupplierView, GroupChoiceView):
    form_class = MoveGroupForm
    refusal = "A merged record cannot change group."

    def submit(self) -> Any:
        return self.refused() or super().submit()

    def save(self, form: MoveGroupForm) -> HTTPSeeOther:
        actor = self.request.identity
        group = self.group
        if group is None:
            try:
                group = self.service.create_group(self.new_name or "", actor=actor)
            except SupplierError as exc:
                raise SupplierError(
                    [("new_group_name" if n == "name" else n, m) for n, m in exc.errors]
                ) from exc
        self.service.move_to_group(self.supplier, group, reason=form.reason.data or "", actor=actor)
        return self.to_supplier(self.supplier, f"{self.supplier.name} is now in {group.name}.")


class GroupView(FormView):
    service_interface = ISupplierService
    error_class = SupplierError
    form_class = GroupForm
    group: SupplierGroup | None = None

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {"form": form, "group": self.group}

    def to_group(self, group: SupplierGroup, message: str) -> HTTPSeeOther:
        return self.done(message, self.request.route_path("suppliers.groups.detail", id=group.id))


@form_views("suppliers.groups.new", "suppliers/group_form.html", Permissions.AdminSuppliersWrite)
class NewGroupViews(GroupView):
    def save(self, form: GroupForm) -> HTTPSeeOther:
        group = self.service.create_group(
            form.name.data or "",
            companies_house_number=form.companies_house_number.data,
            actor=self.request.identity,
        )
        return self.to_group(group, f"Group {group.name} added.")


@form_views("suppliers.groups.edit", "suppliers/group_form.html", Permissions.AdminSuppliersWrite)
class EditGroupViews(GroupView):
    group: SupplierGroup

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.group = request.context.group

    def show(self) -> dict[str, Any]:
        data = {
            "name": self.group.name,
            "companies_house_number": self.group.companies_house_number,
        }
        return self.page(GroupForm(data=data))

    def save(self, form: GroupForm) -> HTTPSeeOther:
        self.service.rename_group(
            self.group,
            form.name.data or "",
            companies_house_number=form.companies_house_number.data,
            actor=self.request.identity,
        )
        return self.to_group(self.group, "Group updated.")


@form_views("suppliers.merge", "suppliers/merge.html", Permissions.AdminSuppliersWrite)
class MergeViews(OneSupplierView):
    form_class = MergeForm
    error_class = MergeError
    refusal = "This record has already been merged."

    def save(self, form: MergeForm) -> HTTPSeeOther:
        try:
            survivor = pick_supplier(self.request.db, form.survivor.data or "")
        except NotPicked as refusal:
            raise MergeError([("survivor", refusal.message)]) from None
        self.service.merge(
            self.supplier, survivor, reason=form.reason.data or "", actor=self.request.identity
        )
        return self.to_supplier(
            survivor,
            f"{self.supplier.name} merged into {survivor.name}. "
            "The merge can be reversed from this page.",
        )


@form_views("suppliers.merges.reverse", "suppliers/reverse.html", Permissions.AdminSuppliersWrite)
class ReverseMergeViews(SupplierView):
    form_class = ReasonForm
    error_class = MergeError

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.merge: SupplierMerge = request.context.merge

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {"form": form, "merge": self.merge}

    def show(self) -> Any:
        if self.merge.reversed_at is not None:
            return _refuse(self.request, self.merge.survivor, "That merge was already reversed.")
        return super().show()

    def save(self, form: ReasonForm) -> HTTPSeeOther:
        self.service.reverse_merge(
            self.merge, reason=form.reason.data or "", actor=self.request.identity
        )
        return self.to_supplier(
            self.merge.merged, "Merge reversed. Everything it moved is back on this record."
        )
