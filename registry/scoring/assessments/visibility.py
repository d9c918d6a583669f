"""Who may read an assessment: the public its published ones, each organisation its own."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit import actors
from registry.authnz import Role
from registry.contracts import rules as contract_rules
from registry.records import Publication
from registry.scoring.assessments.models import Assessment, AssessmentStatus
from registry.scoring.assessments.public import of_published_contract, published_assessments


# Who sees what: the public sees published assessments of published contracts (or of none);
# each organisation sees its own. An assessment of a draft contract (legacy data) is shown only to
# those who may see the contract: the buyer's officers, auditors and administrators.
def public_clause() -> sa.ColumnElement[bool]:
    """What the public (pages, downloads, the API) may read."""
    return sa.and_(*published_assessments())


def visibility_clause(user: Any) -> Any:
    public = public_clause()
    if user is None:
        return public
    if user.role in (Role.auditor, Role.admin):
        return None
    if user.role == Role.officer and user.buyer_id is not None:
        return sa.or_(public, Assessment.buyer_id == user.buyer_id)
    if user.role == Role.supplier and user.supplier_id is not None:
        return sa.or_(
            public,
            sa.and_(
                Assessment.supplier_id == user.supplier_id,
                Assessment.status != AssessmentStatus.draft,
                of_published_contract(),
            ),
        )
    return public


def contract_published(a: Assessment) -> bool:
    return a.contract is None or a.contract.publication == Publication.published


def is_public(a: Assessment) -> bool:
    return a.is_public and contract_published(a)


def can_see(user: Any, a: Assessment) -> bool:
    """Whether `/assessments/{id}` and every page of it (the reply form too) is shown."""
    if is_public(a):
        return True
    if user is None:
        return False
    if user.role in (Role.auditor, Role.admin):
        return True
    if user.role == Role.officer:
        return user.buyer_id is not None and user.buyer_id == a.buyer_id
    if user.role == Role.supplier:
        return (
            user.supplier_id == a.supplier_id
            and a.status != AssessmentStatus.draft
            and contract_published(a)
        )
    return False


def viewable(user: Any, a: Assessment) -> bool:
    """can_see, or a stable archive (issue 11): a published assessment, once retracted, stays at
    its URL, marked."""
    archived = a.retracted_at is not None and a.published_at is not None
    return can_see(user, a) or (archived and contract_published(a))


def shows_contract(user: Any, a: Assessment) -> bool:
    """Whether the assessment's page names its contract: never a draft's to those who may not
    see the draft (defence in depth: such an assessment cannot be submitted or published)."""
    return a.contract is not None and contract_rules.can_see(user, a.contract)


def assessor(db: Session, reader: Any, a: Assessment) -> str:
    """Who recorded the assessment, as `reader` may be told (a role, not an e-mail, publicly)."""
    return actors.Actors(db, reader, [a.assessor_id]).name(a.assessor_id, a.assessor_name)
