"""The per-contract ACL: officers of the contract's buyer may write it; nobody else but admins."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Deny, Everyone
from pyramid.request import Request

from registry.authnz import Permissions, Role, RootFactory, role_principal
from registry.contracts.models import Contract
from registry.resources import record_or_404

WRITE = Permissions.OfficerContractsWrite
DRAFTS = Permissions.DraftsRead


class ContractContext:
    """Route factory for /contracts/{id}/...: loads the contract once; __acl__ runs no query."""

    __name__ = "contract"

    def __init__(self, request: Request) -> None:
        self.__parent__ = RootFactory(request)
        self.contract: Contract = record_or_404(request, Contract)

    @property
    def __acl__(self) -> list[tuple[Any, ...]]:
        buyer = f"org:buyer:{self.contract.buyer_id}"
        return [
            (Allow, role_principal(Role.admin), ALL_PERMISSIONS),
            # Only officers act for a buyer, whatever organisation another account is linked to.
            (Deny, role_principal(Role.auditor), WRITE),
            (Deny, role_principal(Role.supplier), (WRITE, DRAFTS)),
            (Allow, buyer, (WRITE, DRAFTS)),
            (Allow, role_principal(Role.auditor), DRAFTS),
            # Officers of other buyers: the site-wide grant does not reach this contract.
            (Deny, Everyone, (WRITE, DRAFTS)),
        ]
