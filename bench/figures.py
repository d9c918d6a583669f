"""One figure of bench/RESULTS.md: the measurement, its baseline from the same run, the ratio and
the target. A benchmark run as a subprocess prints its figures on one `FIGURES <json>` line."""

from __future__ import annotations

import json
from typing import Any

PREFIX = "FIGURES "


def figure(
    name: str, value: float, baseline: float | None, target: str, met: bool | None, note: str = ""
) -> dict[str, Any]:
    return {
        "figure": name,
        "value": value,
        "baseline": baseline,
        "target": target,
        "met": met,
        "note": note,
    }


def emit(figures: list[dict[str, Any]]) -> None:
    print(PREFIX + json.dumps(figures), flush=True)


def parse(stdout: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for line in stdout.splitlines():
        if line.startswith(PREFIX):
            found.extend(json.loads(line[len(PREFIX) :]))
    return found


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def table(rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    lines = [
        "| engine | figure | measured | baseline (same run) | ratio | target | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for engine, f in rows:
        ratio = f"{f['value'] / f['baseline']:.2f}x" if f.get("baseline") else "-"
        met = {True: "yes", False: "**no**", None: "-"}[f.get("met")]
        note = f" ({f['note']})" if f.get("note") else ""
        lines.append(
            f"| {engine} | {f['figure']}{note} | {_number(f['value'])} | "
            f"{_number(f.get('baseline'))} | {ratio} | {f['target']} | {met} |"
        )
    return lines
