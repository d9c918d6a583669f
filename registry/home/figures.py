"""The public home page's figures: what the registry found, read from what `registry detect`
stored (market figures, flags), the import ledger and the assessment clocks; nothing here
recomputes a market or runs a detector."""

from __future__ import annotations

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
from registry.scoring.clocks import rules as clock_rules
from registry.scoring.clocks import services as clocks
from registry.scoring.clocks import summaries

ROWS = 5


def concentrated_markets(
    db: Session, depth: int, min_contracts: int, rows: int = ROWS
) -> tuple[list[MarketFigures], dict[str, str]]:
    """The markets of what is bought (not buyer-wide ones) with the highest stored HHI by buyers
    won, among those large enough for the concentration detector to judge; and their labels."""
    of_classified_kind = sa.or_(
        *(MarketFigures.market_key.startswith(f"{kind}-") for kind in CLASSIFIED_KINDS)
    )
    figures = list(
        db.execute(
            sa.select(MarketFigures)
            .where(of_classified_kind, MarketFigures.contracts >= min_contracts)
            .order_by(MarketFigures.buyers_hhi.desc(), MarketFigures.market_key)
            .limit(rows)
        ).scalars()
    )
    return figures, market_labels(db, {f.market_key for f in figures}, depth)


def open_flags_by_detector(db: Session) -> list[dict[str, Any]]:
    """Open and acknowledged flags per detector (its id, title and count), the most first."""
    rows = db.execute(
        sa.select(Flag.detector, sa.func.count())
        .where(Flag.status.in_(ACTIVE_STATUSES))
        .group_by(Flag.detector)
        .order_by(sa.func.count().desc(), Flag.detector)
    ).all()
    titles = {d.id: d.title for d in DETECTORS.values()}
    return [
        {"detector": detector, "title": titles.get(detector, detector), "open_flags": count}
        for detector, count in rows
    ]


def latest_imports(db: Session, rows: int = ROWS) -> list[ImportRun]:
    return list(
        db.execute(sa.select(ImportRun).order_by(ImportRun.id.desc()).limit(rows)).scalars()
    )


def clocks_coming_due(db: Session, as_of: datetime.date) -> dict[str, Any]:
    """Every clock state's count and the assessments due soonest, of published contracts and
    assessments only, as /assessment-clocks counts them."""
    totals, due_soon = summaries.state_summary(
        db, clocks.Scope(), as_of, clock_rules.DUE_SOON, ROWS
    )
    return {"clock_totals": totals, "due_soon": due_soon, "as_of": as_of}


def public_home(db: Session, depth: int, min_contracts: int) -> dict[str, Any]:
    computed = db.execute(sa.select(sa.func.max(MarketFigures.computed_at))).scalar_one()
    markets, labels = concentrated_markets(db, depth, min_contracts)
    return {
        "markets": markets,
        "market_labels": labels,
        "figures_computed_at": computed,
        "detectors": open_flags_by_detector(db),
        "imports": latest_imports(db),
        "min_contracts": min_contracts,
    }
