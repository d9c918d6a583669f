"""Benchmark `registry score`: at least 1,000,000 published assessments, scored set-based.

    python -m bench.score [--database-url URL] [--suppliers N] [--periods N] [--runs]

Builds a fresh database (a temporary SQLite file unless --database-url names one; it must be
empty or disposable), inserts the assessments with one INSERT ... SELECT over small helper
tables, then times `registry score` as the daily job runs it (registry.scoring.scores.incremental):
a first run, which writes every score, and one with nothing new, beside one plain GROUP BY scan
of the assessments table, and prints them and the ratios (`make bench` runs `measure` so on the
national data set). With --runs it prints the runs alone, with a third after a small change
written by hand (a few assessments re-rated and one added, by SQL).
"""

from __future__ import annotations

import argparse
import datetime
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.figures import figure
from registry.db import UTCDateTime, create_engine, utcnow
from registry.frameworks.models import Framework, FrameworkStatus, Obligation, ObligationCategory
from registry.migrate import upgrade_to_head
from registry.scoring.assessments.models import Assessment, AssessmentStatus
from registry.scoring.scores import incremental
from registry.scoring.scores import services as scores
from registry.suppliers.models import Supplier, SupplierGroup

FRAMEWORKS = 10  # one obligation each: every supplier is assessed on every framework
AS_OF = datetime.date(2026, 6, 30)
RATINGS = ["Good", "Approaching target", "Requires improvement", "Inadequate", "Other"]

helpers = sa.MetaData()
bench_suppliers = sa.Table(
    "bench_suppliers", helpers, sa.Column("id", sa.Integer, primary_key=True)
)
bench_periods = sa.Table(
    "bench_periods",
    helpers,
    sa.Column("idx", sa.Integer, primary_key=True),
    sa.Column("period_start", sa.Date),
    sa.Column("period_end", sa.Date),
    sa.Column("period_end_day", sa.Integer),
)


def _month_periods(count: int) -> list[dict[str, object]]:
    rows = []
    year, month = AS_OF.year, AS_OF.month
    for idx in range(count):
        start = datetime.date(year, month, 1)
        end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        rows.append(
            {
                "idx": idx,
                "period_start": start,
                "period_end": end,
                "period_end_day": end.toordinal(),
            }
        )
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return rows


def build(db: Session, suppliers: int, periods: int) -> int:
    db.execute(sa.insert(SupplierGroup), [{"name": f"Bench group {i}"} for i in range(suppliers)])
    group_ids = list(db.scalars(sa.select(SupplierGroup.id).order_by(SupplierGroup.id)))
    db.execute(
        sa.insert(Supplier),
        [
            {
                "name": f"Bench supplier {i}",
                "normalised_name": f"bench supplier {i}",
                "group_id": gid,
                "aliases": [],
            }
            for i, gid in enumerate(group_ids)
        ],
    )
    for n in range(FRAMEWORKS):
        framework = Framework(
            reference=f"BENCH{n}",
            title=f"Bench framework {n}",
            owner_body="Bench",
            status=FrameworkStatus.live,
        )
        db.add(framework)
        db.flush()
        db.add(
            Obligation(
                framework_id=framework.id,
                category=ObligationCategory.security,
                title=f"Bench KPI {n}",
                weight=Decimal(1 + n % 3),
            )
        )
    db.flush()
    helpers.create_all(db.connection())
    db.execute(sa.insert(bench_suppliers).from_select(["id"], sa.select(Supplier.id)))
    db.execute(sa.insert(bench_periods), _month_periods(periods))

    s, o, p = bench_suppliers.c, Obligation.__table__.c, bench_periods.c
    mix = (s.id * 7 + o.id * 13 + p.idx * 17) % 100
    rating = sa.case(
        (mix < 45, RATINGS[0]),
        (mix < 70, RATINGS[1]),
        (mix < 85, RATINGS[2]),
        (mix < 95, RATINGS[3]),
        else_=RATINGS[4],
    )
    key = (
        sa.literal("obligation:")
        + sa.cast(o.id, sa.String(12))
        + sa.literal(":supplier:")
        + sa.cast(s.id, sa.String(12))
    )
    columns = {
        "obligation_id": o.id,
        "supplier_id": s.id,
        "framework_id": o.framework_id,
        "kpi": o.title,
        "kpi_key": key,
        "period_start": p.period_start,
        "period_end": p.period_end,
        "period_end_day": p.period_end_day,
        "rating": rating,
        "weight": o.weight,
        "evidence": sa.literal(""),
        "evidence_links": sa.literal([], sa.JSON),
        "assessor_name": sa.literal("bench"),
        "status": sa.literal(AssessmentStatus.published.value),
        "version": sa.literal(1),
        "created": sa.literal(utcnow(), UTCDateTime),
        "illustrative": sa.true(),
    }
    source = sa.select(*[value.label(name) for name, value in columns.items()]).select_from(
        bench_suppliers.join(Obligation.__table__, sa.true()).join(bench_periods, sa.true())
    )
    db.execute(sa.insert(cast(sa.Table, Assessment.__table__)).from_select(list(columns), source))
    helpers.drop_all(db.connection())
    return db.scalar(sa.select(sa.func.count()).select_from(Assessment)) or 0


def _timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _small_change(db: Session) -> None:
    """A day's small change, behind the ORM's back: ten assessments re-rated, one added."""
    a = cast(sa.Table, Assessment.__table__)
    db.execute(
        sa.update(a)
        .where(a.c.id.in_(sa.select(a.c.id).order_by(a.c.id).limit(10)))
        .values(rating=sa.case((a.c.rating == RATINGS[0], RATINGS[3]), else_=RATINGS[0]))
    )
    columns = [c.name for c in a.columns if c.name != "id"]
    copy = sa.select(*(a.c[name] for name in columns)).order_by(a.c.id.desc()).limit(1)
    db.execute(sa.insert(a).from_select(columns, copy))


def measure_runs(
    url: str, as_of: datetime.date = AS_OF, *, small_change: bool = True
) -> list[tuple[str, float, str, scores.RecomputeSummary]]:
    """`registry score` as the daily job runs it (incremental.score, in a transaction of its
    own): a first run, one with nothing new and, with `small_change`, one after a small change.
    (run, seconds, what it said, its summary) each."""
    engine = create_engine(url)
    timed = []
    runs: list[tuple[str, Any]] = [("first run", None), ("nothing new", None)]
    if small_change:
        runs.append(("small change", _small_change))
    try:
        for name, before in runs:
            if before is not None:
                with Session(engine) as db, db.begin():
                    before(db)
            with Session(engine) as db, db.begin():
                started = time.perf_counter()
                said, summary = incremental.score(db, as_of)
                timed.append((name, time.perf_counter() - started, said, summary))
    finally:
        engine.dispose()
    return timed


def measure(url: str, as_of: datetime.date = AS_OF, verify: bool = True) -> dict[str, Any]:
    """`registry score` on a filled database (measure_runs: a first run, which writes every
    score, then one with nothing new, which rescores nothing) beside one GROUP BY scan of the
    assessments (best of three, warm cache); with `verify`, scores.verify then re-derives every
    score the other way (in Python: minutes at a million assessments)."""
    engine = create_engine(url)
    try:
        scan = sa.select(
            Assessment.supplier_id,
            Assessment.framework_id,
            sa.func.count(),
            sa.func.sum(Assessment.weight),
        ).group_by(Assessment.supplier_id, Assessment.framework_id)
        with engine.connect() as conn:
            baseline = min(_timed(lambda: conn.execute(scan).all()) for _ in range(3))
            count = conn.execute(sa.select(sa.func.count()).select_from(Assessment)).scalar_one()
        runs = measure_runs(url, as_of, small_change=False)
        problems: list[str] | None = None
        verified = 0.0
        if verify:
            with Session(engine) as db:
                started = time.perf_counter()
                problems = scores.verify(db)
                verified = time.perf_counter() - started
    finally:
        engine.dispose()
    (_, seconds, said, first), (_, again, said_again, second) = runs
    return {
        "assessments": count,
        "baseline": baseline,
        "seconds": seconds,
        "said": said,
        "scores": first.scores,
        "periods": first.periods,
        "again": again,
        "said_again": said_again,
        "written_again": second.written,
        "mismatches": None if problems is None else len(problems),
        "verify_seconds": verified,
    }


def describe(measured: dict[str, Any]) -> list[str]:
    m = measured
    return [
        f"registry score, first run: {m['scores']:,} scores over {m['periods']} periods from "
        f"{m['assessments']:,} assessments in {m['seconds']:.2f} s; scan {m['baseline']:.3f} s; "
        f"ratio {m['seconds'] / m['baseline']:.2f}x",
        f"    {m['said']}",
        f"registry score, nothing new: {m['again']:.2f} s ({m['written_again']:,} scores "
        f"written); ratio {m['again'] / m['baseline']:.2f}x",
        f"    {m['said_again']}",
        "verify: not run"
        if m["mismatches"] is None
        else f"verify: {m['mismatches']} mismatches in {m['verify_seconds']:.1f} s",
    ]


def figures(measured: dict[str, Any]) -> list[dict[str, Any]]:
    m = measured
    note = f"{m['assessments']:,} assessments, {m['periods']} periods"
    return [
        figure(
            "`registry score`, first run, s",
            m["seconds"],
            m["baseline"],
            "<= 3x the scan",
            m["seconds"] <= 3 * m["baseline"],
            f"{note}: every score written",
        ),
        figure(
            "`registry score`, nothing new, s",
            m["again"],
            m["baseline"],
            "<= 3x the scan",
            m["again"] <= 3 * m["baseline"],
            "second run: nothing rescored",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--suppliers", type=int, default=2000)
    parser.add_argument("--periods", type=int, default=50, help="monthly periods per KPI")
    parser.add_argument(
        "--runs",
        action="store_true",
        help="the runs alone (no scan, no verify), and a third after a small change",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench-score.db'}"
        upgrade_to_head(url)
        engine = create_engine(url)
        try:
            started = time.perf_counter()
            with Session(engine) as db, db.begin():
                count = build(db, args.suppliers, args.periods)
            print(f"assessments: {count:,} inserted in {time.perf_counter() - started:.1f}s")
        finally:
            engine.dispose()
        if args.runs:
            for name, seconds, said, _ in measure_runs(url):
                print(f"registry score, {name}: {seconds:.2f} s  {said}")
        else:
            print("\n".join(describe(measure(url))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
