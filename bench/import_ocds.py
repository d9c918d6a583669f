"""Time `registry import ocds` on a generated JSON Lines file, beside parsing the same file with
ijson alone in the same run, and print the ratio, releases/s, MB/s and peak memory.

    python -m bench.import_ocds [--releases 500000] [--database-url URL] [--keep]

Without --database-url a SQLite file under bench/out/ is made afresh (PostgreSQL: pass an empty
database). The file is generated with a fixed seed: OCDS 1.1 releases with a buyer among 2,000,
one award to a supplier among 20,000 (half with Companies House numbers), a value, a contract
period, a CPV code and a procurement method; one release in ten is a tender notice only.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

import ijson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.db import create_engine
from registry.migrate import upgrade_to_head
from registry.opendata.importer import import_file

OUT = Path(__file__).resolve().parent / "out"
BUYERS, SUPPLIERS = 2_000, 20_000
METHODS = ["open"] * 6 + ["selective"] * 2 + ["limited", "direct"]


def generate(path: Path, releases: int, seed: int = 6) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for n in range(releases):
            ocid = f"ocds-bench0-{n:08d}"
            b = rng.randrange(BUYERS)
            buyer = {"id": f"GB-GOR-B{b:05d}", "name": f"Bench Public Body {b}"}
            release: dict[str, object] = {
                "ocid": ocid,
                "id": f"{ocid}-1",
                "date": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00:00Z",
                "tag": ["tender"],
                "initiationType": "tender",
                "buyer": buyer,
                "parties": [{**buyer, "roles": ["buyer"]}],
                "tender": {
                    "id": f"{ocid}-tender",
                    "title": f"IT services call-off {n}",
                    "procurementMethod": rng.choice(METHODS),
                    "numberOfTenderers": rng.randrange(1, 9),
                    "classification": {"scheme": "CPV", "id": f"48{rng.randrange(100):02d}0000"},
                },
            }
            if n % 10:
                s = min(int(rng.paretovariate(1.2)) - 1, SUPPLIERS - 1)
                supplier = {"id": f"S{s}", "name": f"Bench Supplier {s} Ltd"}
                party = {**supplier, "roles": ["supplier"]}
                if s % 2 == 0:
                    party["identifier"] = {"scheme": "GB-COH", "id": f"{10_000_000 + s:08d}"}
                release["parties"].append(party)  # type: ignore[attr-defined]
                release["tag"] = ["award"]
                release["awards"] = [
                    {
                        "id": f"{ocid}-award-1",
                        "status": "active",
                        "date": "2024-01-15T00:00:00Z",
                        "value": {"amount": round(rng.uniform(1e4, 5e6), 2), "currency": "GBP"},
                        "suppliers": [supplier],
                        "contractPeriod": {
                            "startDate": "2024-02-01T00:00:00Z",
                            "endDate": f"{2025 + n % 4}-01-31T00:00:00Z",
                        },
                    }
                ]
            out.write(json.dumps(release, separators=(",", ":")) + "\n")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=500_000)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    args = parser.parse_args()

    OUT.mkdir(exist_ok=True)
    url = args.database_url
    if url is None:
        db_path = OUT / "import_ocds.db"
        db_path.unlink(missing_ok=True)
        url = f"sqlite:///{db_path}"
    upgrade_to_head(url)
    data = OUT / f"releases-{args.releases}.jsonl"
    started = time.perf_counter()
    generate(data, args.releases)
    size_mb = data.stat().st_size / 1e6
    print(
        f"generated {args.releases:,} releases ({size_mb:,.1f} MB) in {time.perf_counter() - started:.1f} s"
    )

    # Baseline: parse every release with ijson, nothing else.
    started = time.perf_counter()
    with data.open("rb") as handle:
        parsed = sum(1 for _ in ijson.items(handle, "", multiple_values=True))
    parse_s = time.perf_counter() - started
    parse_rss = peak_rss_mb()
    assert parsed == args.releases

    engine = create_engine(url)
    try:
        started = time.perf_counter()
        with Session(engine) as db, db.begin():
            summary = import_file(db, data, data.name)
        import_s = time.perf_counter() - started
        with engine.connect() as conn:
            contracts = conn.execute(sa.text("SELECT count(*) FROM contracts")).scalar_one()
    finally:
        engine.dispose()
        if not args.keep:
            data.unlink(missing_ok=True)
    print(
        f"ijson parse only : {parse_s:8.1f} s  {args.releases / parse_s:10,.0f} releases/s  "
        f"{size_mb / parse_s:7.1f} MB/s  peak RSS {parse_rss:,.0f} MB"
    )
    print(
        f"registry import  : {import_s:8.1f} s  {args.releases / import_s:10,.0f} releases/s  "
        f"{size_mb / import_s:7.1f} MB/s  peak RSS {peak_rss_mb():,.0f} MB"
    )
    print(f"ratio import/parse: {import_s / parse_s:.1f}x")
    print(f"summary: {json.dumps(summary.as_json())}; contracts in the database: {contracts:,}")
    return 0 if contracts == summary.contracts else 1


if __name__ == "__main__":
    sys.exit(main())
