"""Extension creep: a contract's end keeps moving, far beyond what was awarded.

Source: Open Contracting Partnership red flags R064 (contract duration extended) and R069
(repeated amendments); National Audit Office reports on contracts extended without competition.
"""

from __future__ import annotations

import sqlalchemy as sa

from registry.contracts.models import Contract, ContractExtension
from registry.contracts.queries import public_contract
from registry.flags.detectors.base import (
    CoverageSource,
    Detector,
    Finding,
    RunContext,
    Threshold,
    coverage_select,
)
from registry.flags.models import Severity, SubjectType
from registry.sql import days_between


def find(ctx: RunContext) -> list[Finding]:
    ratio = float(ctx.thresholds["overrun_ratio"])
    max_extensions = int(ctx.thresholds["max_extensions"])
    extensions = (
        sa.select(ContractExtension.contract_id, sa.func.count().label("n"))
        .group_by(ContractExtension.contract_id)
        .subquery()
    )
    count = sa.func.coalesce(extensions.c.n, 0)
    term = days_between(Contract.original_end_date, Contract.start_date)
    overrun = days_between(Contract.end_date, Contract.original_end_date)
    overran = sa.and_(
        Contract.start_date.is_not(None),
        Contract.original_end_date.is_not(None),
        Contract.end_date.is_not(None),
        term > 0,
        overrun > term * ratio,
    )
    rows = ctx.db.execute(
        sa.select(
            Contract.id,
            Contract.title,
            Contract.reference,
            Contract.buyer_id,
            Contract.start_date,
            Contract.original_end_date,
            Contract.end_date,
            term.label("term"),
            overrun.label("overrun"),
            count.label("extensions"),
            overran.label("overran"),
        )
        .outerjoin(extensions, extensions.c.contract_id == Contract.id)
        .where(public_contract(), ctx.in_scope(), sa.or_(overran, count >= max_extensions))
    )
    findings = []
    for row in rows:
        term_days = int(row.term) if row.term is not None else None
        overrun_days = int(row.overrun) if row.overrun is not None else None
        both = bool(row.overran) and row.extensions >= max_extensions
        findings.append(
            Finding(
                subject_type=SubjectType.contract,
                subject_key=str(row.id),
                subject_label=row.reference or row.title,
                severity=Severity.high if both else Severity.medium,
                metrics={
                    "start_date": str(row.start_date) if row.start_date else None,
                    "original_end_date": str(row.original_end_date)
                    if row.original_end_date
                    else None,
                    "end_date": str(row.end_date) if row.end_date else None,
                    "term_days": term_days,
                    "overrun_days": overrun_days,
                    "overrun_ratio": round(overrun_days / term_days, 4)
                    if term_days and overrun_days is not None
                    else None,
                    "extensions": int(row.extensions),
                },
                buyer_id=row.buyer_id,
                contract_id=row.id,
            )
        )
    return findings


def coverage(ctx: RunContext) -> CoverageSource:
    dates_missing = sa.or_(
        Contract.start_date.is_(None),
        Contract.original_end_date.is_(None),
        Contract.end_date.is_(None),
    )
    columns = coverage_select(
        SubjectType.contract,
        Contract.id,
        sa.func.coalesce(Contract.reference, Contract.title),
        checked_note=[
            (
                dates_missing,
                "start, original end or end date missing: only the extensions were counted",
            )
        ],
    )
    return [sa.select(*columns).where(public_contract(), ctx.in_scope())]


DETECTOR = Detector(
    id="extension_creep",
    title="Extension creep",
    rule=(
        "A contract's end has moved beyond its original end by more than {overrun_ratio:.0%} of "
        "its original term, or it has been extended {max_extensions} or more times."
    ),
    source="OCP red flags R064 (duration extended) and R069 (repeated amendments); NAO reports.",
    source_url="https://www.open-contracting.org/resources/red-flags-in-public-procurement/",
    thresholds=(
        Threshold(
            "overrun_ratio", 0.5, 0.0, 100.0, "overrun, as a share of the term, that flags it"
        ),
        Threshold("max_extensions", 2, 1, 1000, "number of extensions that flags it"),
    ),
    subjects="contracts",
    find=find,
    coverage=coverage,
    scope=((SubjectType.contract, "contract"),),
)
