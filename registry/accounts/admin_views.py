"""Admins' user management: list, add, change role, deactivate, reactivate, set a password.

Nothing is deleted: a user who should no longer sign in is deactivated. Every change is audited
with the reason, and an admin cannot lock themselves out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy.orm import Session

from registry.accounts.forms import NewUserForm, PasswordForm, ReasonForm, RoleForm
from registry.accounts.interfaces import IUserService
from registry.accounts.models import User
from registry.accounts.organisations import find_organisation
from registry.accounts.services import AccountError, check_organisation, normalise_email
from registry.audit.models import AuditEvent
from registry.authnz import Permissions, Role
from registry.buyers.models import Buyer
from registry.forms import Form
from registry.integers import record_id
from registry.listing import ListFilters
from registry.pagination import page_number, paginate
from registry.sql import contains
from registry.suppliers.models import Supplier
from registry.views import post_form

RECENT_EVENTS = 20
SORTS = {
    "email": "E-mail address (A to Z)",
    "role": "Role",
    "last_login": "Last sign-in (most recent first)",
    "created": "Added (newest first)",
}
ACTIVE_CHOICES = {"yes": "Active", "no": "Deactivated"}


def organisation_names(db: Session, users: list[User]) -> dict[tuple[str, int], str]:
    """{("buyer", id): name, ("supplier", id): name} for the organisations these users act for."""
    names: dict[tuple[str, int], str] = {}
    buyer_ids = {u.buyer_id for u in users if u.buyer_id is not None}
    supplier_ids = {u.supplier_id for u in users if u.supplier_id is not None}
    if buyer_ids:
        for id_, name in db.execute(sa.select(Buyer.id, Buyer.name).where(Buyer.id.in_(buyer_ids))):
            names[("buyer", id_)] = name
    if supplier_ids:
        rows = db.execute(
            sa.select(Supplier.id, Supplier.name).where(Supplier.id.in_(supplier_ids))
        )
        for id_, name in rows:
            names[("supplier", id_)] = name
    return names


@view_config(
    route_name="accounts.users",
    renderer="accounts/users.html",
    permission=Permissions.AdminUsersManage,
    request_method="GET",
)
def user_list(request: Request) -> dict[str, Any]:
    filters = ListFilters(request)
    query = sa.select(User)
    q = filters.search_text()
    if q:
        text = normalise_email(q)
        query = query.where(
            sa.or_(contains(User.email, text), contains(sa.func.lower(User.name), text))
        )
    role = filters.choice("role", {r.value for r in Role}, "Role must be one of the roles listed")
    if role:
        query = query.where(User.role == Role(role))
    active = filters.choice("active", ACTIVE_CHOICES, "Status must be active or deactivated")
    if active:
        query = query.where(User.is_active.is_(active == "yes"))
    sort = filters.sort(SORTS, "email")
    if sort == "role":
        query = query.order_by(User.role, User.email)
    elif sort == "last_login":
        # Never signed in goes last on both databases.
        query = query.order_by(
            sa.case((User.last_login.is_(None), 1), else_=0), User.last_login.desc(), User.email
        )
    elif sort == "created":
        query = query.order_by(User.created.desc(), User.id.desc())
    else:
        query = query.order_by(User.email)
    page = paginate(request.db, query, page_number(request))
    return {
        "page": page,
        "organisations": organisation_names(request.db, page.items),
        "errors": filters.errors,
        "q": q,
        "role": role,
        "roles": [r.value for r in Role],
        "active": active,
        "active_choices": ACTIVE_CHOICES,
        "sort": sort,
        "sorts": SORTS,
    }


def _resolve_organisation(db: Session, form: NewUserForm | RoleForm) -> dict[str, int] | None:
    """The buyer_id/supplier_id for the form's role and organisation; None after a field error."""
    role = form.role.data
    if form.role.errors or form.organisation.errors:
        return None
    text = form.organisation.data or ""
    try:
        ids = find_organisation(db, role, text) if text else {}
        check_organisation(Role(role), ids.get("buyer_id"), ids.get("supplier_id"))
    except AccountError as exc:
        if text and role in (Role.auditor, Role.admin):
            message = f"An {role} does not act for an organisation: leave the organisation empty"
        else:
            message = str(exc)
        form.organisation.errors = [*form.organisation.errors, message]
        return None
    return ids


@view_config(
    route_name="accounts.user_new",
    renderer="accounts/user_new.html",
    permission=Permissions.AdminUsersManage,
    request_method="GET",
)
def user_new(request: Request) -> dict[str, Any]:
    return {"form": NewUserForm()}


@view_config(
    route_name="accounts.user_new",
    renderer="accounts/user_new.html",
    permission=Permissions.AdminUsersManage,
    request_method="POST",
)
def user_create(request: Request) -> Any:
    form = NewUserForm(request.POST)
    valid = form.validate()
    # The organisation is checked even when other fields are wrong, so all problems show at once.
    ids = _resolve_organisation(request.db, form)

    def save() -> HTTPSeeOther:
        user = _service(request).create_user(
            form.email.data,
            form.password.data,
            form.role.data,
            name=form.name.data.strip(),
            actor=request.identity,
            **(ids or {}),
        )
        return _done(
            request,
            user,
            f"Added the user as {user.role}. Pass the password on to them securely.",
        )

    def refuse() -> dict[str, Any]:
        request.response.status = 400
        return {"form": form}

    return post_form(form, save, refuse, error_class=AccountError, valid=valid and ids is not None)


def _get_user(request: Request) -> User:
    user = request.db.get(User, record_id(request))
    if user is None:
        raise HTTPNotFound()
    return user


def _organisation_text(user: User) -> str:
    value = user.buyer_id if user.buyer_id is not None else user.supplier_id
    return "" if value is None else str(value)


def _detail(request: Request, user: User, **forms: Form) -> dict[str, Any]:
    db = request.db
    # As events_for(db, "user", id), newest first and limited: every sign-in adds an event.
    about = list(
        db.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.subject_type == "user", AuditEvent.subject_id == str(user.id))
            .order_by(AuditEvent.seq.desc())
            .limit(RECENT_EVENTS)
        ).scalars()
    )
    acted = list(
        db.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.actor_id == user.id)
            .order_by(AuditEvent.seq.desc())
            .limit(RECENT_EVENTS)
        ).scalars()
    )
    return {
        "user": user,
        "organisations": organisation_names(db, [user]),
        "is_self": request.identity is not None and request.identity.id == user.id,
        "events_about": about,
        "events_by": acted,
        "role_form": forms.get("role_form")
        or RoleForm(prefix="role-", role=user.role.value, organisation=_organisation_text(user)),
        "status_form": forms.get("status_form") or ReasonForm(prefix="status-"),
        "password_form": forms.get("password_form") or PasswordForm(prefix="password-"),
    }


@view_config(
    route_name="accounts.user_detail",
    renderer="accounts/user_detail.html",
    permission=Permissions.AdminUsersManage,
    request_method="GET",
)
def user_detail(request: Request) -> dict[str, Any]:
    return _detail(request, _get_user(request))


def _done(request: Request, user: User, message: str) -> HTTPSeeOther:
    # The message names no e-mail: flashes travel in the session cookie (the page shows it).
    request.session.flash(message, queue="success")
    return HTTPSeeOther(request.route_path("accounts.user_detail", id=user.id))


def _service(request: Request) -> Any:
    return request.find_service(IUserService, context=None)


def _post_user_form(
    request: Request,
    user: User,
    form: Form,
    form_name: str,
    change: Callable[[], str],
    *,
    valid: bool | None = None,
) -> Any:
    """A form posted from the user's page: `change` calls the service and returns the message
    for the redirect; a problem shows the page again with this form's errors, status 400."""

    def refuse() -> dict[str, Any]:
        request.response.status = 400
        return _detail(request, user, **{form_name: form})

    return post_form(
        form,
        lambda: _done(request, user, change()),
        refuse,
        error_class=AccountError,
        valid=valid,
    )


@view_config(
    route_name="accounts.user_role",
    renderer="accounts/user_detail.html",
    permission=Permissions.AdminUsersManage,
    request_method="POST",
)
def user_role(request: Request) -> Any:
    user = _get_user(request)
    form = RoleForm(request.POST, prefix="role-")
    valid = form.validate()
    ids = _resolve_organisation(request.db, form)

    def change() -> str:
        _service(request).change_role(
            user, form.role.data, actor=request.identity, reason=form.reason.data, **(ids or {})
        )
        return f"The user is now {user.role}: their sessions have ended"

    return _post_user_form(
        request, user, form, "role_form", change, valid=valid and ids is not None
    )


def _status_change(request: Request, activate: bool) -> Any:
    user = _get_user(request)
    form = ReasonForm(request.POST, prefix="status-")

    def change() -> str:
        service = _service(request)
        if activate:
            service.reactivate(user, actor=request.identity, reason=form.reason.data)
            return "Reactivated the user: they can sign in again"
        service.deactivate(user, actor=request.identity, reason=form.reason.data)
        return "Deactivated the user: they can no longer sign in, and their sessions have ended"

    return _post_user_form(request, user, form, "status_form", change)


@view_config(
    route_name="accounts.user_deactivate",
    renderer="accounts/user_detail.html",
    permission=Permissions.AdminUsersManage,
    request_method="POST",
)
def user_deactivate(request: Request) -> Any:
    return _status_change(request, activate=False)


@view_config(
    route_name="accounts.user_reactivate",
    renderer="accounts/user_detail.html",
    permission=Permissions.AdminUsersManage,
    request_method="POST",
)
def user_reactivate(request: Request) -> Any:
    return _status_change(request, activate=True)


@view_config(
    route_name="accounts.user_password",
    renderer="accounts/user_detail.html",
    permission=Permissions.AdminUsersManage,
    request_method="POST",
)
def user_password(request: Request) -> Any:
    user = _get_user(request)
    form = PasswordForm(request.POST, prefix="password-")

    def change() -> str:
        _service(request).set_password(
            user, form.password.data, actor=request.identity, reason=form.reason.data
        )
        return "Set a new password for the user: their sessions have ended"

    return _post_user_form(request, user, form, "password_form", change)
