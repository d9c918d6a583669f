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

Rows are tuples, written straight into the tables the migrations made (their indexes included):
on PostgreSQL with COPY, on SQLite with executemany in large batches inside one transaction with
the journal and fsync off (a disposable load; WAL again afterwards). The JSON Lines file holds one
OCDS 1.1 release per contract (tag "award", the buyer, the supplier party, value, period, CPV),
written with orjson.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import itertools
import queue
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.buyers.models import Buyer
from registry.contracts.models import Contract, ContractExtension
from registry.db import create_engine, refresh_statistics, utcnow
from registry.frameworks.models import Framework, Lot, Membership, Obligation
from registry.migrate import upgrade_to_head
from registry.scoring.assessments.models import Assessment
from registry.suppliers.models import Supplier, SupplierGroup

BATCH = 50_000  # rows per executemany on SQLite
TABLES: dict[str, sa.Table] = {
    model.__tablename__: model.__table__  # type: ignore[misc]
    for model in (
        SupplierGroup,
        Supplier,
        Buyer,
        Framework,
        Lot,
        Membership,
        Obligation,
        Contract,
        ContractExtension,
        Assessment,
    )
}
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

    @property
    def rows(self) -> int:
        """Rows of the five large tables, for a rate in rows per second."""
        return self.groups + self.suppliers + self.buyers + self.contracts + self.assessments

    def small(self) -> Size:
        return Size(*(max(10, getattr(self, f.name) // 50) for f in dataclasses.fields(self)))


Row = tuple[Any, ...]
# Every row also gets these, the same for all: when it was loaded, and that it is made up.
CONSTANTS = ("created", "illustrative")


class ContractRow(NamedTuple):
    id: int
    ocid: str
    title: str
    description: str
    buyer_id: int
    supplier_id: int
    lot_id: int | None
    value_amount: float
    currency: str
    award_date: str
    start_date: str
    end_date: str
    original_end_date: str
    procurement_method: str
    number_of_tenderers: int
    cpv_code: str
    publication: str
    source: str


def _zipf_cumulative(n: int, exponent: float = 1.1) -> list[float]:
    return list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(n)))


def _day(value: datetime.date) -> str:
    # ISO dates: what SQLite stores for a Date and what COPY reads, made once per value.
    return value.isoformat()


class Generator:
    """Every table's rows, drawn from one seeded random stream so a size always gives the same
    data. Rows are tuples in the order of `columns(table)`, dates as ISO strings."""

    COLUMNS: dict[str, tuple[str, ...]] = {
        "supplier_groups": ("id", "name"),
        "suppliers": (
            "id",
            "name",
            "normalised_name",
            "aliases",
            "companies_house_number",
            "group_id",
        ),
        "buyers": ("id", "name", "normalised_name", "buyer_type"),
        "frameworks": (
            "id",
            "reference",
            "title",
            "owner_body",
            "description",
            "status",
            "start_date",
            "end_date",
            "cpv_codes",
        ),
        "lots": ("id", "framework_id", "number", "title", "description", "cpv_codes"),
        "memberships": ("supplier_id", "lot_id", "start_date", "status"),
        "obligations": (
            "id",
            "framework_id",
            "category",
            "title",
            "description",
            "standard_reference",
            "weight",
            "mandatory",
        ),
        "contracts": ContractRow._fields,
        "contract_extensions": ("contract_id", "extended_on", "new_end_date", "reason"),
        "assessments": (
            "id",
            "obligation_id",
            "supplier_id",
            "framework_id",
            "kpi",
            "kpi_key",
            "period_start",
            "period_end",
            "period_end_day",
            "rating",
            "weight",
            "evidence",
            "evidence_links",
            "assessor_name",
            "status",
            "version",
        ),
    }

    def __init__(self, size: Size, seed: int = 8) -> None:
        self.size = size
        self.rnd = random.Random(seed)
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

    def tables(self) -> list[tuple[str, Callable[[], Iterator[Row]]]]:
        """(table, rows) in the order foreign keys need."""
        return [
            ("supplier_groups", self.groups),
            ("suppliers", self.suppliers),
            ("buyers", self.buyers),
            ("frameworks", self.frameworks),
            ("lots", self.lots),
            ("memberships", self.memberships),
            ("obligations", self.obligations),
            ("contracts", self.contracts),
            ("contract_extensions", self.extensions),
            ("assessments", self.assessments),
        ]

    # -- reference tables ----------------------------------------------------------------------
    def groups(self) -> Iterator[Row]:
        for g in range(1, self.size.groups + 1):
            yield (g, f"Group {g} plc")

    def suppliers(self) -> Iterator[Row]:
        groups, per_group = self.size.groups, self.per_group
        for s in range(1, self.size.suppliers + 1):
            yield (
                s,
                f"Supplier {s} Ltd",
                f"supplier {s}",
                "[]",
                f"{10_000_000 + s:08d}" if s % 2 else None,
                min(groups, (s - 1) // per_group + 1),
            )

    def buyers(self) -> Iterator[Row]:
        types = ["NHS trust", "GP practice", "integrated care board", "local authority"]
        for b in range(1, self.size.buyers + 1):
            yield (b, f"Public Body {b}", f"public body {b}", types[b % len(types)])

    def frameworks(self) -> Iterator[Row]:
        for f in range(1, self.size.frameworks + 1):
            yield (
                f,
                f"BENCH{f:04d}",
                f"Digital services framework {f}",
                "Crown Commercial Service",
                "",
                "live" if f % 5 else "expired",
                _day(datetime.date(2016 + f % 6, 1, 1)),
                _day(datetime.date(2020 + f % 8, 1, 1)),
                orjson.dumps([CPV_CODES[f % len(CPV_CODES)]]).decode(),
            )

    def lots(self) -> Iterator[Row]:
        for f in range(1, self.size.frameworks + 1):
            for n in range(1, LOTS_PER_FRAMEWORK + 1):
                yield ((f - 1) * LOTS_PER_FRAMEWORK + n, f, str(n), f"Lot {n}", "", "[]")

    def memberships(self) -> Iterator[Row]:
        start = _day(datetime.date(2018, 1, 1))
        for lot in range(1, self.size.frameworks * LOTS_PER_FRAMEWORK + 1):
            for supplier in self.rnd.sample(range(1, self.size.suppliers + 1), MEMBERS_PER_LOT):
                yield (supplier, lot, start, "active")

    def obligations(self) -> Iterator[Row]:
        # Obligation ids run 1..3F in this order: (framework - 1) * 3 + k.
        for f in range(1, self.size.frameworks + 1):
            for k, category in enumerate(OBLIGATIONS):
                yield (
                    (f - 1) * len(OBLIGATIONS) + k + 1,
                    f,
                    category,
                    f"{category.capitalize()} KPI",
                    "",
                    "IM1",
                    1 + k,
                    True,
                )

    # -- the large tables ----------------------------------------------------------------------
    def _supplier_of(self, group: int) -> int:
        first = (group - 1) * self.per_group + 1
        return min(self.size.suppliers, first + self.rnd.randrange(self.per_group))

    def contracts(self) -> Iterator[ContractRow]:
        rnd, size = self.rnd, self.size
        repeat_pairs = [
            (rnd.randint(1, size.buyers), rnd.randint(1, size.suppliers))
            for _ in range(min(200, size.contracts // 100))
        ]
        planted = [(buyer, supplier) for buyer, supplier in repeat_pairs for _ in range(6)]
        lots = size.frameworks * LOTS_PER_FRAMEWORK
        days = [
            _day(FIRST_AWARD + datetime.timedelta(days=n)) for n in range(3650 + 30 + 1461 + 800)
        ]
        choices, randint, randrange, random_ = rnd.choices, rnd.randint, rnd.randrange, rnd.random
        for i in range(1, size.contracts + 1):
            if i <= len(planted):  # the planted repeat direct awards come first
                buyer, supplier = planted[i - 1]
                cpv, method, tenderers = REPEAT_CPV, "direct award", 1
            else:
                cpv = choices(CPV_CODES, cum_weights=self.market_weights)[0]
                order, weights = self.market_order[cpv]
                supplier = self._supplier_of(choices(order, cum_weights=weights)[0])
                buyer = randint(1, size.buyers)
                method = rnd.choice(METHODS)
                tenderers = 1 if method in ("limited", "direct award") else randint(1, 8)
            award = randrange(3650)  # days after FIRST_AWARD
            start = award + 30
            original_end = start + 365 * randint(1, 4)
            creep = i % 500 == 0
            yield ContractRow(
                i,
                f"ocds-bench8-{i:08d}",
                f"IT services contract {i}",
                "",
                buyer,
                supplier,
                randint(1, lots) if random_() < 0.4 else None,
                round(rnd.lognormvariate(11, 1.5), 2),
                "GBP",
                days[award],
                days[start],
                days[original_end + (800 if creep else 0)],
                days[original_end],
                method,
                tenderers,
                cpv,
                "published" if random_() < 0.98 else "draft",
                "bench",
            )

    def extensions(self) -> Iterator[Row]:
        for cid in range(500, self.size.contracts + 1, 500):
            for k in range(2):
                yield (
                    cid,
                    _day(datetime.date(2020, 1, 1 + k)),
                    _day(datetime.date(2026, 1, 1 + k)),
                    "extension",
                )

    def assessments(self) -> Iterator[Row]:
        """Monthly assessments of (supplier, obligation) pairs from 2022 on, busiest suppliers
        (Zipf) most often, until the wanted number is reached."""
        rnd, size = self.rnd, self.size
        obligations = size.frameworks * len(OBLIGATIONS)
        suppliers = range(1, size.suppliers + 1)
        weights = _zipf_cumulative(size.suppliers, 0.7)
        months = []  # (start, end, end's day number) of each month from January 2022
        for month in range(48):
            start = datetime.date(2022 + month // 12, month % 12 + 1, 1)
            end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
            months.append((_day(start), _day(end), end.toordinal()))
        n = 0
        while n < size.assessments:
            supplier = rnd.choices(suppliers, cum_weights=weights)[0]
            obligation = rnd.randint(1, obligations)
            framework = (obligation - 1) // len(OBLIGATIONS) + 1
            kind = (obligation - 1) % len(OBLIGATIONS)
            key = f"obligation:{obligation}:supplier:{supplier}"
            first = rnd.randrange(len(months))
            for first_day, last_day, end_day in months[first : first + 12]:
                if n >= size.assessments:
                    break
                n += 1
                yield (
                    n,
                    obligation,
                    supplier,
                    framework,
                    OBLIGATIONS[kind],
                    key,
                    first_day,
                    last_day,
                    end_day,
                    rnd.choice(RATINGS),
                    1 + kind,
                    "",
                    "[]",
                    "bench",
                    "published",
                    1,
                )


def ocds_release(row: ContractRow) -> dict[str, Any]:
    """A contract row as an OCDS 1.1 award release."""
    buyer = {"id": f"GB-BENCH-B{row.buyer_id}", "name": f"Public Body {row.buyer_id}"}
    supplier_id = row.supplier_id
    supplier: dict[str, Any] = {
        "id": f"GB-BENCH-S{supplier_id}",
        "name": f"Supplier {supplier_id} Ltd",
    }
    party = {**supplier, "roles": ["supplier"]}
    if supplier_id % 2:
        party["identifier"] = {"scheme": "GB-COH", "id": f"{10_000_000 + supplier_id:08d}"}
    ocid = row.ocid
    method = {"direct award": "direct", "limited": "limited", "selective": "selective"}
    return {
        "ocid": ocid,
        "id": f"{ocid}-award",
        "date": f"{row.award_date}T00:00:00Z",
        "tag": ["award"],
        "initiationType": "tender",
        "buyer": buyer,
        "parties": [{**buyer, "roles": ["buyer"]}, party],
        "tender": {
            "id": f"{ocid}-tender",
            "title": row.title,
            "procurementMethod": method.get(row.procurement_method, "open"),
            "numberOfTenderers": row.number_of_tenderers,
            "classification": {"scheme": "CPV", "id": row.cpv_code},
        },
        "awards": [
            {
                "id": f"{ocid}-award-1",
                "status": "active",
                "date": f"{row.award_date}T00:00:00Z",
                "value": {"amount": row.value_amount, "currency": row.currency},
                "suppliers": [supplier],
                "contractPeriod": {
                    "startDate": f"{row.start_date}T00:00:00Z",
                    "endDate": f"{row.end_date}T00:00:00Z",
                },
            }
        ],
    }


def write_jsonl(size: Size, path: Path, limit: int | None = None, seed: int = 8) -> int:
    """The same contracts as OCDS JSON Lines (the first `limit` of them); returns the count."""
    count = 0
    with path.open("wb") as out:
        rows = itertools.islice(Generator(size, seed).contracts(), limit)
        while chunk := list(itertools.islice(rows, 10_000)):
            out.write(
                b"".join(
                    orjson.dumps(ocds_release(row), option=orjson.OPT_APPEND_NEWLINE)
                    for row in chunk
                )
            )
            count += len(chunk)
    return count


def _constants(table: sa.Table, dialect: Any) -> tuple[tuple[str, ...], Row]:
    """The table's columns among CONSTANTS, and their values (now; true) as the driver takes
    them."""
    values = {"created": utcnow(), "illustrative": True}
    names = tuple(name for name in CONSTANTS if name in table.c)
    processed = []
    for name in names:
        process = table.c[name].type.bind_processor(dialect)
        processed.append(process(values[name]) if process else values[name])
    return names, tuple(processed)


def _copy(conn: Connection, table: sa.Table, columns: tuple[str, ...], rows: Iterable[Row]) -> None:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(columns)
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _prefetched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """Batches of rows made in a second thread while the caller writes the previous batch:
    SQLite releases the GIL while it inserts, so making and writing rows overlap."""
    batches: queue.Queue[list[Row] | BaseException | None] = queue.Queue(maxsize=2)

    def produce() -> None:
        try:
            iterator = iter(rows)
            while batch := list(itertools.islice(iterator, size)):
                batches.put(batch)
            batches.put(None)
        except BaseException as exc:  # handed to the writer, which raises it
            batches.put(exc)

    threading.Thread(target=produce, daemon=True).start()
    while (batch := batches.get()) is not None:
        if isinstance(batch, BaseException):
            raise batch
        yield batch


def _executemany(
    conn: Connection, table: sa.Table, columns: tuple[str, ...], rows: Iterable[Row]
) -> None:
    placeholders = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"
    for batch in _prefetched(rows, BATCH):
        conn.exec_driver_sql(sql, batch)


def _set_sqlite(conn: Connection, loading: bool) -> None:
    """A disposable bulk load: no journal, no fsync, no foreign key checks (the rows are made
    consistent), a large page cache; then back to what the app runs with."""
    raw = conn.connection.dbapi_connection
    pragmas = (
        ["journal_mode = OFF", "synchronous = OFF", "foreign_keys = OFF", "cache_size = -262144"]
        if loading
        else ["journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON", "cache_size = -2000"]
    )
    for pragma in pragmas:
        raw.execute(f"PRAGMA {pragma}")  # type: ignore[union-attr]


def load(url: str, size: Size, seed: int = 8) -> dict[str, float]:
    """Fill an empty, migrated database; returns seconds per table."""
    gen = Generator(size, seed)
    engine = create_engine(url)
    timings: dict[str, float] = {}
    postgresql = engine.dialect.name == "postgresql"
    write = _copy if postgresql else _executemany
    try:
        with engine.connect() as conn:
            if conn.execute(sa.select(sa.func.count()).select_from(Contract)).scalar_one():
                sys.exit(f"{url}: the contracts table is not empty; use an empty database")
            conn.rollback()
            if not postgresql:
                _set_sqlite(conn, loading=True)
            with conn.begin():
                if postgresql:
                    conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                for name, rows in gen.tables():
                    table = TABLES[name]
                    names, constants = _constants(table, engine.dialect)
                    started = time.perf_counter()
                    write(
                        conn,
                        table,
                        (*Generator.COLUMNS[name], *names),
                        (row + constants for row in rows()),
                    )
                    timings[name] = time.perf_counter() - started
                if postgresql:
                    # Explicit ids: move the sequences past them, as a real load would leave them.
                    for name, _ in gen.tables():
                        if "id" in Generator.COLUMNS[name]:
                            conn.exec_driver_sql(
                                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
                            )
            if not postgresql:
                _set_sqlite(conn, loading=False)
        # Planner statistics, as `registry seed` and imports leave them. (Not in AUTOCOMMIT: on
        # SQLite the registry's begin listener opens a transaction there that is never committed.)
        started = time.perf_counter()
        refresh_statistics(engine)
        timings["analyze"] = time.perf_counter() - started
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
        seconds = time.perf_counter() - started
        print(
            f"database filled in {seconds:.1f}s ({size.rows / seconds:,.0f} rows/s): "
            + ", ".join(f"{t} {s:.1f}s" for t, s in timings.items())
        )
    if args.jsonl:
        started = time.perf_counter()
        count = write_jsonl(size, args.jsonl)
        print(f"{count:,} releases written to {args.jsonl} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
