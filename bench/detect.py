"""Time `registry detect --full`, then `registry detect` with nothing new (each run as a user runs
it, as `make bench` times them), on generated contracts, beside one pass over the contracts
joined to their suppliers measured in the same run, and print the ratios and what each printed.

    python -m bench.detect [--contracts 1000000] [--database-url URL] [--postgres URL]

Without --database-url a SQLite file under bench/out/ is made afresh; --postgres adds a run on
that (empty, or created by `make bench`) PostgreSQL database. The data are generated with a fixed
seed and bulk-inserted straight into the tables: groups with skewed market shares, buyers, IT
frameworks with and without exit obligations, some direct awards, extensions and creeping ends;
lots with one to six member suppliers; products (a fifth past their end of support) on one
contract in twenty, with unit prices.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import daily
from registry.buyers.models import Buyer
from registry.contracts.models import Contract, ContractExtension
from registry.contracts.queries import contract_year
from registry.db import create_engine, refresh_statistics, utcnow
from registry.frameworks.models import Framework, Lot, Membership, Obligation
from registry.markets.services import DEFAULT_CPV_DEPTH
from registry.migrate import upgrade_to_head
from registry.products.models import ContractProduct, Product
from registry.suppliers.models import Supplier, SupplierGroup

OUT = Path(__file__).resolve().parent / "out"
BATCH = 20_000
GROUPS, SUPPLIERS_PER_GROUP, BUYERS, FRAMEWORKS, LOTS_PER_FRAMEWORK = 300, 2, 40_000, 20, 3
PRODUCTS = 50
CPV_CODES = [f"48{i:03d}000" for i in range(0, 900, 9)] + [
    f"72{i:03d}000" for i in range(0, 900, 9)
]
METHODS = (
    ["open"] * 70
    + ["selective"] * 10
    + ["further competition"] * 12
    + ["direct award"] * 6
    + ["limited"] * 2
)


def _batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def generate(url: str, contracts: int, seed: int = 5) -> None:
    rnd = random.Random(seed)
    now = utcnow()
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if conn.execute(sa.select(sa.func.count()).select_from(Contract)).scalar_one():
                sys.exit(f"{url}: the contracts table is not empty; use an empty database")
            conn.execute(
                sa.insert(SupplierGroup),
                [
                    {"id": g + 1, "name": f"Group {g + 1}", "created": now, "illustrative": True}
                    for g in range(GROUPS)
                ],
            )
            conn.execute(
                sa.insert(Supplier),
                [
                    {
                        "id": s + 1,
                        "name": f"Supplier {s + 1} Ltd",
                        "normalised_name": f"supplier {s + 1}",
                        "aliases": [],
                        "group_id": s // SUPPLIERS_PER_GROUP + 1,
                        "created": now,
                        "illustrative": True,
                    }
                    for s in range(GROUPS * SUPPLIERS_PER_GROUP)
                ],
            )
            for batch in _batches(
                {
                    "id": b + 1,
                    "name": f"Buyer {b + 1}",
                    "normalised_name": f"buyer {b + 1}",
                    "buyer_type": "NHS trust",
                    "created": now,
                    "illustrative": True,
                }
                for b in range(BUYERS)
            ):
                conn.execute(sa.insert(Buyer), batch)
            conn.execute(
                sa.insert(Framework),
                [
                    {
                        "id": f + 1,
                        "reference": f"BENCH{f + 1:03d}",
                        "title": f"Bench framework {f + 1}",
                        "owner_body": "Bench",
                        "description": "",
                        "status": "live",
                        "start_date": datetime.date(2016, 1, 1),
                        "end_date": datetime.date(2020 if f % 4 else 2022, 1, 1),
                        "cpv_codes": [CPV_CODES[f * 7 % len(CPV_CODES)]],
                        "created": now,
                        "illustrative": True,
                    }
                    for f in range(FRAMEWORKS)
                ],
            )
            conn.execute(
                sa.insert(Lot),
                [
                    {
                        "id": f * LOTS_PER_FRAMEWORK + n + 1,
                        "framework_id": f + 1,
                        "number": str(n + 1),
                        "title": f"Lot {n + 1}",
                        "description": "",
                        "cpv_codes": [],
                        "created": now,
                        "illustrative": True,
                    }
                    for f in range(FRAMEWORKS)
                    for n in range(LOTS_PER_FRAMEWORK)
                ],
            )
            # Issue 10's detectors: members on each lot (closed lots), products to depend on.
            conn.execute(
                sa.insert(Membership),
                [
                    {
                        "supplier_id": (lot * 7 + k) % (GROUPS * SUPPLIERS_PER_GROUP) + 1,
                        "lot_id": lot + 1,
                        "start_date": datetime.date(2016, 1, 1),
                        "status": "active",
                        "created": now,
                        "illustrative": True,
                    }
                    for lot in range(FRAMEWORKS * LOTS_PER_FRAMEWORK)
                    for k in range(lot % 6 + 1)
                ],
            )
            conn.execute(
                sa.insert(Product),
                [
                    {
                        "id": p + 1,
                        "name": f"Product {p + 1}",
                        "version": "",
                        "group_id": p % GROUPS + 1,
                        "mainstream_support_end": datetime.date(2010 + p % 25, 1, 1),
                        "extended_support_end": datetime.date(2012 + p % 25, 1, 1),
                        "notes": "",
                        "created": now,
                        "illustrative": True,
                    }
                    for p in range(PRODUCTS)
                ],
            )
            conn.execute(
                sa.insert(Obligation),
                [
                    {
                        "framework_id": f + 1,
                        "category": category,
                        "title": category,
                        "description": "",
                        "standard_reference": "IM1",
                        "weight": 1,
                        "mandatory": True,
                        "created": now,
                        "illustrative": True,
                    }
                    for f in range(FRAMEWORKS)
                    for category in ("exit plan", "data portability", "interoperability")
                    if f % 3 or category == "interoperability"
                ],
            )
        # Each market favours a few groups (a Zipf-like weighting, shuffled per market), as real
        # markets do; awards run from 2015 to 2024.
        weights = [1 / (rank + 1) ** 1.1 for rank in range(GROUPS)]
        cumulative = list(itertools.accumulate(weights))
        market_groups = {}
        for cpv in CPV_CODES:
            order = list(range(1, GROUPS + 1))
            rnd.shuffle(order)
            market_groups[cpv] = order

        def rows() -> Iterator[dict[str, Any]]:
            for i in range(contracts):
                cpv = CPV_CODES[int(rnd.random() ** 2 * len(CPV_CODES))]
                group = rnd.choices(market_groups[cpv], cum_weights=cumulative)[0]
                supplier = (group - 1) * SUPPLIERS_PER_GROUP + rnd.randint(1, SUPPLIERS_PER_GROUP)
                award = datetime.date(2015, 1, 1) + datetime.timedelta(days=rnd.randrange(3650))
                start = award + datetime.timedelta(days=30)
                original_end = start + datetime.timedelta(days=365 * rnd.randint(1, 4))
                creep = rnd.random() < 0.001
                end = original_end + datetime.timedelta(days=800) if creep else original_end
                method = rnd.choice(METHODS)
                yield {
                    "title": f"Contract {i}",
                    "description": "",
                    "buyer_id": rnd.randint(1, BUYERS),
                    "supplier_id": supplier,
                    "lot_id": rnd.randint(1, FRAMEWORKS * LOTS_PER_FRAMEWORK)
                    if rnd.random() < 0.5
                    else None,
                    "value_amount": round(rnd.lognormvariate(11, 1.5), 2),
                    "currency": "GBP" if rnd.random() < 0.97 else "EUR",
                    "award_date": award,
                    "start_date": start,
                    "end_date": end,
                    "original_end_date": original_end,
                    "procurement_method": method,
                    "number_of_tenderers": 1
                    if method in ("direct award", "limited")
                    else rnd.randint(1, 8),
                    "cpv_code": cpv,
                    "publication": "published" if rnd.random() < 0.98 else "draft",
                    "source": "bench",
                    "created": now,
                    "illustrative": True,
                }

        with engine.begin() as conn:
            for batch in _batches(rows()):
                conn.execute(sa.insert(Contract), batch)
            # One contract in twenty depends on a product, with a unit price: one INSERT ... SELECT.
            conn.execute(
                sa.insert(ContractProduct).from_select(
                    ["contract_id", "product_id", "quantity", "unit_price", "unit", "created"],
                    sa.select(
                        Contract.id,
                        Contract.id % PRODUCTS + 1,
                        sa.literal(100),
                        (Contract.id % 97 + 10).cast(sa.Numeric(18, 2)),
                        sa.literal("per user per year"),
                        sa.literal(now, type_=ContractProduct.__table__.c.created.type),
                    ).where(Contract.id % 20 == 0),
                )
            )
            # A few contracts were extended twice.
            extended = [
                {
                    "contract_id": cid,
                    "extended_on": datetime.date(2020, 1, 1 + k),
                    "new_end_date": datetime.date(2026, 1, 1),
                    "reason": "",
                    "created": now,
                }
                for cid in range(1, contracts + 1, 1000)
                for k in range(2)
            ]
            for batch in _batches(iter(extended)):
                conn.execute(sa.insert(ContractExtension), batch)
    finally:
        engine.dispose()


def _timed(label: str, fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def scan(url: str) -> tuple[float, int]:
    """The baseline (issue 21): one pass over the contracts joined to their suppliers, reading
    what every detector needs (group, market, buyer, year and value), not an index-only scan
    (best of three, warm cache); and how many contracts there are."""
    engine = create_engine(url)
    try:
        # Planner statistics after the bulk load, as autovacuum (or ANALYZE) would keep them;
        # without them PostgreSQL plans the aggregates as if the tables were empty.
        refresh_statistics(engine)
        with engine.connect() as conn:
            query = sa.select(
                sa.func.count(),
                sa.func.sum(Contract.value_amount),
                sa.func.max(Supplier.group_id),
                sa.func.max(sa.func.substr(Contract.cpv_code, 1, DEFAULT_CPV_DEPTH)),
                sa.func.max(Contract.buyer_id),
                sa.func.max(contract_year()),
            ).join_from(Contract, Supplier, Supplier.id == Contract.supplier_id)
            baseline = min(_timed("scan", lambda: conn.execute(query).all())[0] for _ in range(3))
            count = conn.execute(sa.select(sa.func.count()).select_from(Contract)).scalar_one()
        return baseline, count
    finally:
        engine.dispose()


def measure_command(url: str, ini: Path) -> dict[str, Any]:
    """`registry detect --full` and then `registry detect` with nothing new, run as a user runs
    them (`ini` names the database), beside the scan: {label: (seconds, what it printed)}."""
    baseline, count = scan(url)
    runs = {
        "registry detect --full": daily.run(ini, "detect", "--full"),
        "registry detect, nothing new": daily.run(ini, "detect"),
    }
    return {"contracts": count, "baseline": baseline, "commands": runs}


def clear_flags(url: str) -> None:
    """Start detection from nothing on contracts generated earlier (--reuse): no flags, no
    coverage, no runs."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for table in (
                "flag_groups",
                "flag_status_changes",
                "flags",
                "detector_coverage",
                "detector_runs",
                "audit_events",
                "audit_chain_head",
            ):
                conn.execute(sa.text(f"DELETE FROM {table}"))
    finally:
        engine.dispose()


def report(name: str, url: str, contracts: int, reuse: bool = False) -> None:
    print(f"# detect on {name}: {url.split('@')[-1]}")
    if reuse:
        clear_flags(url)
        print("reusing the contracts already generated (flags, coverage and audit events cleared)")
    else:
        seconds, _ = _timed("generate", lambda: generate(url, contracts))
        print(f"generated {contracts:,} contracts in {seconds:.1f}s")
    found = measure_command(url, daily.write_ini(url))
    baseline = found["baseline"]
    print(f"contracts in the table:          {found['contracts']:>12,}")
    print(f"baseline one pass:               {baseline:>10.3f} s")
    for label, (seconds, printed) in found["commands"].items():
        print(f"{label + ':':<31}{seconds:>11.3f} s   ratio {seconds / baseline:>6.1f}x the scan")
        print("\n".join(daily.log_lines(printed)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--contracts", type=int, default=1_000_000, help="how many contracts to generate"
    )
    parser.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--postgres", help="also run on this empty PostgreSQL database URL")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time detection on the contracts a previous run generated (a bench database only: "
        "its flags, coverage, detector runs and audit events are deleted first)",
    )
    args = parser.parse_args(argv)
    if args.contracts < 1:
        parser.error("--contracts must be at least 1")
    targets = []
    if args.database_url:
        targets.append(("the given database", args.database_url))
    else:
        OUT.mkdir(exist_ok=True)
        path = OUT / "detect.db"
        if not args.reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        targets.append(("SQLite", f"sqlite:///{path}"))
    if args.postgres:
        targets.append(("PostgreSQL", args.postgres))
    for name, url in targets:
        upgrade_to_head(url)
        report(name, url, args.contracts, args.reuse)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
