"""`registry import csv assessments`: draft ratings through the scoring service; a rating without
its evidence narrative (or any other bad row) names the line and column and nothing is written."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.csvimport.services import import_csv
from registry.frameworks.models import KPIDirection
from registry.scoring.assessments.models import Assessment, AssessmentStatus
from tests.common.db.core import ContractFactory, LotFactory, ObligationFactory

HEADER = "contract_reference,kpi,obligation,period_start,period_end,rating,measured_value,unit,evidence\n"
NARRATIVE = "Monthly service reports for the year checked against the incident log"


def _count(db: Session) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(Assessment)).scalar_one()


def test_assessments_import_as_audited_drafts_and_again_as_already_present(
    db_session: Session,
) -> None:
    lot = LotFactory.create()
    obligation = ObligationFactory.create(
        framework=lot.framework,
        title="Availability",
        kpi_target=Decimal("99.5"),
        kpi_direction=KPIDirection.higher_is_better,
    )
    ContractFactory.create(reference="C-1", lot=lot)
    text = (
        HEADER
        + f"C-1,,availability,2024-01-01,2024-12-31,Good,99.7,%,{NARRATIVE}\n"
        + f"C-1,Help desk,,2024-01-01,2024-12-31,approaching target,,,{NARRATIVE}\n"
    )
    result = import_csv(db_session, "assessments", text.encode(), "a.csv")
    assert result.ok, result.problems
    made = db_session.scalars(sa.select(Assessment).order_by(Assessment.id)).all()
    assert [(a.kpi, a.obligation_id, a.status) for a in made] == [
        ("Availability", obligation.id, AssessmentStatus.draft),
        ("Help desk", None, AssessmentStatus.draft),
    ]
    events = db_session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.subject_type == "assessment")
        .order_by(AuditEvent.seq)
    ).all()
    assert events == ["assessment.create", "assessment.create"]
    again = import_csv(db_session, "assessments", text.encode(), "a.csv")
    assert again.ok and again.created_ids == [] and [line for line, _ in again.present] == [2, 3]


def test_a_row_without_a_narrative_names_line_and_column_and_nothing_is_written(
    db_session: Session,
) -> None:
    ContractFactory.create(reference="C-2")
    text = (
        HEADER
        + f"C-2,Availability,,2024-01-01,2024-12-31,Good,,,{NARRATIVE}\n"
        + "C-2,Help desk,,2024-01-01,2024-12-31,Good,,,see file\n"
        + f"C-2,Help desk,,2024-01-01,2024-12-31,Excellent,,,{NARRATIVE}\n"
        + f"NOPE,Help desk,,2024-01-01,2024-12-31,Good,,,{NARRATIVE}\n"
        + f"C-2,Fix time,Not one,2024-01-01,2024-12-31,Good,,,{NARRATIVE}\n"
    )
    result = import_csv(db_session, "assessments", text.encode(), "bad.csv")
    assert not result.ok
    problems = sorted(result.problems)
    assert problems[0].startswith(
        "bad.csv:3: column evidence: Enter the evidence narrative the rating rests on"
    )
    assert problems[1].startswith("bad.csv:4: column rating: 'Excellent' is not one of: Good, ")
    assert problems[2:] == [
        "bad.csv:5: column contract_reference: no contract has this reference",
        "bad.csv:6: column obligation: not an obligation of the contract's framework",
    ]
    assert _count(db_session) == 0
