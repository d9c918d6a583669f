"""Synthetic national data for the benchmarks, straight into a database and as OCDS JSON Lines.

    python -m bench.generate [--small] [--database-url URL] [--jsonl PATH] [--contracts N] ...

Default size (the issue's): 50,000 suppliers in 5,000 groups, 20,000 buyers, 1,000,000 contracts,
300 frameworks, 1,000,000 assessments; `--small` is a fiftieth of that for a quick look.

The shape is the one the detectors and the public pages meet in real data, with a fixed seed:
- market shares are Zipf-like (the group ranked r in a market wins in proportion to 1/r^1.1, a
  different order per market), and a few markets (CPV codes) hold most of the contracts;
- one planted duopoly: two groups share about 90% of the value in CPV 48180000 (medical software);
- planted repeat awards: 200 buyer-supplier pairs with six direct awards each in CPV 72260000;
- planted extension creep: one contract in 500 extended twice, ending two or more years later
  than awarded.

Rows go in with Core executemany in batches (no ORM unit of work); the JSON Lines file holds one
OCDS 1.1 release per contract (tag "award", the buyer, the supplier party, value, period, CPV).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import itertools
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa

from registry.buyers.models import Buyer
from registry.contracts.models import Contract, ContractExtension
from registry.db import create_engine, utcnow
from registry.frameworks.models import Framework, Lot, Membership, Obligation
from registry.migrate import upgrade_to_head
from registry.scoring.models import Assessment
from registry.suppliers.models import Supplier, SupplierGroup

BATCH = 10_000
DUOPOLY_CPV = "48180000"
REPEAT_CPV = "72260000"
# 200 markets: CPV codes under software (48) and IT services (72); the first ones are the busiest.
CPV_CODES = [
    DUOPOLY_CPV,
    REPEAT_CPV,
    *[
        code
        for n in range(0, 990, 10)
        for division in ("48", "72")
        if (code := f"{division}{n:03d}000") not in (DUOPOLY_CPV, REPEAT_CPV)
    ][:198],
]
METHODS = ["open"] * 70 + ["selective"] * 10 + ["limited"] * 14 + ["direct award"] * 6
OBLIGATIONS = ["exit plan", "data portability", "interoperability"]
RATINGS = ["Good"] * 45 + ["Approaching target"] * 25 + ["Requires improvement"] * 15
RATINGS += ["Inadequate"] * 10 + ["Other"] * 5
LOTS_PER_FRAMEWORK = 3
MEMBERS_PER_LOT = 12
FIRST_AWARD = datetime.date(2015, 1, 1)


@dataclasses.dataclass(frozen=True)
class Size:
    suppliers: int = 50_000
    groups: int = 5_000
    buyers: int = 20_000
    contracts: int = 1_000_000
    frameworks: int = 300
    assessments: int = 1_000_000

    def small(self) -> Size:
        return Size(*(max(10, getattr(self, f.name) // 50) for f in dataclasses.fields(self)))


def _batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


def _zipf_cumulative(n: int, exponent: float = 1.1) -> list[float]:
    return list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(n)))


class Generator:
    """Every table's rows, drawn from one seeded random stream so a size always gives the same data."""

    def __init__(self, size: Size, seed: int = 8) -> None:
        self.size = size
        self.rnd = random.Random(seed)
        self.now = utcnow()
        self.per_group = max(1, size.suppliers // size.groups)
        group_weights = _zipf_cumulative(size.groups)
        self.market_order: dict[str, tuple[list[int], list[float]]] = {}
        for cpv in CPV_CODES:
            order = list(range(1, size.groups + 1))
            self.rnd.shuffle(order)
            self.market_order[cpv] = (order, group_weights)
        # The duopoly: groups 1 and 2 lead CPV 48180000 with ~90% of it between them.
        self.market_order[DUOPOLY_CPV] = (
            [1, 2, *range(3, size.groups + 1)],
            [0.45, 0.9]
            + [0.9 + 0.1 * (k + 1) / max(1, size.groups - 2) for k in range(size.groups - 2)],
        )
        self.market_weights = _zipf_cumulative(len(CPV_CODES), 0.8)

    # -- reference tables ----------------------------------------------------------------------
    def groups(self) -> Iterator[dict[str, Any]]:
        for g in range(1, self.size.groups + 1):
            yield {"id": g, "name": f"Group {g} plc", "created": self.now, "illustrative": True}

    def suppliers(self) -> Iterator[dict[str, Any]]:
        for s in range(1, self.size.suppliers + 1):
            yield {
                "id": s,
                "name": f"Supplier {s} Ltd",
                "normalised_name": f"supplier {s}",
                "aliases": [],
                "companies_house_number": f"{10_000_000 + s:08d}" if s % 2 else None,
                "group_id": min(self.size.groups, (s - 1) // self.per_group + 1),
                "created": self.now,
                "illustrative": True,
            }

    def buyers(self) -> Iterator[dict[str, Any]]:
        types = ["NHS trust", "GP practice", "integrated care board", "local authority"]
        for b in range(1, self.size.buyers + 1):
            yield {
                "id": b,
                "name": f"Public Body {b}",
                "normalised_name": f"public body {b}",
                "buyer_type": types[b % len(types)],
                "created": self.now,
                "illustrative": True,
            }

    def frameworks(self) -> Iterator[dict[str, Any]]:
        for f in range(1, self.size.frameworks + 1):
            yield {
                "id": f,
                "reference": f"BENCH{f:04d}",
                "title": f"Digital services framework {f}",
                "owner_body": "Crown Commercial Service",
                "description": "",
                "status": "live" if f % 5 else "expired",
                "start_date": datetime.date(2016 + f % 6, 1, 1),
                "end_date": datetime.date(2020 + f % 8, 1, 1),
                "cpv_codes": [CPV_CODES[f % len(CPV_CODES)]],
                "created": self.now,
                "illustrative": True,
            }

    def lots(self) -> Iterator[dict[str, Any]]:
        for f in range(1, self.size.frameworks + 1):
            for n in range(1, LOTS_PER_FRAMEWORK + 1):
                yield {
                    "id": (f - 1) * LOTS_PER_FRAMEWORK + n,
                    "framework_id": f,
                    "number": str(n),
                    "title": f"Lot {n}",
                    "description": "",
                    "cpv_codes": [],
                    "created": self.now,
                    "illustrative": True,
                }

    def memberships(self) -> Iterator[dict[str, Any]]:
        for lot in range(1, self.size.frameworks * LOTS_PER_FRAMEWORK + 1):
            for supplier in self.rnd.sample(range(1, self.size.suppliers + 1), MEMBERS_PER_LOT):
                yield {
                    "supplier_id": supplier,
                    "lot_id": lot,
                    "start_date": datetime.date(2018, 1, 1),
                    "status": "active",
                    "created": self.now,
                    "illustrative": True,
                }

    def obligations(self) -> Iterator[dict[str, Any]]:
        # Obligation ids run 1..3F in this order: (framework - 1) * 3 + k.
        for f in range(1, self.size.frameworks + 1):
            for k, category in enumerate(OBLIGATIONS):
                yield {
                    "id": (f - 1) * len(OBLIGATIONS) + k + 1,
                    "framework_id": f,
                    "category": category,
                    "title": f"{category.capitalize()} KPI",
                    "description": "",
                    "standard_reference": "IM1",
                    "weight": 1 + k,
                    "mandatory": True,
                    "created": self.now,
                    "illustrative": True,
                }

    # -- the large tables ----------------------------------------------------------------------
    def _supplier_of(self, group: int) -> int:
        first = (group - 1) * self.per_group + 1
        return min(self.size.suppliers, first + self.rnd.randrange(self.per_group))

    def contracts(self) -> Iterator[dict[str, Any]]:
        rnd, size = self.rnd, self.size
        repeat_pairs = [
            (rnd.randint(1, size.buyers), rnd.randint(1, size.suppliers))
            for _ in range(min(200, size.contracts // 100))
        ]
        planted = [(buyer, supplier) for buyer, supplier in repeat_pairs for _ in range(6)]
        lots = size.frameworks * LOTS_PER_FRAMEWORK
        for i in range(1, size.contracts + 1):
            if i <= len(planted):  # the planted repeat direct awards come first
                buyer, supplier = planted[i - 1]
                cpv, method, tenderers = REPEAT_CPV, "direct award", 1
            else:
                cpv = rnd.choices(CPV_CODES, cum_weights=self.market_weights)[0]
                order, weights = self.market_order[cpv]
                supplier = self._supplier_of(rnd.choices(order, cum_weights=weights)[0])
                buyer = rnd.randint(1, size.buyers)
                method = rnd.choice(METHODS)
                tenderers = 1 if method in ("limited", "direct award") else rnd.randint(1, 8)
            award = FIRST_AWARD + datetime.timedelta(days=rnd.randrange(3650))
            start = award + datetime.timedelta(days=30)
            original_end = start + datetime.timedelta(days=365 * rnd.randint(1, 4))
            creep = i % 500 == 0
            yield {
                "id": i,
                "ocid": f"ocds-bench8-{i:08d}",
                "title": f"IT services contract {i}",
                "description": "",
                "buyer_id": buyer,
                "supplier_id": supplier,
                "lot_id": rnd.randint(1, lots) if rnd.random() < 0.4 else None,
                "value_amount": round(rnd.lognormvariate(11, 1.5), 2),
                "currency": "GBP",
                "award_date": award,
                "start_date": start,
                "end_date": original_end + datetime.timedelta(days=800 if creep else 0),
                "original_end_date": original_end,
                "procurement_method": method,
                "number_of_tenderers": tenderers,
                "cpv_code": cpv,
                "publication": "published" if rnd.random() < 0.98 else "draft",
                "source": "bench",
                "created": self.now,
                "illustrative": True,
            }

    def extensions(self) -> Iterator[dict[str, Any]]:
        for cid in range(500, self.size.contracts + 1, 500):
            for k in range(2):
                yield {
                    "contract_id": cid,
                    "extended_on": datetime.date(2020, 1, 1 + k),
                    "new_end_date": datetime.date(2026, 1, 1 + k),
                    "reason": "extension",
                    "created": self.now,
                }

    def assessments(self) -> Iterator[dict[str, Any]]:
        """Monthly assessments of (supplier, obligation) pairs from 2022 on, busiest suppliers
        (Zipf) most often, until the wanted number is reached."""
        rnd, size = self.rnd, self.size
        obligations = size.frameworks * len(OBLIGATIONS)
        weights = _zipf_cumulative(size.suppliers, 0.7)
        months = 48
        n = 0
        while n < size.assessments:
            supplier = rnd.choices(range(1, size.suppliers + 1), cum_weights=weights)[0]
            obligation = rnd.randint(1, obligations)
            framework = (obligation - 1) // len(OBLIGATIONS) + 1
            first = rnd.randrange(months)
            for month in range(first, min(months, first + 12)):
                if n >= size.assessments:
                    break
                year, m = 2022 + month // 12, month % 12 + 1
                start = datetime.date(year, m, 1)
                end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(
                    days=1
                )
                n += 1
                yield {
                    "id": n,
                    "obligation_id": obligation,
                    "supplier_id": supplier,
                    "framework_id": framework,
                    "kpi": OBLIGATIONS[(obligation - 1) % len(OBLIGATIONS)],
                    "kpi_key": f"obligation:{obligation}:supplier:{supplier}",
                    "period_start": start,
                    "period_end": end,
                    "period_end_day": end.toordinal(),
                    "rating": rnd.choice(RATINGS),
                    "weight": 1 + (obligation - 1) % len(OBLIGATIONS),
                    "evidence": "",
                    "evidence_links": [],
                    "assessor_name": "bench",
                    "status": "published",
                    "version": 1,
                    "created": self.now,
                    "illustrative": True,
                }


def ocds_release(row: dict[str, Any]) -> dict[str, Any]:
    """A contract row as an OCDS 1.1 award release."""
    buyer = {"id": f"GB-BENCH-B{row['buyer_id']}", "name": f"Public Body {row['buyer_id']}"}
    supplier_id = row["supplier_id"]
    supplier: dict[str, Any] = {
        "id": f"GB-BENCH-S{supplier_id}",
        "name": f"Supplier {supplier_id} Ltd",
    }
    party = {**supplier, "roles": ["supplier"]}
    if supplier_id % 2:
        party["identifier"] = {"scheme": "GB-COH", "id": f"{10_000_000 + supplier_id:08d}"}
    ocid = row["ocid"]
    method = {"direct award": "direct", "limited": "limited", "selective": "selective"}
    return {
        "ocid": ocid,
        "id": f"{ocid}-award",
        "date": f"{row['award_date']}T00:00:00Z",
        "tag": ["award"],
        "initiationType": "tender",
        "buyer": buyer,
        "parties": [{**buyer, "roles": ["buyer"]}, party],
        "tender": {
            "id": f"{ocid}-tender",
            "title": row["title"],
            "procurementMethod": method.get(row["procurement_method"], "open"),
            "numberOfTenderers": row["number_of_tenderers"],
            "classification": {"scheme": "CPV", "id": row["cpv_code"]},
        },
        "awards": [
            {
                "id": f"{ocid}-award-1",
                "status": "active",
                "date": f"{row['award_date']}T00:00:00Z",
                "value": {"amount": row["value_amount"], "currency": row["currency"]},
                "suppliers": [supplier],
                "contractPeriod": {
                    "startDate": f"{row['start_date']}T00:00:00Z",
                    "endDate": f"{row['end_date']}T00:00:00Z",
                },
            }
        ],
    }


def write_jsonl(size: Size, path: Path, limit: int | None = None, seed: int = 8) -> int:
    """The same contracts as OCDS JSON Lines (the first `limit` of them); returns the count."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for row in itertools.islice(Generator(size, seed).contracts(), limit):
            _write(out, ocds_release(row))
            count += 1
    return count


def _write(out: TextIO, release: dict[str, Any]) -> None:
    out.write(json.dumps(release, separators=(",", ":")))
    out.write("\n")


def load(url: str, size: Size, seed: int = 8) -> dict[str, float]:
    """Fill an empty, migrated database; returns seconds per table."""
    gen = Generator(size, seed)
    engine = create_engine(url)
    timings: dict[str, float] = {}
    tables = [
        (SupplierGroup, gen.groups),
        (Supplier, gen.suppliers),
        (Buyer, gen.buyers),
        (Framework, gen.frameworks),
        (Lot, gen.lots),
        (Membership, gen.memberships),
        (Obligation, gen.obligations),
        (Contract, gen.contracts),
        (ContractExtension, gen.extensions),
        (Assessment, gen.assessments),
    ]
    try:
        with engine.begin() as conn:
            if conn.execute(sa.select(sa.func.count()).select_from(Contract)).scalar_one():
                sys.exit(f"{url}: the contracts table is not empty; use an empty database")
            for model, rows in tables:
                started = time.perf_counter()
                for batch in _batches(rows()):
                    conn.execute(sa.insert(model), batch)
                timings[model.__tablename__] = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            # Explicit ids: move the sequences past them, as a real load would leave them.
            with engine.begin() as conn:
                for model, _ in tables:
                    table = model.__tablename__
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                    )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")  # planner statistics, as autovacuum would keep them
    finally:
        engine.dispose()
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a fiftieth of the default size")
    for field in dataclasses.fields(Size):
        parser.add_argument(f"--{field.name}", type=int, help=f"default {field.default:,}")
    parser.add_argument("--database-url", help="an empty database to fill (migrated first)")
    parser.add_argument("--jsonl", type=Path, help="also write the contracts as OCDS JSON Lines")
    args = parser.parse_args(argv)
    size = Size().small() if args.small else Size()
    size = dataclasses.replace(
        size,
        **{
            f.name: getattr(args, f.name) for f in dataclasses.fields(Size) if getattr(args, f.name)
        },
    )
    if not args.database_url and not args.jsonl:
        parser.error("give --database-url, --jsonl or both")
    print(f"size: {dataclasses.asdict(size)}")
    if args.database_url:
        upgrade_to_head(args.database_url)
        started = time.perf_counter()
        timings = load(args.database_url, size)
        print(
            f"database filled in {time.perf_counter() - started:.1f}s: "
            + ", ".join(f"{t} {s:.1f}s" for t, s in timings.items())
        )
    if args.jsonl:
        started = time.perf_counter()
        count = write_jsonl(size, args.jsonl)
        print(f"{count:,} releases written to {args.jsonl} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
