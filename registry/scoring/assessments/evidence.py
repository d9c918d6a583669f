"""Evidence-bound ratings: contradictions between a rating and its KPI measurements, their audit
events, and each buyer's distribution of published ratings (so rating inflation is visible).

The contradiction rules (version `clock_rules.CLOCK_METHOD_VERSION`, shown on /assessment-clocks):

1. *Measurement against target.* An assessment that names an obligation with a KPI target and a
   direction, and gives a measured value (in the obligation's unit, or with no unit), contradicts
   itself when it is rated Good and the value misses the target, or rated Approaching target,
   Requires improvement or Inadequate and the value meets or beats it. Other is never flagged.
   Units are compared after normalisation (`clocks.rules.UNIT_VOCABULARY`); where they still
   differ, or there is no value or target, the check did not run and `not_checked` says why.
2. *Good beside misses.* A Good rating of a contract KPI contradicts the contract's measurements
   when at least two other KPIs of the same contract, assessed (not drafts, not retracted) for
   periods overlapping its own, were measured missing their targets (as in rule 1).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from registry.audit.services import record_event
from registry.figures.models import BuyerTotals
from registry.figures.reading import Computed
from registry.frameworks.models import KPIDirection, Obligation
from registry.scoring.assessments.models import Assessment, AssessmentStatus, Rating
from registry.scoring.assessments.public import published_assessments
from registry.scoring.clocks import rules

CONTRADICTION_ACTION = "assessment.contradiction"


def unit_name(unit: Any) -> Any:
    """SQL for clocks.rules.normalise_unit: the name a unit column is compared under (null when
    blank)."""
    text = sa.func.lower(sa.func.trim(unit))
    whens: list[Any] = [(sa.or_(unit.is_(None), text == ""), sa.null())]
    for name, spellings in rules.UNIT_VOCABULARY.items():
        matches = [text == s for s in spellings]
        matches += [text.startswith(s + " ", autoescape=True) for s in spellings]
        whens.append((sa.or_(*matches), name))
    return sa.case(*whens, else_=text)


def _measured() -> Any:
    """Assessments measured against a KPI target: whether the measurement met it (1 or 0)."""
    met = sa.case(
        (
            Obligation.kpi_direction == KPIDirection.lower_is_better,
            sa.case((Assessment.measured_value <= Obligation.kpi_target, 1), else_=0),
        ),
        else_=sa.case((Assessment.measured_value >= Obligation.kpi_target, 1), else_=0),
    )
    measured_unit, target_unit = unit_name(Assessment.unit), unit_name(Obligation.kpi_unit)
    same_unit = sa.or_(measured_unit.is_(None), target_unit.is_(None), measured_unit == target_unit)
    return (
        sa.select(
            Assessment.id,
            Assessment.contract_id,
            Assessment.kpi,
            Assessment.period_start,
            Assessment.period_end,
            Assessment.rating,
            Assessment.status,
            Assessment.measured_value,
            Assessment.unit,
            Obligation.kpi_target,
            Obligation.kpi_unit,
            Obligation.kpi_direction,
            met.label("met"),
        )
        .join(Obligation, Obligation.id == Assessment.obligation_id)
        .where(
            Assessment.retracted_at.is_(None),
            Assessment.measured_value.is_not(None),
            Obligation.kpi_target.is_not(None),
            Obligation.kpi_direction.is_not(None),
            same_unit,
        )
        .subquery("measured")
    )


def _number(value: Any) -> str:
    return f"{value.normalize():f}" if value is not None else ""


def contradictions(db: Session, assessment_ids: list[int]) -> dict[int, list[str]]:
    """The reasons each of these assessments contradicts its measurements (absent when none)."""
    if not assessment_ids:
        return {}
    found: dict[int, list[str]] = {}
    m = _measured()
    rule1 = sa.select(m).where(
        m.c.id.in_(assessment_ids),
        sa.or_(
            sa.and_(m.c.rating == Rating.good, m.c.met == 0),
            sa.and_(m.c.rating.in_(rules.BELOW_TARGET_RATINGS), m.c.met == 1),
        ),
    )
    for row in db.execute(rule1):
        verb = "misses" if row.met == 0 else "meets"
        unit = f" {row.kpi_unit}" if row.kpi_unit else ""
        found.setdefault(row.id, []).append(
            f"Rated {row.rating.value} but the measured value {_number(row.measured_value)}{unit} "
            f"{verb} the target {_number(row.kpi_target)}{unit} ({row.kpi_direction.value})"
        )
    other = _measured().alias("other")
    rated = aliased(Assessment)
    rule2 = (
        sa.select(rated.id, sa.func.count(other.c.id), sa.func.min(other.c.kpi))
        .join(
            other,
            sa.and_(
                other.c.contract_id == rated.contract_id,
                other.c.id != rated.id,
                other.c.met == 0,
                other.c.status != AssessmentStatus.draft,
                other.c.period_start <= rated.period_end,
                other.c.period_end >= rated.period_start,
            ),
        )
        .where(rated.id.in_(assessment_ids), rated.rating == Rating.good)
        .group_by(rated.id)
        .having(sa.func.count(other.c.id) >= rules.OTHER_MISSES_FOR_GOOD)
    )
    for assessment_id, misses, example in db.execute(rule2):
        found.setdefault(assessment_id, []).append(
            f"Rated Good while {misses} other KPIs of this contract missed their targets in "
            f"overlapping periods (for example {example})"
        )
    return found


def not_checked(db: Session, assessment_ids: list[int]) -> dict[int, str]:
    """Why rule 1 (measurement against target) could not run for each of these assessments
    (absent when it ran): a check that did not run says so, never "no contradiction"."""
    if not assessment_ids:
        return {}
    rows = db.execute(
        sa.select(
            Assessment.id,
            Assessment.measured_value,
            Assessment.unit,
            Obligation.kpi_target,
            Obligation.kpi_unit,
            Obligation.kpi_direction,
        )
        .outerjoin(Obligation, Obligation.id == Assessment.obligation_id)
        .where(Assessment.id.in_(assessment_ids))
    )
    found: dict[int, str] = {}
    for row in rows:
        measured, target = rules.normalise_unit(row.unit), rules.normalise_unit(row.kpi_unit)
        if row.kpi_target is None or row.kpi_direction is None:
            found[row.id] = "Not checked: the KPI has no target and direction to compare with"
        elif row.measured_value is None:
            found[row.id] = "Not checked: no measured value was given"
        elif measured and target and measured != target:
            found[row.id] = f"Not checked: units differ ({row.unit} vs {row.kpi_unit})"
    return found


def flag_contradictions(db: Session, a: Assessment, actor: Any) -> list[str]:
    """On submission: when the rating contradicts its measurements, say so in the audit trail,
    so the auditor sees it and the record shows it was seen."""
    reasons = contradictions(db, [a.id]).get(a.id, [])
    if reasons:
        record_event(
            db,
            action=CONTRADICTION_ACTION,
            subject_type="assessment",
            subject_id=a.id,
            actor=actor,
            actor_label=None if actor else "system",
            after={
                "rating": a.rating,
                "measured_value": a.measured_value,
                "rule_version": rules.CLOCK_METHOD_VERSION,
                "reasons": reasons,
            },
            reason="; ".join(reasons),
        )
    return reasons


# -- rating distributions ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Distribution:
    """Counts of published ratings by the Procurement Act scale."""

    counts: dict[str, int]
    # When the stored counts were computed (registry.figures.totals); None: counted now.
    computed: Computed | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, rating: str) -> float | None:
        return self.counts.get(rating, 0) / self.total if self.total else None

    def rows(self) -> list[tuple[str, int, float | None]]:
        return [(r.value, self.counts.get(r.value, 0), self.share(r.value)) for r in Rating]


def published_ratings() -> list[Any]:
    return published_assessments()


def stored_ratings(db: Session, model: Any, record_id: int) -> Distribution | None:
    """A supplier's or buyer's published ratings from its stored totals (`model` SupplierTotals
    or BuyerTotals), or None when it has none yet."""
    key = model.__table__.primary_key.columns.values()[0]
    names = {r.value: _column_name(r) for r in Rating}
    row = db.execute(
        sa.select(
            *(model.__table__.c[n] for n in names.values()), model.method_version, model.computed_at
        ).where(key == record_id)
    ).first()
    if row is None:
        return None
    counts = {rating: count for rating, count in zip(names, row, strict=False) if count}
    return Distribution(counts, Computed.of([row]))


def distribution(db: Session, buyer_id: int) -> Distribution:
    """The buyer's published ratings: stored (registry.figures.totals), or counted now for a
    buyer without stored totals."""
    stored = stored_ratings(db, BuyerTotals, buyer_id)
    if stored is not None:
        return stored
    rows = db.execute(
        sa.select(Assessment.rating, sa.func.count())
        .where(*published_ratings(), Assessment.buyer_id == buyer_id)
        .group_by(Assessment.rating)
    ).all()
    return Distribution({rating.value: count for rating, count in rows})


def rating_columns() -> dict[str, Any]:
    """Per-rating counts of published assessments, as aggregate columns (for a GROUP BY)."""
    published = sa.and_(*published_ratings())
    return {
        _column_name(r): sa.func.coalesce(
            sa.func.sum(sa.case((sa.and_(published, Assessment.rating == r), 1), else_=0)), 0
        )
        for r in Rating
    }


def _column_name(rating: Rating) -> str:
    return "ratings_" + rating.name
