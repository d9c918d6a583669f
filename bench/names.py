"""The one name rule on the OCDS import's hot path: the name step of finding a release's
organisations (organisations.py), timed beside the step it replaced, in the same run.

    python -m bench.names [--rounds 50]

The parties are every organisation named in the OCDS files of /work/shared/data (names in
English, Spanish, Armenian, Ukrainian...), met `--rounds` times over, as a national import meets
the same buyers and suppliers release after release. Baseline: the key as organisations.py took
it before (`Party.match_name`, cached in mapping.py) and its lookup; measured: the one name rule
(`named`, cached in organisations.py), the check for an unusable name and its lookup. No
database: only the step that changed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from bench.figures import emit, figure
from registry.opendata.checking import ImportSummary
from registry.opendata.mapping import Party
from registry.opendata.organisations import Organisations, named
from registry.opendata.reader import ReadError, iter_releases

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def party_names() -> list[str]:
    names: list[str] = []
    for path in sorted(DATA.rglob("*.json*")):
        try:
            for found in iter_releases(path, on_package=lambda *_: None):
                release = found.release if isinstance(found.release, dict) else {}
                orgs = [p for p in release.get("parties") or [] if isinstance(p, dict)]
                names += [o["name"] for o in orgs if isinstance(o.get("name"), str)]
        except ReadError:
            continue  # the deliberately broken files
    return [name for name in names if name.strip()]


def best_of(runs: int, work: Any) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    parties = [Party(name, None, None, None, None) for name in party_names()] * args.rounds
    organisations = Organisations(None, ImportSummary())  # type: ignore[arg-type]
    index: dict[str, Any] = {}

    def before() -> None:
        for party in parties:
            index.get(party.match_name)

    def after() -> None:  # as Organisations.supplier_id and buyer_id take it
        for party in parties:
            name = named(party.name)
            if not name.key:
                organisations.unusable(party, "supplier")
            if name.key or not party.party_id:
                index.get(name.key)

    before(), after()  # warm both caches, as an import's first releases do
    baseline, measured = best_of(5, before), best_of(5, after)
    per_party = [1e9 * t / len(parties) for t in (measured, baseline)]
    print(f"{len(parties):,} party names ({len(parties) // args.rounds:,} distinct a round)")
    print(f"before: {per_party[1]:.0f} ns a party; after: {per_party[0]:.0f} ns a party")
    print(f"ratio: {measured / baseline:.2f}x")
    emit(
        [
            figure(
                "OCDS import: name step a party (ns)",
                per_party[0],
                per_party[1],
                "≤ 1.5x the step it replaced",
                measured / baseline <= 1.5,
                "the one name rule, cached, vs Party.match_name",
            )
        ]
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
