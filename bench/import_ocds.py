"""Time `registry import ocds` on a generated JSON Lines file, beside parsing the same file with
ijson alone in the same run, and print the ratio, releases/s, MB/s and peak memory.

    python -m bench.import_ocds [--releases 20000] [--database-url URL] [--keep]

Without --database-url a SQLite file under bench/out/ is made afresh (PostgreSQL: pass an empty
database). The file is the first contracts of the national data set (bench.generate) as OCDS 1.1
award releases. The OCDS peers run on the same file: `ocdskit compile` and, when installed,
`ocdscardinal.coverage` (the `bench` extra installs both).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import ijson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.figures import emit, figure
from bench.generate import Size, write_jsonl
from registry.db import create_engine
from registry.migrate import upgrade_to_head
from registry.opendata.importer import import_file

OUT = Path(__file__).resolve().parent / "out"


def generate(path: Path, releases: int) -> None:
    """The first `releases` contracts of the national data set (bench.generate), as OCDS."""
    write_jsonl(Size(), path, limit=releases)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def backend_cpu(db: Session) -> Callable[[], float]:
    """The CPU seconds this session's PostgreSQL backend has used so far, as a function: read
    from /proc when the server runs on this machine (0 otherwise, and on SQLite, whose work is
    this process's own)."""
    if db.get_bind().dialect.name != "postgresql":
        return lambda: 0.0
    stat = Path(f"/proc/{db.execute(sa.text('SELECT pg_backend_pid()')).scalar_one()}/stat")

    def used() -> float:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return used


def peers(data: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds taken by the OCDS peers on the same file, and the CPU seconds they used."""
    timings, cpu = {}, {}
    schema = Path(__file__).resolve().parent.parent / "schemas/ocds/release-schema-1.1.4.json"
    started, cpu_started = time.perf_counter(), children_cpu()
    with data.open("rb") as handle:
        subprocess.run(
            [str(Path(sys.executable).with_name("ocdskit")), "compile", "--schema", str(schema)],
            stdin=handle,
            stdout=subprocess.DEVNULL,
            check=True,
        )
    timings["ocdskit compile"] = time.perf_counter() - started
    cpu["ocdskit compile"] = children_cpu() - cpu_started
    try:
        import ocdscardinal  # type: ignore[import-not-found]
    except ImportError:
        return timings, cpu
    started, cpu_started = time.perf_counter(), time.process_time()
    ocdscardinal.coverage(str(data))
    timings["ocdscardinal.coverage"] = time.perf_counter() - started
    cpu["ocdscardinal.coverage"] = time.process_time() - cpu_started
    return timings, cpu


def peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux, from VmHWM: ru_maxrss is inherited across
    fork and exec, so under `make bench` it would report the parent's (which holds the national
    data set) whenever that is larger."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=20_000)
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
    # In a process of its own: making the national data set holds far more memory than the
    # import does, and peak RSS is read for this process.
    maker = multiprocessing.get_context("spawn").Process(
        target=generate, args=(data, args.releases)
    )
    maker.start()
    maker.join()
    if maker.exitcode != 0:
        raise SystemExit(f"generating the releases failed (exit code {maker.exitcode})")
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

    peer_s, peer_cpu = peers(data)
    engine = create_engine(url)
    try:
        with Session(engine) as db, db.begin():
            server = backend_cpu(db)
            started, cpu_started, server_started = (
                time.perf_counter(),
                time.process_time(),
                server(),
            )
            summary = import_file(db, data, data.name)
            import_cpu = time.process_time() - cpu_started
            server_cpu = server() - server_started
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
    print(
        f"import CPU       : {import_cpu:8.1f} s  this process, {server_cpu:.1f} s the database "
        "server's"
    )
    print(f"ratio import/parse: {import_s / parse_s:.1f}x")
    for peer, seconds in peer_s.items():
        print(
            f"{peer + ':':<24} {seconds:8.1f} s  {args.releases / seconds:10,.0f} releases/s  "
            f"import takes {import_s / seconds:.1f}x its time; CPU {peer_cpu[peer]:.1f} s"
        )
    print(f"summary: {json.dumps(summary.as_json())}; contracts in the database: {contracts:,}")
    rate, parse_rate = args.releases / import_s, args.releases / parse_s
    rss = peak_rss_mb()
    figures = [
        figure(
            "OCDS import, releases/s",
            rate,
            parse_rate,
            ">= 50% of parse; >= 10,000/s",
            rate >= 0.5 * parse_rate and rate >= 10_000,
            f"{args.releases:,} releases",
        ),
        figure(
            "OCDS import, MB/s",
            size_mb / import_s,
            size_mb / parse_s,
            ">= 50% of parse",
            import_s <= 2 * parse_s,
        ),
        figure("OCDS import, peak RSS MB", rss, parse_rss, "<= 300 MB", rss <= 300),
    ]
    for peer, seconds in peer_s.items():
        figures.append(
            figure(
                f"OCDS import, releases/s vs {peer}",
                rate,
                args.releases / seconds,
                "faster than ocdskit compile" if "ocdskit" in peer else "report",
                rate >= args.releases / seconds if "ocdskit" in peer else None,
            )
        )
    # On a shared machine the wall clock measures the neighbours too: the CPU each one used
    # (the import's with the database server's) is the like-for-like figure.
    cpu_rate = args.releases / (import_cpu + server_cpu)
    kit_rate = args.releases / peer_cpu["ocdskit compile"]
    figures.append(
        figure(
            "OCDS import, releases per CPU second (with the database server's) vs ocdskit compile",
            cpu_rate,
            kit_rate,
            "faster than ocdskit compile",
            cpu_rate >= kit_rate,
        )
    )
    emit(figures)
    return 0 if contracts == summary.contracts else 1


if __name__ == "__main__":
    sys.exit(main())
