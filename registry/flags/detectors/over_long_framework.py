"""Over-long framework: a framework that runs, or may run, for more than four years.

Source: Procurement Act 2023, section 47 (a framework's term must not exceed four years, eight for
defence and security frameworks).
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
from registry.frameworks.models import Framework
from registry.sql import days_between


def find(ctx: RunContext) -> list[Finding]:
    years = int(ctx.thresholds["max_years"])
    end = sa.func.coalesce(Framework.extended_end_date, Framework.end_date)
    term = days_between(end, Framework.start_date)
    # Calendar years hold 365.25 days on average: four years from any 1 January are 1,461 days.
    too_long_dates = sa.and_(
        Framework.start_date.is_not(None), end.is_not(None), term > round(years * 365.25)
    )
    too_long_maximum = Framework.max_term_months > years * 12
    rows = ctx.db.execute(
        sa.select(
            Framework.id,
            Framework.reference,
            Framework.title,
            Framework.start_date,
            end.label("end"),
            Framework.max_term_months,
            term.label("term"),
        ).where(Framework.retracted_at.is_(None), sa.or_(too_long_dates, too_long_maximum))
    )
    return [
        Finding(
            subject_type=SubjectType.framework,
            subject_key=row.reference,
            subject_label=f"{row.reference}: {row.title}",
            severity=Severity.medium,
            metrics={
                "start_date": str(row.start_date) if row.start_date else None,
                "end_date": str(row.end) if row.end else None,
                "term_days": int(row.term) if row.term is not None else None,
                "term_years": round(float(row.term) / 365.25, 2) if row.term is not None else None,
                "max_term_months": row.max_term_months,
            },
            framework_id=row.id,
        )
        for row in rows
    ]


def coverage(ctx: RunContext) -> CoverageSource:
    end = sa.func.coalesce(Framework.extended_end_date, Framework.end_date)
    no_dates = sa.or_(Framework.start_date.is_(None), end.is_(None))
    columns = coverage_select(
        SubjectType.framework,
        Framework.reference,
        Framework.reference + ": " + Framework.title,
        not_applicable=[
            (
                sa.and_(no_dates, Framework.max_term_months.is_(None)),
                "no start and end dates and no maximum term",
            )
        ],
        checked_note=[(no_dates, "start or end date missing: only the maximum term was checked")],
    )
    return [sa.select(*columns).where(Framework.retracted_at.is_(None))]


DETECTOR = Detector(
    id="over_long_framework",
    title="Over-long framework",
    rule=(
        "A framework's term from start to (extended) end is more than {max_years} years "
        "(over {max_years} times 365.25 days), or its stated maximum term is over {max_years} years."
    ),
    source="Procurement Act 2023, section 47: a framework must not run for more than four years.",
    source_url="https://www.legislation.gov.uk/ukpga/2023/54/section/47",
    thresholds=(Threshold("max_years", 4, 1, 50, "the longest term allowed, in years"),),
    subjects="frameworks",
    find=find,
    coverage=coverage,
)
