"""The signed-in user's own account page (/account): who they are signed in as, their role and
the organisation they act for. The header's name links here."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from registry.accounts.admin_views import organisation_names
from registry.audit.actors import role_name
from registry.authnz import Permissions


@view_config(
    route_name="accounts.account",
    renderer="accounts/account.html",
    permission=Permissions.AccountRead,
    request_method="GET",
)
def account(request: Request) -> dict[str, Any]:
    user = request.identity
    names = organisation_names(request.db, [user])
    organisation = names.get(("buyer", user.buyer_id)) or names.get(("supplier", user.supplier_id))
    return {
        "user": user,
        "names": names,
        "described": role_name(user.role, organisation),
        "reads_audit": request.has_permission(Permissions.AuditTrailRead),
    }
