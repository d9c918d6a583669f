"""Proprietary interfaces: an IT framework that asks for no open-standard interoperability.

Source: European Commission, "Against lock-in: building open ICT systems by making better use of
standards in public procurement", COM(2013) 455.
"""

from __future__ import annotations

import sqlalchemy as sa

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

# CPV divisions and groups that are IT: software (48), IT services (72), computer equipment (302).
IT_CPV_PREFIXES = ("48", "72", "302")
OPEN_CATEGORIES = (ObligationCategory.interoperability, ObligationCategory.open_standards)


def is_it_framework() -> sa.ColumnElement[bool]:
    # cpv_codes is a JSON list; its text form ('["48000000", ...]') reads the same on SQLite and
    # PostgreSQL, so a LIKE on '"48' finds any code in the list starting 48.
    text = sa.cast(Framework.cpv_codes, sa.Text)
    return sa.or_(*(text.like(f'%"{prefix}%') for prefix in IT_CPV_PREFIXES))


def find(ctx: RunContext) -> list[Finding]:
    needed = int(ctx.thresholds["min_obligations"])
    open_obligation = sa.and_(
        Obligation.framework_id == Framework.id,
        Obligation.retracted_at.is_(None),
        Obligation.supplier_id.is_(None),
        Obligation.category.in_(OPEN_CATEGORIES),
        Obligation.standard_reference.is_not(None),
        Obligation.standard_reference != "",
    )
    count = sa.func.count(Obligation.id)
    rows = ctx.db.execute(
        sa.select(Framework.id, Framework.reference, Framework.title, count.label("n"))
        .outerjoin(Obligation, open_obligation)
        .where(Framework.retracted_at.is_(None), is_it_framework())
        .group_by(Framework.id, Framework.reference, Framework.title)
        .having(count < needed)
    )
    return [
        Finding(
            subject_type=SubjectType.framework,
            subject_key=row.reference,
            subject_label=f"{row.reference}: {row.title}",
            severity=Severity.medium,
            metrics={"open_standard_obligations": int(row.n), "required": needed},
            framework_id=row.id,
        )
        for row in rows
    ]


def coverage(ctx: RunContext) -> CoverageSource:
    columns = coverage_select(
        SubjectType.framework,
        Framework.reference,
        Framework.reference + ": " + Framework.title,
        not_applicable=[(~is_it_framework(), "not an IT framework (no CPV 48, 72 or 302 code)")],
    )
    return [sa.select(*columns).where(Framework.retracted_at.is_(None))]


DETECTOR = Detector(
    id="proprietary_interfaces",
    title="Proprietary interfaces",
    rule=(
        "A framework for IT (CPV 48, 72 or 302) has fewer than {min_obligations} interoperability "
        "or open-standards obligations naming a standard (such as IM1 or GP Connect) that bind "
        "all its suppliers."
    ),
    source=(
        'European Commission, "Against lock-in: building open ICT systems by making better use of '
        'standards in public procurement", COM(2013) 455.'
    ),
    source_url="https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:52013DC0455",
    thresholds=(
        Threshold("min_obligations", 1, 1, 100, "open-standard obligations an IT framework needs"),
    ),
    subjects="frameworks",
    find=find,
    coverage=coverage,
)
