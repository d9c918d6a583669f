"""Permissions and the site-wide ACL: who may do what, by role."""

from __future__ import annotations

import enum
from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Everyone
from pyramid.request import Request


class Role(enum.StrEnum):
    officer = "officer"
    auditor = "auditor"
    supplier = "supplier"
    admin = "admin"


class Permissions(enum.StrEnum):
    """Named <scope>:<resource>:<action>, as Warehouse does."""

    PublicRead = "public:registry:read"
    AccountRead = "account:self:read"
    AdminFrameworksWrite = "admin:frameworks:write"
    AdminSuppliersWrite = "admin:suppliers:write"
    AdminUsersManage = "admin:users:manage"
    AdminDataImport = "admin:data:import"
    OfficerContractsWrite = "officer:contracts:write"
    OfficerAssessmentsWrite = "officer:assessments:write"
    DraftsRead = "registry:drafts:read"
    AuditorReviewAct = "auditor:review:act"
    AuditorFlagsTriage = "auditor:flags:triage"
    AuditTrailRead = "auditor:audit:read"
    SupplierRepliesWrite = "supplier:replies:write"
    # Granted per assessment: to its buyer's officers and to auditors (see scoring.assessments.resources).
    AssessmentsRetract = "registry:assessments:retract"


def role_principal(role: Role | str) -> str:
    return f"role:{role}"


class RootFactory:
    """The site-wide grants. Per-object grants come from route factories with cheap ACLs."""

    __parent__ = None
    __name__ = ""
    __acl__: list[tuple[Any, ...]] = [
        (Allow, Everyone, Permissions.PublicRead),
        (Allow, Authenticated, Permissions.AccountRead),
        (Allow, role_principal(Role.admin), ALL_PERMISSIONS),
        (
            Allow,
            role_principal(Role.auditor),
            (
                Permissions.AuditorReviewAct,
                Permissions.AuditorFlagsTriage,
                Permissions.AuditTrailRead,
                Permissions.DraftsRead,
            ),
        ),
        (
            Allow,
            role_principal(Role.officer),
            (
                Permissions.OfficerContractsWrite,
                Permissions.OfficerAssessmentsWrite,
                Permissions.DraftsRead,
            ),
        ),
        (Allow, role_principal(Role.supplier), (Permissions.SupplierRepliesWrite,)),
    ]

    def __init__(self, request: Request) -> None:
        self.request = request
