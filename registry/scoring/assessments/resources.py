"""Route factories: the assessment (or the contract it is about) loaded once; cheap ACLs."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Deny, Everyone
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request

from registry.authnz import Permissions, Role, RootFactory, role_principal
from registry.contracts.models import Contract
from registry.integers import record_id
from registry.resources import record_or_404
from registry.scoring.assessments.models import Assessment
from registry.scoring.assessments.visibility import viewable

WRITE = Permissions.OfficerAssessmentsWrite
REPLY = Permissions.SupplierRepliesWrite
REVIEW = Permissions.AuditorReviewAct
RETRACT = Permissions.AssessmentsRetract


def _acl(buyer_id: int | None, supplier_id: int | None) -> list[tuple[Any, ...]]:
    acl: list[tuple[Any, ...]] = [
        (Allow, role_principal(Role.admin), ALL_PERMISSIONS),
        # Only officers write for a buyer, and only the assessed supplier's users reply.
        (Deny, role_principal(Role.auditor), (WRITE, REPLY)),
        (Deny, role_principal(Role.supplier), (WRITE, REVIEW)),
        (Deny, role_principal(Role.officer), (REPLY, REVIEW)),
        (Allow, role_principal(Role.auditor), (REVIEW, RETRACT)),
    ]
    if buyer_id is not None:
        acl.append((Allow, f"org:buyer:{buyer_id}", (WRITE, RETRACT)))
    if supplier_id is not None:
        acl.append((Allow, f"org:supplier:{supplier_id}", REPLY))
    acl.append((Deny, Everyone, (WRITE, REPLY, REVIEW, RETRACT)))
    return acl


class AssessmentContext:
    """/assessments/{id}/... and /review/{id}: every page of an assessment (its reply form, the
    form's error page and the review too) is not there for those who may not see the assessment,
    exactly as /assessments/{id} is not."""

    __name__ = "assessment"

    def __init__(self, request: Request) -> None:
        self.__parent__ = RootFactory(request)
        assessment = request.db.get(Assessment, record_id(request))
        if assessment is None:
            raise HTTPNotFound()
        self.assessment: Assessment = assessment
        if not viewable(request.identity, assessment):
            raise HTTPNotFound()  # as /assessments/{id} is: a draft is not there for them

    @property
    def __acl__(self) -> list[tuple[Any, ...]]:
        return _acl(self.assessment.buyer_id, self.assessment.supplier_id)


class ContractAssessmentContext:
    """/contracts/{id}/assessments/new: officers of the contract's buyer only."""

    __name__ = "contract-assessments"

    def __init__(self, request: Request) -> None:
        self.__parent__ = RootFactory(request)
        self.contract: Contract = record_or_404(request, Contract)

    @property
    def __acl__(self) -> list[tuple[Any, ...]]:
        return _acl(self.contract.buyer_id, None)
