"""`make bench`: run every benchmark on SQLite and PostgreSQL and write bench/RESULTS.md.

    python -m bench [--small | --tenth] [--only SQLite|PostgreSQL]

Per engine: a fresh database filled by bench.generate (the issue's national data set: 1,000,000
contracts and 1,000,000 assessments; --tenth for a tenth of those, --small for a fiftieth of
everything), then `registry detect`, `registry score`, the public pages under load and last the
daily update (bench.daily) measured on it; the OCDS import (with its peers) and search run in
their own processes on their own databases (peak RSS is per process). Every figure is printed
beside its baseline measured in the same run, and the ratio. PostgreSQL databases are made
with the REGISTRY_BENCH_DB_PREFIX prefix on REGISTRY_BENCH_POSTGRES and dropped afterwards.

Each phase has a time budget (BUDGETS, seconds per engine at the default size), against the
issue's 15 minutes for the whole run on 2 cores; RESULTS.md lists every phase's time beside its budget. A phase
run in its own process is stopped at twice its budget, so one slow benchmark cannot hold up the
rest.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import daily, detect, generate, pages, score
from bench.figures import figure, parse, table
from registry.migrate import upgrade_to_head

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
POSTGRES_SERVER = os.environ.get(
    "REGISTRY_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
PREFIX = os.environ.get("REGISTRY_BENCH_DB_PREFIX", "registry_bench_")
# Seconds per engine at the default size (the 15 minutes for both engines is 450 s each).
BUDGETS = {
    "generate": 75,
    # `registry detect --full`, then `registry detect` with nothing new.
    "detect": 80,
    "score": 40,
    "pages": 60,
    # The first score run and the search index, then the day's import, detect and score, then
    # the full baseline.
    "daily": 150,
    # These two run in a subprocess stopped at twice the budget.
    "OCDS import and peers": 60,
    "search": 90,
}


@dataclasses.dataclass
class Phases:
    """How long each phase took, beside its budget (scaled to the size measured)."""

    scale: float
    took: list[tuple[str, str, float]] = dataclasses.field(default_factory=list)

    @contextlib.contextmanager
    def timed(self, engine: str, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.took.append((engine, phase, time.perf_counter() - started))

    def budget(self, phase: str) -> float:
        return BUDGETS[phase] * self.scale

    def table(self) -> list[str]:
        lines = ["| engine | phase | seconds | budget | within |", "|---|---|---:|---:|---|"]
        for engine, phase, seconds in self.took:
            budget = self.budget(phase)
            within = "yes" if seconds <= budget else "**no**"
            lines.append(f"| {engine} | {phase} | {seconds:.0f} | {budget:.0f} | {within} |")
        return lines


def _machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    return (
        f"{platform.node()}: {os.cpu_count()} cores, {cpu}{memory}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", sql],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _database(engine: str, name: str) -> str | None:
    """A fresh, empty database of that engine; None when PostgreSQL is not reachable."""
    if engine == "SQLite":
        path = OUT / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    try:
        _psql(f"DROP DATABASE IF EXISTS {PREFIX}{name}")
        _psql(f"CREATE DATABASE {PREFIX}{name}")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{POSTGRES_SERVER}/{PREFIX}{name}"


def _drop(engine: str, name: str) -> None:
    if engine == "SQLite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{OUT / name}.db{suffix}").unlink(missing_ok=True)
    else:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            _psql(f"DROP DATABASE IF EXISTS {PREFIX}{name}")


def _subprocess(
    module: str, url: str, *args: str, timeout: float
) -> tuple[str, list[dict[str, Any]]]:
    try:
        result = subprocess.run(
            [sys.executable, "-m", f"bench.{module}", "--database-url", url, *args],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(
            f"bench.{module} stopped after {timeout:.0f} s (twice its budget)"
        ) from exc
    if result.returncode != 0:
        raise RuntimeError(f"bench.{module} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout, parse(result.stdout)


def national(
    engine: str, size: generate.Size, seconds: int, phases: Phases
) -> tuple[list[str], list[Any]]:
    """Generate, then detect, score and load the pages on one database of that engine."""
    url = _database(engine, "national")
    if url is None:
        return [f"{engine}: not reachable, skipped"], []
    log: list[str] = []
    figures: list[dict[str, Any]] = []
    try:
        with phases.timed(engine, "generate"):
            upgrade_to_head(url)
            started = time.perf_counter()
            timings = generate.load(url, size)
            took = time.perf_counter() - started
        log.append(
            f"generated in {took:.0f} s ({size.rows / took:,.0f} rows/s): "
            + ", ".join(f"{t} {s:.1f} s" for t, s in timings.items())
        )

        # The day's file is written and its held processes marked before the detect phase,
        # whose `registry detect` runs are then the last runs the daily update finds.
        day = daily.prepare(url, size)
        with phases.timed(engine, "detect"):
            found = detect.measure_command(url, day.ini)
        scan = found["baseline"]
        for label, (seconds_taken, printed) in found["commands"].items():
            log.append(f"{label}: {seconds_taken:.2f} s; scan {scan:.3f} s")
            log += daily.log_lines(printed)
        full, again = (seconds_taken for seconds_taken, _ in found["commands"].values())
        figures += [
            figure(
                "`registry detect --full`, s",
                full,
                scan,
                "<= 5x one pass over the contracts",
                full <= 5 * scan,
                f"{found['contracts']:,} contracts, first run: every detector, market and "
                "record figure",
            ),
            figure(
                "`registry detect`, nothing new, s",
                again,
                scan,
                "<= 5x one pass over the contracts",
                again <= 5 * scan,
                "second run",
            ),
        ]

        with phases.timed(engine, "score"):
            # verify re-derives every score in Python, minutes at the default size: the
            # smaller runs check the scores, the national one times them.
            scored = score.measure(url, verify=size.assessments <= 100_000)
        log += score.describe(scored)
        figures += score.figures(scored)

        with phases.timed(engine, "pages"):
            measured = pages.measure(url, seconds)
        log += pages.describe(measured)
        figures += pages.figures(measured)

        with phases.timed(engine, "daily"):  # last: the day's file changes the data
            updated = daily.measure(url, size, day=day)
        log += daily.describe(updated)
        figures += daily.figures(updated)
    finally:
        _drop(engine, "national")
    return log, figures


def separate(engine: str, module: str, *args: str, budget: float) -> tuple[list[str], list[Any]]:
    url = _database(engine, module)
    if url is None:
        return [f"{engine}: not reachable, skipped"], []
    try:
        stdout, figures = _subprocess(module, url, *args, timeout=2 * budget)
    finally:
        _drop(engine, module)
    return [line for line in stdout.splitlines() if not line.startswith("FIGURES")], figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--small", action="store_true", help="a fiftieth of the issue's size")
    sizes.add_argument(
        "--tenth",
        action="store_true",
        help="the issue's suppliers, buyers and frameworks with a tenth of its contracts and "
        "assessments (100,000 each)",
    )
    parser.add_argument("--only", choices=["SQLite", "PostgreSQL"], help="one engine only")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    # The default: the size (1,000,000 contracts and assessments).
    size = generate.Size()
    if args.small:
        size = generate.Size().small()
    elif args.tenth:
        size = generate.Size(contracts=100_000, assessments=100_000)
    # Budgets scale with the national data; the other phases' sizes do not change with --tenth.
    phases = Phases(scale=0.2 if args.small else 1.0)
    releases = 2_000 if args.small else 20_000
    records = 20_000 if args.small else 100_000
    seconds = 3 if args.small else 6  # of load per page
    started = time.perf_counter()
    engines = [args.only] if args.only else ["SQLite", "PostgreSQL"]
    rows: list[tuple[str, dict[str, Any]]] = []
    logs: list[str] = []
    failed = 0

    def ocds(engine: str) -> tuple[list[str], list[Any]]:
        phase = "OCDS import and peers"
        with phases.timed(engine, phase):
            return separate(
                engine, "import_ocds", "--releases", str(releases), budget=phases.budget(phase)
            )

    def search(engine: str) -> tuple[list[str], list[Any]]:
        # The Whoosh index does not depend on the engine: built and timed once, on SQLite.
        whoosh = [] if engine == "SQLite" else ["--no-whoosh"]
        with phases.timed(engine, "search"):
            return separate(
                engine,
                "search",
                "--records",
                str(records),
                *whoosh,
                budget=phases.budget("search"),
            )

    steps = [
        ("national data: detect, score, pages", lambda e: national(e, size, seconds, phases)),
        ("OCDS import and peers", ocds),
        ("search", search),
    ]

    def write(done: bool) -> float:
        """(Re)write RESULTS.md: after every step, so a run cut short still leaves its figures."""
        elapsed = time.perf_counter() - started
        took = (
            f"took {elapsed / 60:.1f} minutes"
            if done
            else f"running for {elapsed / 60:.1f} minutes"
        )
        lines = [
            "# Benchmark results",
            "",
            f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
            f"- Machine: {_machine()}",
            f"- Size: {'--small: ' if args.small else ''}{dataclasses.asdict(size)}; OCDS import "
            f"{releases:,} releases of it; search {records:,} records; pages cold in-process "
            f"{pages.COLD_RECORDS} records per kind; load {seconds} s per page from wrk (2 threads, "
            f"8 connections) against waitress ({pages.THREADS} threads)",
            f"- `make bench` {took}{'' if done else ' (not finished)'}",
            "",
            "Each figure beside its baseline, measured in the same run, and the ratio.",
            "",
            *table(rows),
            "",
            "## Time per phase",
            "",
            "Each phase beside its budget (seconds per engine, so the whole run fits 15 minutes).",
            "",
            *phases.table(),
            "",
            "## Logs",
            "",
            *logs,
        ]
        args.results.write_text("\n".join(lines) + "\n")
        return elapsed

    for engine in engines:
        for title, step in steps:
            print(f"== {title} on {engine}", flush=True)
            try:
                log, figures = step(engine)
            except Exception as exc:  # one failed benchmark still leaves the others' figures
                failed += 1
                log, figures = [f"FAILED: {exc}"], []
            print("\n".join(log), flush=True)
            logs += [f"### {title} on {engine}", "", "```", *log, "```", ""]
            rows += [(engine, f) for f in figures]
            write(done=False)
    elapsed = write(done=True)
    print(f"Wrote {args.results} in {elapsed / 60:.1f} minutes")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
