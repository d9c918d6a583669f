"""The public scorecard of one supplier: current scores, the trend, and what they rest on.

Published data only: current scores (computed from published assessments), published and
unretracted assessments with their replies, and published remedies.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from registry import clock
from registry.figures.models import SupplierTotals
from registry.formatting import format_score
from registry.scoring.assessments.evidence import stored_ratings
from registry.scoring.assessments.models import Assessment, Rating
from registry.scoring.assessments.public import published_assessments
from registry.scoring.remedies.services import public_remedies
from registry.scoring.scores import method
from registry.scoring.scores.models import Score

# The chart's drawing area, in SVG user units (the CSS scales it to the column).
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 480, 240, 44, 16, 16, 36

# How many published assessments the supplier page lists (overall, and per framework in the
# breakdown); the rest are one link away, on the paginated assessments list.
LATEST = 10
# Each framework's breakdown lists fewer: a large supplier is scored on dozens of frameworks, and
# the full list is the same link away.
LATEST_PER_FRAMEWORK = 3
NEWEST_FIRST = (Assessment.period_end.desc(), Assessment.id.desc())


@dataclasses.dataclass
class Chart:
    points: str  # the polyline's points
    dots: list[dict[str, Any]]
    y_ticks: list[dict[str, Any]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def chart(trend: list[Score]) -> Chart | None:
    """A line of the overall score per period, on a fixed 0 to 100 axis."""
    if not trend:
        return None
    span_x = WIDTH - LEFT - RIGHT
    span_y = HEIGHT - TOP - BOTTOM
    step = span_x / max(1, len(trend) - 1)
    dots = []
    for index, score in enumerate(trend):
        x = LEFT + (step * index if len(trend) > 1 else span_x / 2)
        y = TOP + span_y * (1 - float(score.score) / 100)
        dots.append(
            {
                "x": round(x, 1),
                "y": round(y, 1),
                "label": score.period,
                "value": format_score(score.score),
            }
        )
    ticks = [
        {"y": round(TOP + span_y * (1 - v / 100), 1), "value": v} for v in (0, 25, 50, 75, 100)
    ]
    return Chart(points=" ".join(f"{d['x']},{d['y']}" for d in dots), dots=dots, y_ticks=ticks)


# The statements below take longer to build than to run for one supplier: each is built once per
# process, the supplier and dates bound when it runs (issue 8, the supplier page under load). The
# few rows each loads have their framework, contract and reply joined in: no query more per
# relation (issue 21, each round trip counts on PostgreSQL).
SUPPLIER_ID = sa.bindparam("supplier_id", type_=sa.Integer)
PUBLISHED = (Assessment.supplier_id == SUPPLIER_ID, *published_assessments())


@functools.cache
def _statements() -> dict[str, Any]:
    ranked = (
        sa.select(
            Assessment.id,
            sa.func.row_number()
            .over(partition_by=Assessment.framework_id, order_by=NEWEST_FIRST)
            .label("rank"),
        )
        .where(
            *PUBLISHED,
            Assessment.framework_id.is_not(None),
            Assessment.rating != Rating.other,
            Assessment.period_end.between(
                sa.bindparam("oldest", type_=sa.Date), sa.bindparam("as_of", type_=sa.Date)
            ),
        )
        .subquery()
    )
    return {
        "current": sa.select(Score)
        .where(Score.supplier_id == SUPPLIER_ID, Score.current.is_(True))
        .options(joinedload(Score.framework))
        .order_by(Score.period_end),
        "total": sa.select(sa.func.count()).select_from(Assessment).where(*PUBLISHED),
        "latest": sa.select(Assessment)
        .where(*PUBLISHED)
        .options(
            joinedload(Assessment.reply),
            joinedload(Assessment.framework),
            joinedload(Assessment.contract),
        )
        .order_by(*NEWEST_FIRST)
        .limit(LATEST),
        "counted": sa.select(Assessment)
        .join(ranked, ranked.c.id == Assessment.id)
        .where(ranked.c.rank <= LATEST_PER_FRAMEWORK)
        .options(joinedload(Assessment.reply))
        .order_by(*NEWEST_FIRST),
    }


def scorecard(db: Session, supplier_id: int, today: datetime.date | None = None) -> dict[str, Any]:
    today = today or clock.today()
    statements = _statements()
    supplier = {"supplier_id": supplier_id}
    current = list(db.execute(statements["current"], supplier).scalars())
    latest_end = max((s.period_end for s in current), default=None)
    latest = [s for s in current if s.period_end == latest_end]
    overall = next((s for s in latest if s.framework_id is None), None)
    by_framework = sorted(
        (s for s in latest if s.framework_id is not None),
        key=lambda s: s.framework.reference if s.framework else "",
    )
    trend = [s for s in current if s.framework_id is None]
    # Issue 8: a supplier may have thousands of assessments; the page shows the latest few, loaded
    # with a LIMIT, and links to the full list. The scores above come from stored scores, which
    # count every assessment, so bounding this list changes no figure.
    # The count from the supplier's stored totals (registry.figures.totals): counted now only
    # for a supplier without them.
    stored = stored_ratings(db, SupplierTotals, supplier_id)
    total = stored.total if stored else db.execute(statements["total"], supplier).scalar_one()
    assessments = list(db.execute(statements["latest"], supplier).scalars())
    return {
        "overall": overall,
        "by_framework": by_framework,
        "trend": trend,
        "chart": chart(trend),
        "assessments": assessments,
        "assessments_total": total,
        "assessments_computed": stored.computed if stored else None,
        "assessments_by_framework": _counted_by_framework(db, supplier_id, latest_end),
        "today": today,
        **public_remedies(db, supplier_id),
    }


def _counted_by_framework(
    db: Session, supplier_id: int, as_of: datetime.date | None
) -> dict[int | None, list[Assessment]]:
    """The latest LATEST_PER_FRAMEWORK assessments per framework that the latest scores counted
    (within the recency window of method.WINDOW_DAYS, ending on the latest period), in one
    windowed query: row_number() runs the same on SQLite and PostgreSQL. The breakdown's full
    count is the stored score's assessments_count."""
    if as_of is None:
        return {}
    oldest = as_of - datetime.timedelta(days=method.WINDOW_DAYS - 1)
    rows = db.execute(
        _statements()["counted"], {"supplier_id": supplier_id, "oldest": oldest, "as_of": as_of}
    ).scalars()
    by_framework: dict[int | None, list[Assessment]] = {}
    for a in rows:
        by_framework.setdefault(a.framework_id, []).append(a)
    return by_framework
