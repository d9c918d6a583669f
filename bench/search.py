"""Benchmark search: at least 100,000 indexed records; reindex time and query latency p50/p95.

    python -m bench.search [--database-url URL] [--records N] [--queries N] [--keep DIR]

Builds a fresh database (a temporary SQLite file unless --database-url names one; it must be
empty or disposable) with frameworks, lots, suppliers, obligations and published contracts
(bulk INSERTs), times `registry reindex` (the same documents and Whoosh rebuild), then times a
mix of queries against the Whoosh index beside the baseline of a plain SQL LIKE scan of the
same names, and prints p50/p95 of each and the ratio. On PostgreSQL it also times the PostgreSQL
full-text backend.

--keep DIR builds the SQLite database and the Whoosh index in DIR and leaves them there; a later
run with the same DIR (and --records) times the queries against them without building again,
for measuring a change to search itself.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.figures import emit, figure
from registry.buyers.models import Buyer
from registry.config import freeze_start_up
from registry.contracts.models import Contract
from registry.db import create_engine, refresh_statistics, utcnow
from registry.frameworks.models import Framework, Lot, Membership, Obligation
from registry.migrate import upgrade_to_head
from registry.search.documents import all_documents
from registry.search.postgres_backend import PostgresSearchService
from registry.search.whoosh_backend import WhooshSearchService
from registry.search.whoosh_postings import kept_size, wait_for_warming
from registry.suppliers.models import Supplier, SupplierGroup

WORDS = [
    "clinical",
    "health",
    "data",
    "systems",
    "digital",
    "care",
    "medical",
    "cloud",
    "records",
    "analytics",
    "patient",
    "pathology",
    "imaging",
    "pharmacy",
    "network",
    "hosting",
    "security",
    "identity",
    "messaging",
    "scheduling",
    "integration",
    "portal",
    "telehealth",
    "radiology",
    "community",
    "primary",
    "acute",
    "mental",
    "dental",
]
CATEGORIES = [
    "interoperability",
    "data portability",
    "open standards",
    "security",
    "availability SLA",
    "exit plan",
]
QUERIES = [
    "health",
    "systmone",
    "clinical data",
    '"care records"',
    "EMIS",
    "bulk extract",
    "Sytmone",
    "pathology OR imaging",
    "cloud NOT hosting",
    "10012345",
    "RM6000",
    "messaging integration",
]
# Issue 21: a query never asked before (no results kept to answer it), on either backend.
ASKED_ONCE_MS = 50
ASKED_ONCE_TARGET = f"<= {ASKED_ONCE_MS} ms"
BUILT = "built"  # under --keep DIR: the records built there, once the index is written too
ROWS_PER_INSERT = 2_000  # x 12 columns: under either engine's limit on bound parameters


def _name(rng: random.Random, n: int, words: int = 3) -> str:
    return " ".join(rng.choice(WORDS).capitalize() for _ in range(words)) + f" {n}"


def _insert(db: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    # One multi-row INSERT per ROWS_PER_INSERT rows, not executemany: the driver would send one
    # statement per row, and on PostgreSQL each fires the search_vectors triggers.
    for start in range(0, len(rows), ROWS_PER_INSERT):
        db.execute(sa.insert(table).values(rows[start : start + ROWS_PER_INSERT]))


def build(db: Session, records: int) -> dict[str, int]:
    rng = random.Random(7)
    now = utcnow()
    counts = {
        "frameworks": max(10, records // 100),
        "lots": max(20, records // 25),
        "suppliers": int(records * 0.40),
        "obligations": records // 10,
    }
    counts["contracts"] = records - sum(counts.values())
    common = {"created": now, "illustrative": True}
    _insert(
        db,
        Framework.__table__,
        [
            {
                **common,
                "id": i,
                "reference": f"RM{6000 + i}",
                "title": _name(rng, i),
                "owner_body": "Crown Commercial Service",
                "description": _name(rng, i, 8),
                "status": "live",
                "cpv_codes": ["48000000"],
            }
            for i in range(1, counts["frameworks"] + 1)
        ],
    )
    _insert(
        db,
        Lot.__table__,
        [
            {
                **common,
                "id": i,
                "framework_id": (i % counts["frameworks"]) + 1,
                "number": str(i),
                "title": _name(rng, i),
                "description": _name(rng, i, 6),
                "cpv_codes": [],
            }
            for i in range(1, counts["lots"] + 1)
        ],
    )
    suppliers = counts["suppliers"]
    _insert(
        db,
        SupplierGroup.__table__,
        [{**common, "id": i, "name": f"Group {i}"} for i in range(1, suppliers + 1)],
    )
    names = {1: ("EMIS Health Ltd", ["EMIS Web"]), 2: ("The Phoenix Partnership", ["SystmOne"])}
    supplier_rows = []
    for i in range(1, suppliers + 1):
        name, aliases = names.get(i, (_name(rng, i) + " Ltd", []))
        supplier_rows.append(
            {
                **common,
                "id": i,
                "name": name,
                "normalised_name": name.lower(),
                "aliases": aliases,
                "companies_house_number": f"{10000000 + i:08d}",
                "group_id": i,
            }
        )
    _insert(db, Supplier.__table__, supplier_rows)
    _insert(
        db,
        Membership.__table__,
        [
            {
                **common,
                "id": i,
                "supplier_id": i,
                "lot_id": (i % counts["lots"]) + 1,
                "status": "active",
            }
            for i in range(1, suppliers + 1)
        ],
    )
    _insert(
        db,
        Obligation.__table__,
        [
            {
                **common,
                "id": i,
                "framework_id": (i % counts["frameworks"]) + 1,
                "category": CATEGORIES[i % len(CATEGORIES)],
                "title": ("Bulk extract of " if i % 7 == 0 else "") + _name(rng, i, 4),
                "description": _name(rng, i, 10),
                "standard_reference": rng.choice(["IM1", "GP Connect", "DSPT", "ISO 27001"]),
                "weight": 1,
                "mandatory": True,
            }
            for i in range(1, counts["obligations"] + 1)
        ],
    )
    buyers = 500
    _insert(
        db,
        Buyer.__table__,
        [
            {
                **common,
                "id": i,
                "name": f"NHS Trust {i}",
                "normalised_name": f"nhs trust {i}",
                "buyer_type": "NHS trust",
            }
            for i in range(1, buyers + 1)
        ],
    )
    _insert(
        db,
        Contract.__table__,
        [
            {
                **common,
                "id": i,
                "title": _name(rng, i, 5),
                "description": "",
                "buyer_id": (i % buyers) + 1,
                "supplier_id": (i % suppliers) + 1,
                "publication": "published",
                "source": "seed",
                "cpv_code": "48180000",
                "value_amount": 1000 * (i % 97 + 1),
                "currency": "GBP",
            }
            for i in range(1, counts["contracts"] + 1)
        ],
    )
    return counts


def _timed(run: Callable[[str], Any], q: str) -> float:
    started = time.perf_counter()
    run(q)
    return (time.perf_counter() - started) * 1000


def latencies(run: Callable[[str], Any], queries: int) -> list[float]:
    """The bench's queries in turn, each asked queries / 12 times (as popular searches are)."""
    return [_timed(run, QUERIES[n % len(QUERIES)]) for n in range(queries)]


def new_queries(count: int) -> list[str]:
    """Queries each asked once, so no result is reused: pairs of the records' words, with and
    without a third, as a stream of different users' searches would be."""
    rng = random.Random(7)
    pairs = [f"{a} {b}" for a in WORDS for b in WORDS if a < b]
    rng.shuffle(pairs)
    return [
        f"{pair} {rng.choice(WORDS)}" if n % 3 == 0 else pair
        for n, pair in enumerate(pairs[:count])
    ]


def describe(label: str, timings: list[float]) -> tuple[float, float]:
    p50 = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=20)[18]
    print(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(timings)} queries")
    return p50, p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument(
        "--no-whoosh",
        action="store_true",
        help="time the PostgreSQL backend alone (the Whoosh index does not depend on the engine)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="build the SQLite database and index in DIR once; later runs reuse them",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            tmp = str(args.keep)
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench-search.db'}"
        built = Path(tmp) / BUILT
        reuse = args.keep is not None and built.exists() and built.read_text() == str(args.records)
        upgrade_to_head(url)  # at head already when kept: it imports every model too
        engine = create_engine(url)
        try:
            started = time.perf_counter()
            if reuse:
                with Session(engine) as db:
                    total = sum(
                        db.scalar(sa.select(sa.func.count()).select_from(t)) or 0
                        for t in (
                            Framework.__table__,
                            Lot.__table__,
                            Supplier.__table__,
                            Obligation.__table__,
                            Contract.__table__,
                        )
                    )
                print(f"records: {total:,} kept in {tmp}")
            else:
                with Session(engine) as db, db.begin():
                    counts = build(db, args.records)
                total = sum(counts.values())
                print(
                    f"records: {total:,} ({counts}) inserted in "
                    f"{time.perf_counter() - started:.1f}s"
                )
                # Planner statistics after the bulk load, as `registry seed` and imports do.
                refresh_statistics(engine)

            figures = []
            if not args.no_whoosh:
                service = WhooshSearchService(Path(tmp) / "index")
                if not reuse:
                    with Session(engine) as db:
                        started = time.perf_counter()
                        indexed = service.rebuild(all_documents(db))
                        reindex = time.perf_counter() - started
                    print(f"registry reindex (whoosh): {indexed:,} records in {reindex:.1f}s")
            if args.keep is not None and not reuse:
                built.write_text(str(args.records))
            # A served process sets aside what start-up built from the collector's walks.
            freeze_start_up({"registry.gc_freeze": "true"})  # as the ini files have it
            if not args.no_whoosh:
                timings = latencies(service.search, args.queries)
                whoosh = describe("whoosh search", timings)
                # Each query's first run reads its words' postings; later runs reuse them.
                describe("whoosh search, first run of each query", timings[: len(QUERIES)])
                # A server reads the longest postings ahead in the seconds after it opens the
                # index, stepping aside for searches: the bench's searches leave it no time.
                started = time.perf_counter()
                wait_for_warming()
                print(
                    f"whoosh postings read ahead: {kept_size():,}, "
                    f"{time.perf_counter() - started:.1f}s after the queries above"
                )
                fresh = describe(
                    "whoosh search, queries asked once",
                    [_timed(service.search, q) for q in new_queries(args.queries // 2)],
                )
            with Session(engine) as db:

                def like(q: str) -> Any:
                    pattern = f"%{q.strip(chr(34)).split()[0].lower()}%"
                    return db.execute(
                        sa.select(Supplier.id)
                        .where(sa.func.lower(Supplier.name).like(pattern))
                        .union_all(
                            sa.select(Contract.id).where(
                                sa.func.lower(Contract.title).like(pattern)
                            )
                        )
                        .limit(20)
                    ).all()

                baseline = describe(
                    "baseline (SQL LIKE over supplier names and contract titles)",
                    latencies(like, args.queries),
                )
                if not args.no_whoosh:
                    print(
                        f"ratio: whoosh p50 is {whoosh[0] / baseline[0]:.2f}x the baseline's "
                        f"(p95 {whoosh[1] / baseline[1]:.2f}x), with ranking, facets, suggestions"
                    )
                    figures += [
                        figure(
                            f"search p50, {total:,} records (Whoosh), ms",
                            whoosh[0],
                            baseline[0],
                            "-",
                            None,
                        ),
                        figure(
                            f"search p95, {total:,} records (Whoosh), ms",
                            whoosh[1],
                            baseline[1],
                            "<= 30 ms",
                            whoosh[1] <= 30,
                        ),
                        # Results are kept per index generation: a query asked before is
                        # answered from them, so queries never asked before are a figure too.
                        figure(
                            f"search p50, {total:,} records, queries asked once (Whoosh), ms",
                            fresh[0],
                            baseline[0],
                            "-",
                            None,
                        ),
                        figure(
                            f"search p95, {total:,} records, queries asked once (Whoosh), ms",
                            fresh[1],
                            baseline[1],
                            ASKED_ONCE_TARGET,
                            fresh[1] <= ASKED_ONCE_MS,
                        ),
                    ]
                if engine.dialect.name == "postgresql":
                    postgres = PostgresSearchService(db)
                    # One query outside the measured ones first, as a server's first request:
                    # the first search of a process compiles its statements (tens of ms).
                    postgres.search(QUERIES[4])
                    # Queries asked once first: PostgreSQL keeps no results, but the bench's own
                    # queries would leave their words' index pages in its buffers.
                    pg_fresh = describe(
                        "postgresql full-text search, queries asked once",
                        [_timed(postgres.search, q) for q in new_queries(args.queries // 4)],
                    )
                    pg = describe(
                        "postgresql full-text search",
                        latencies(postgres.search, max(24, args.queries // 10)),
                    )
                    figures += [
                        figure(
                            f"search p50, {total:,} records (PostgreSQL FTS), ms",
                            pg[0],
                            baseline[0],
                            "-",
                            None,
                        ),
                        figure(
                            f"search p95, {total:,} records (PostgreSQL FTS), ms",
                            pg[1],
                            baseline[1],
                            "<= 30 ms",
                            pg[1] <= 30,
                        ),
                        figure(
                            f"search p50, {total:,} records, queries asked once "
                            "(PostgreSQL FTS), ms",
                            pg_fresh[0],
                            baseline[0],
                            "-",
                            None,
                        ),
                        figure(
                            f"search p95, {total:,} records, queries asked once "
                            "(PostgreSQL FTS), ms",
                            pg_fresh[1],
                            baseline[1],
                            ASKED_ONCE_TARGET,
                            pg_fresh[1] <= ASKED_ONCE_MS,
                        ),
                    ]
                emit(figures)
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
