"""What of the assessments the public may read (issue 20): published, unretracted assessments
that rate no contract or a published one. An assessment of a draft contract would name the draft
(its title on the page, its id in the download), so it is not public until the contract is:
every public page, download, score and count reads assessments through these clauses."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from registry.contracts.models import Contract
from registry.records import Publication
from registry.scoring.assessments.models import Assessment, AssessmentStatus


def of_published_contract() -> sa.ColumnElement[bool]:
    """The assessment rates no contract, or a published one (retracted or not: a retracted
    contract's page stays, marked): one primary-key look-up per assessment."""
    return sa.not_(
        sa.exists().where(
            Contract.id == Assessment.contract_id, Contract.publication != Publication.published
        )
    )


def published_assessments(status: Any = None) -> list[sa.ColumnElement[bool]]:
    """The public's assessments, as WHERE conditions; `status` is the column to test (an
    `Unindexed` one where a scan beats the index)."""
    return [
        (Assessment.status if status is None else status) == AssessmentStatus.published,
        Assessment.retracted_at.is_(None),
        of_published_contract(),
    ]
