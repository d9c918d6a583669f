"""The public home page's figures: what the registry found, read from what `registry detect`
stored (market figures, flags), the import ledger and the assessment clocks; nothing here
recomputes a market or runs a detector."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.flags.detectors import DETECTORS
from registry.flags.models import ACTIVE_STATUSES, Flag
from registry.markets.keys import CLASSIFIED_KINDS
from registry.markets.models import MarketFigures
from registry.markets.services import market_labels
from registry.opendata.models import ImportRun
from registry.scoring import clock_rules, clock_views, clocks

ROWS = 5


@dataclasses.dataclass(frozen=True)
class ConcentratedMarket:
    key: str
    label: str
    hhi: float
    cr1: float
    groups: int
    contracts: int
    computed_at: datetime.datetime
    method_version: str


@dataclasses.dataclass(frozen=True)
class DetectorCount:
    detector: str
    title: str
    open_flags: int


def concentrated_markets(
    db: Session, depth: int, min_contracts: int, rows: int = ROWS
) -> list[ConcentratedMarket]:
    """The markets of what is bought (not buyer-wide ones) with the highest stored HHI by buyers
    won, among those large enough for the concentration detector to judge."""
    of_classified_kind = sa.or_(
        *(MarketFigures.market_key.startswith(f"{kind}-") for kind in CLASSIFIED_KINDS)
    )
    found = db.execute(
        sa.select(MarketFigures)
        .where(of_classified_kind, MarketFigures.contracts >= min_contracts)
        .order_by(MarketFigures.buyers_hhi.desc(), MarketFigures.market_key)
        .limit(rows)
    ).scalars()
    figures = list(found)
    labels = market_labels(db, {f.market_key for f in figures}, depth)
    return [
        ConcentratedMarket(
            key=f.market_key,
            label=labels.get(f.market_key, f.market_key),
            hhi=f.buyers_hhi,
            cr1=f.buyers_cr1,
            groups=f.groups,
            contracts=f.contracts,
            computed_at=f.computed_at,
            method_version=f.method_version,
        )
        for f in figures
    ]


def open_flags_by_detector(db: Session) -> list[DetectorCount]:
    """Open and acknowledged flags per detector, the most first."""
    rows = db.execute(
        sa.select(Flag.detector, sa.func.count())
        .where(Flag.status.in_(ACTIVE_STATUSES))
        .group_by(Flag.detector)
        .order_by(sa.func.count().desc(), Flag.detector)
    ).all()
    return [
        DetectorCount(
            detector=detector,
            title=DETECTORS[detector].title if detector in DETECTORS else detector,
            open_flags=count,
        )
        for detector, count in rows
    ]


def latest_imports(db: Session, rows: int = ROWS) -> list[ImportRun]:
    return list(
        db.execute(sa.select(ImportRun).order_by(ImportRun.id.desc()).limit(rows)).scalars()
    )


def public_home(
    db: Session, depth: int, min_contracts: int, as_of: datetime.date
) -> dict[str, Any]:
    # Published contracts and assessments only, as /assessment-clocks counts them.
    totals, due_soon = clock_views.state_summary(
        db, clocks.Scope(), as_of, clock_rules.DUE_SOON, ROWS
    )
    computed = db.execute(sa.select(sa.func.max(MarketFigures.computed_at))).scalar_one()
    return {
        "markets": concentrated_markets(db, depth, min_contracts),
        "figures_computed_at": computed,
        "detectors": open_flags_by_detector(db),
        "imports": latest_imports(db),
        "clock_totals": totals,
        "due_soon": due_soon,
        "as_of": as_of,
        "min_contracts": min_contracts,
    }
