"""Missing exit or portability: nothing obliges the supplier to help a buyer leave.

Source: European Commission, "Against lock-in: building open ICT systems by making better use of
standards in public procurement", COM(2013) 455; the NHS GP IT Futures IM1 bulk-extract
requirement.
"""

from __future__ import annotations

import sqlalchemy as sa

from registry.contracts.models import Contract
from registry.contracts.queries import gbp_value, public_contract
from registry.flags.detectors.base import (
    CoverageSource,
    Detector,
    Finding,
    RunContext,
    Threshold,
    coverage_select,
)
from registry.flags.models import Severity, SubjectType
from registry.frameworks.models import Framework, Obligation, ObligationCategory

EXIT = ObligationCategory.exit_plan
PORTABILITY = ObligationCategory.data_portability


def _frameworks(ctx: RunContext) -> list[Finding]:
    def has(category: ObligationCategory) -> sa.ColumnElement[int]:
        return sa.func.count(sa.case((Obligation.category == category, 1)))

    obligations = sa.and_(
        Obligation.framework_id == Framework.id,
        Obligation.retracted_at.is_(None),
        Obligation.supplier_id.is_(None),  # it must bind every supplier, not one
    )
    rows = ctx.db.execute(
        sa.select(
            Framework.id,
            Framework.reference,
            Framework.title,
            has(EXIT).label("exit"),
            has(PORTABILITY).label("portability"),
        )
        .outerjoin(Obligation, obligations)
        .where(Framework.retracted_at.is_(None))
        .group_by(Framework.id, Framework.reference, Framework.title)
        .having(sa.or_(has(EXIT) == 0, has(PORTABILITY) == 0))
    )
    findings = []
    for row in rows:
        missing = [str(c) for c, n in ((EXIT, row.exit), (PORTABILITY, row.portability)) if not n]
        findings.append(
            Finding(
                subject_type=SubjectType.framework,
                subject_key=row.reference,
                subject_label=f"{row.reference}: {row.title}",
                severity=Severity.high if len(missing) == 2 else Severity.medium,
                metrics={
                    "missing": missing,
                    "exit_plan_obligations": int(row.exit),
                    "data_portability_obligations": int(row.portability),
                },
                framework_id=row.id,
            )
        )
    return findings


def _contracts(ctx: RunContext) -> list[Finding]:
    # Obligations are recorded on frameworks: a large contract let outside any framework has none.
    value = gbp_value()
    rows = ctx.db.execute(
        sa.select(
            Contract.id, Contract.reference, Contract.title, Contract.buyer_id, value.label("value")
        ).where(
            public_contract(),
            ctx.in_scope(),
            Contract.lot_id.is_(None),
            value >= float(ctx.thresholds["contract_min_value"]),
        )
    )
    return [
        Finding(
            subject_type=SubjectType.contract,
            subject_key=str(row.id),
            subject_label=row.reference or row.title,
            severity=Severity.medium,
            metrics={
                "missing": [str(EXIT), str(PORTABILITY)],
                "value": float(row.value),
                "on_framework": False,
            },
            buyer_id=row.buyer_id,
            contract_id=row.id,
        )
        for row in rows
    ]


def find(ctx: RunContext) -> list[Finding]:
    return _frameworks(ctx) + _contracts(ctx)


def coverage(ctx: RunContext) -> CoverageSource:
    value = gbp_value()
    minimum = float(ctx.thresholds["contract_min_value"])
    frameworks = coverage_select(
        SubjectType.framework, Framework.reference, Framework.reference + ": " + Framework.title
    )
    contracts = coverage_select(
        SubjectType.contract,
        Contract.id,
        sa.func.coalesce(Contract.reference, Contract.title),
        not_applicable=[
            (
                Contract.lot_id.is_not(None),
                "framework call-off: excluded (its framework's obligations are checked)",
            ),
            (value.is_(None), "no value in pounds"),
            (value < minimum, f"worth less than £{minimum:,.0f}"),
        ],
    )
    return [
        sa.select(*frameworks).where(Framework.retracted_at.is_(None)),
        sa.select(*contracts).where(public_contract(), ctx.in_scope()),
    ]


DETECTOR = Detector(
    id="missing_exit_portability",
    title="Missing exit or portability obligation",
    rule=(
        "A framework has no exit-plan obligation or no data-portability (bulk export) obligation "
        "binding all its suppliers; or a contract worth £{contract_min_value:,.0f} or more was "
        "let outside any framework, so no such obligation is recorded for it."
    ),
    source=(
        'European Commission, "Against lock-in: building open ICT systems by making better use of '
        'standards in public procurement", COM(2013) 455; the NHS IM1 bulk-extract requirement.'
    ),
    source_url="https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:52013DC0455",
    thresholds=(
        Threshold(
            "contract_min_value", 5_000_000.0, 0.0, 1e12, "off-framework contracts from this value"
        ),
    ),
    subjects="frameworks and contracts",
    find=find,
    coverage=coverage,
    # Its frameworks' findings read no contract: a rerun for changed contracts keeps them.
    scope=((SubjectType.contract, "contract"),),
)
