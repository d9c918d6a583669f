"""The daily update (issue 21): import a day's file into the national registry, then `registry
detect` and `registry score`, beside a full `registry detect --full` on the same data measured in
the same run, and print the ratio.

    python -m bench.daily [--database-url URL] [--small | --contracts N] [--releases 2000]

Without --database-url a SQLite file under bench/out/ is filled afresh by bench.generate (an empty
PostgreSQL database given is filled too); `make bench` runs `measure` on its national database
after its other phases. The day's file holds `releases` OCDS releases: a tenth are later releases
of processes already held (their award value raised), the rest new processes (contracts drawn
with another seed, under new ocids, from the same suppliers and buyers).

Every command is the real one, run in this process as a user would run it (its own engine,
transaction and search indexing): first `registry reindex`, `registry detect` and `registry score`
once, untimed, so the index and the last runs are there as a daily job finds them; then, timed, `registry import ocds`,
`registry detect` and `registry score`; then the baseline, `registry detect --full`.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import itertools
import shutil
import time
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
import whoosh.index

from bench.figures import emit, figure
from bench.generate import Generator, Size, load, ocds_release
from registry.cli import main as registry
from registry.contracts.models import Contract
from registry.db import create_engine
from registry.migrate import upgrade_to_head

OUT = Path(__file__).resolve().parent / "out"
INDEX = OUT / "daily-index"
HELD = 10  # one release in ten updates a process already held
TARGET = 10.0  # seconds, for the import, detect and score together
DISAGREES = "Framework status disagrees"  # how `registry detect` reports one


def write_day(size: Size, path: Path, releases: int) -> list[str]:
    """The day's file; returns the ocids of the held processes it updates."""
    held = releases // HELD
    step = max(1, size.contracts // max(1, held))
    rows = itertools.islice(Generator(size).contracts(), 0, None, step)
    updates = [row for row, _ in zip(rows, range(held), strict=False)]
    fresh = itertools.islice(Generator(size, seed=21).contracts(), releases - len(updates))
    with path.open("wb") as out:
        for row in updates:
            release = ocds_release(row._replace(value_amount=round(row.value_amount * 1.5, 2)))
            release["id"] = f"{row.ocid}-update"
            release["date"] = "2025-01-02T00:00:00Z"
            out.write(orjson.dumps(release, option=orjson.OPT_APPEND_NEWLINE))
        for row in fresh:
            ocid = f"ocds-bench8-day-{row.id:08d}"
            out.write(
                orjson.dumps(
                    ocds_release(row._replace(ocid=ocid)), option=orjson.OPT_APPEND_NEWLINE
                )
            )
    return [row.ocid for row in updates]


def hold(url: str, ocids: list[str]) -> None:
    """Give the updated processes' contracts the reference an import would have given them,
    as if an earlier day's file had brought them (the generator writes contracts directly)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.update(Contract)
                .where(Contract.ocid.in_(ocids))
                .values(reference=Contract.ocid + "/" + Contract.ocid + "-award-1")
            )
    finally:
        engine.dispose()


def write_ini(url: str) -> Path:
    """The ini file the commands run with on `url`, its search index not yet built."""
    shutil.rmtree(INDEX, ignore_errors=True)
    path = OUT / "daily.ini"
    path.write_text(
        "[app:main]\n"
        "use = egg:supplier-accountability-registry\n"
        "registry.environment = development\n"
        f"sqlalchemy.url = {url.replace('%', '%%')}\n"
        f"registry.var_dir = {OUT}\n"
        f"registry.index_dir = {INDEX}\n"
        # As each engine is deployed: the Whoosh index beside SQLite, PostgreSQL's own text
        # search beside PostgreSQL (its vectors kept by triggers: no index of a million
        # documents rebuilt before the day's file).
        f"registry.search.backend = {backend(url)}\n"
    )
    return path


def backend(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "whoosh"


def run(ini: Path, *args: str) -> tuple[float, str]:
    """Run one `registry` command in this process: (seconds, what it printed)."""
    printed = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(printed):
        registry.main(["--config", str(ini), *args], standalone_mode=False)
    return time.perf_counter() - started, printed.getvalue()


def log_lines(printed: str, indent: str = "    ") -> list[str]:
    """What a command printed, every line, indented for a log. The generated frameworks' dates
    disagree with their statuses by design: `registry detect`'s lines saying so are counted."""
    lines = printed.strip().splitlines()
    disagree = sum(line.startswith(DISAGREES) for line in lines)
    logged = [f"{indent}{line}" for line in lines if not line.startswith(DISAGREES)]
    if disagree:
        logged.append(f"{indent}({disagree} frameworks' statuses disagree with their dates)")
    return logged


@dataclasses.dataclass(frozen=True)
class Day:
    """A day's file written, the processes it updates held, and the ini file the commands run
    with (its search index not yet built)."""

    ini: Path
    file: Path
    releases: int


def prepare(url: str, size: Size, releases: int = 2_000) -> Day:
    """The day's file and the held processes, before any `registry detect` has run: `make bench`
    prepares the day first, so its detect phase's runs are the last runs a daily job finds."""
    OUT.mkdir(exist_ok=True)
    ini = write_ini(url)
    day = OUT / f"day-{releases}.jsonl"
    hold(url, write_day(size, day, releases))
    return Day(ini, day, releases)


def measure(url: str, size: Size, releases: int = 2_000, day: Day | None = None) -> dict[str, Any]:
    """The daily update on a filled database, and the full detect on the same data after it.
    `day`: prepared before `registry detect` last ran on this database (else it is prepared,
    and `registry detect` run once untimed, here)."""
    detected = day is not None
    day = day or prepare(url, size, releases)
    ini = day.ini
    try:
        # The last runs on record, and the search index, as a daily job finds them: the index
        # last (a first score run names every supplier, past the limit that makes it rebuild
        # the whole index; then it is not built a second time).
        if not detected:
            run(ini, "detect")
        run(ini, "score")
        if backend(url) != "whoosh" or not whoosh.index.exists_in(INDEX):
            run(ini, "reindex")
        steps = {
            "import": run(ini, "import", "ocds", str(day.file)),
            "detect": run(ini, "detect"),
            "score": run(ini, "score"),
        }
        baseline = run(ini, "detect", "--full")
    finally:
        day.file.unlink(missing_ok=True)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            contracts = conn.execute(sa.select(sa.func.count()).select_from(Contract)).scalar_one()
    finally:
        engine.dispose()
    return {
        "contracts": contracts,
        "releases": day.releases,
        "steps": steps,
        "baseline": baseline,
        "search": backend(url),
    }


def describe(measured: dict[str, Any]) -> list[str]:
    m = measured
    lines = [
        f"daily update on {m['contracts']:,} contracts, {m['releases']:,} releases "
        f"({m['search']} search):"
    ]
    for name, (seconds, printed) in [*m["steps"].items(), ("full detect", m["baseline"])]:
        if name == "detect":  # the day's detectors, each with its time, and the figures stored
            lines.append(f"    {name:<12} {seconds:7.2f} s")
            lines += log_lines(printed, indent=" " * 8)
            continue
        said = printed.strip().splitlines()[0] if printed.strip() else ""
        lines.append(f"    {name:<12} {seconds:7.2f} s  {said}")
    return lines


def figures(measured: dict[str, Any]) -> list[dict[str, Any]]:
    m = measured
    took = {name: seconds for name, (seconds, _) in m["steps"].items()}
    total = sum(took.values())
    return [
        figure(
            "the daily update: import, `registry detect`, `registry score`, s",
            total,
            m["baseline"][0],
            f"<= {TARGET:.0f} s in all",
            total <= TARGET,
            f"{m['releases']:,} releases, a tenth updating held processes, into "
            f"{m['contracts']:,} contracts, {m['search']} search; "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in took.items())
            + "; baseline `registry detect --full`",
        )
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a database filled by bench.generate, or empty")
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--small", action="store_true", help="a fiftieth of the national size")
    sizes.add_argument("--contracts", type=int, help="contracts and assessments to generate")
    parser.add_argument("--releases", type=int, default=2_000)
    args = parser.parse_args(argv)
    size = Size()
    if args.small:
        size = size.small()
    elif args.contracts:
        size = dataclasses.replace(size, contracts=args.contracts, assessments=args.contracts)
    OUT.mkdir(exist_ok=True)
    url = args.database_url
    if url is None:
        path = OUT / "daily.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    upgrade_to_head(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            empty = not conn.execute(sa.select(sa.func.count()).select_from(Contract)).scalar()
    finally:
        engine.dispose()
    if empty:
        started = time.perf_counter()
        load(url, size)
        print(f"generated {size.contracts:,} contracts in {time.perf_counter() - started:.0f} s")
    measured = measure(url, size, args.releases)
    print("\n".join(describe(measured)))
    # What the other commands printed, every line (describe has the detect step's).
    for name, (_, printed) in [*measured["steps"].items(), ("full detect", measured["baseline"])]:
        if name != "detect":
            print("\n".join([f"-- registry {name}:", *log_lines(printed)]))
    emit(figures(measured))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
