"""`make bench`: run every benchmark on SQLite and PostgreSQL and write bench/RESULTS.md.

Each benchmark is a module `bench.<name>` runnable as `python -m bench.<name>`, taking
`--database-url URL` and printing its figures (with its baseline and the ratio) to stdout.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["import_ocds", "detect", "score", "search"]
POSTGRES_SERVER = os.environ.get(
    "REGISTRY_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432"
)


def _machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def _postgres_database(name: str) -> str | None:
    try:
        for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
            subprocess.run(
                ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", sql],
                check=True,
                capture_output=True,
                timeout=60,
            )
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{POSTGRES_SERVER}/{name}"


def main() -> int:
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    lines = [
        "# Benchmark results",
        "",
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {_machine()}",
        "",
        "Each figure is printed beside its baseline, measured in the same run, and the ratio.",
        "",
    ]
    failed = 0
    for name in BENCHMARKS:
        if not (HERE / f"{name}.py").exists():
            continue
        targets = {"SQLite": f"sqlite:///{out / (name + '.db')}"}
        pg = _postgres_database(f"registry_bench_{name}")
        if pg:
            targets["PostgreSQL"] = pg
        for label, url in targets.items():
            print(f"== {name} on {label}", flush=True)
            result = subprocess.run(
                [sys.executable, "-m", f"bench.{name}", "--database-url", url],
                cwd=HERE.parent,
                capture_output=True,
                text=True,
            )
            print(result.stdout, result.stderr, sep="\n", flush=True)
            lines += [f"## {name} on {label}", "", "```", result.stdout.strip(), "```", ""]
            if result.returncode != 0:
                failed += 1
                lines += [
                    f"**Failed** (exit {result.returncode}):",
                    "",
                    "```",
                    result.stderr.strip()[-2000:],
                    "```",
                    "",
                ]
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n")
    print(f"Wrote {HERE / 'RESULTS.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
