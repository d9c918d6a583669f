"""The import's checks and results: checking a whole OCDS file as it is read, the refusal that
lists its problems, and the summary of what a good file's import did.

Split from importer.py (the write pass) so each stays readable; importer re-exports the names.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from registry.opendata import ledger
from registry.opendata.reader import Found, ReadError, iter_releases
from registry.opendata.validation import check_release

MAX_MESSAGES = 20
EXAMPLES = 5
# The first pass remembers this many release keys to report repeated ids with their place;
# beyond it, the write pass still refuses them (from the database), without the place.
DUPLICATE_WINDOW = 100_000


class ImportRefused(Exception):
    """The file is invalid: nothing from it was written."""

    def __init__(self, name: str, problems: list[str], total: int) -> None:
        self.name = name
        self.problems = problems
        self.total = total
        # Filled in by import_file, for the ledger entry the caller writes after its rollback.
        self.source: ledger.Source | None = None
        self.publishers: collections.Counter[str] = collections.Counter()
        super().__init__(f"{name}: {total} problem(s)")

    @property
    def messages(self) -> list[str]:
        lines = [f"{self.name}: {p}" for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"{self.name}: … and {self.total - len(self.problems)} more problems")
        return lines


@dataclasses.dataclass
class ImportSummary:
    releases: int = 0
    contracts: int = 0
    suppliers: int = 0
    buyers: int = 0
    skipped: int = 0
    unchanged: int = 0
    updated: int = 0
    created: int = 0
    duplicates: int = 0
    skip_reasons: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    # For the ledger: a few places per skip reason (and for repeats), so a reader can check them.
    examples: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    run_id: int | None = None

    def add(self, other: ImportSummary) -> None:
        for field in ("releases", "contracts", "suppliers", "buyers", "skipped"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        self.unchanged += other.unchanged
        self.updated += other.updated
        self.created += other.created
        self.duplicates += other.duplicates
        self.skip_reasons.update(other.skip_reasons)

    def example(self, reason: str, text: str) -> None:
        found = self.examples.setdefault(reason, [])
        if len(found) < EXAMPLES:
            found.append(text)

    def as_json(self) -> dict[str, Any]:
        return {
            "releases": self.releases,
            "contracts": self.contracts,
            "suppliers": self.suppliers,
            "buyers": self.buyers,
            "skipped": self.skipped,
            "skip_reasons": dict(sorted(self.skip_reasons.items())),
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "contracts_created": self.created,
            "contracts_updated": self.updated,
        }


def release_hash(release: dict[str, Any]) -> str:
    """sha256 of the release's canonical JSON: sorted keys, no spaces, UTF-8, numbers as text.

    orjson writes the very bytes json.dumps does for these options; what it refuses (integers
    past 64 bits, lone surrogates) goes the slow way, to the same bytes."""
    try:
        canonical = orjson.dumps(release, default=str, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        canonical = json.dumps(
            release, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        ).encode("utf-8", "surrogatepass")
    return hashlib.sha256(canonical).hexdigest()


class FileCheck:
    """Checks a file as the import reads it, in the one pass that also writes it.

    `releases` yields each good release with its hash for as long as the file is good; after
    the first problem it reads on to list every problem but yields nothing more, and `refusal`
    then gives the ImportRefused (the caller rolls back what was written)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.publishers = ledger.PublisherCounter()
        self.problems: list[str] = []
        self.total = 0

    def problem(self, message: str) -> None:
        self.total += 1
        if len(self.problems) < MAX_MESSAGES:
            self.problems.append(message)

    def releases(
        self, path: Path, progress: Callable[[int], None] | None = None
    ) -> Iterator[tuple[Found, str]]:
        seen: dict[tuple[str, str], tuple[str, str]] = {}
        try:
            for found in iter_releases(path, on_package=self.publishers):
                if progress:
                    progress(1)
                if found.problem:
                    self.problem(
                        f"{found.where}: {found.problem}" if found.where else found.problem
                    )
                    continue
                assert found.release is not None
                release_problems = check_release(found.release, found.where)
                for message in release_problems:
                    self.problem(message)
                try:
                    digest = release_hash(found.release)
                except RecursionError:
                    self.problem(f"{found.where}: nested deeper than Python can follow")
                    continue
                if not release_problems and len(seen) < DUPLICATE_WINDOW:
                    key = (found.release["ocid"], found.release["id"])
                    if key in seen and seen[key][0] != digest:
                        self.problem(
                            f"{found.where}: repeats the ocid and id of {seen[key][1]} "
                            "with different content"
                        )
                    seen.setdefault(key, (digest, found.where))
                if not self.total:
                    yield found, digest
        except ReadError as exc:
            self.problem(str(exc))

    def refusal(self) -> ImportRefused | None:
        if not self.total:
            return None
        refused = ImportRefused(self.name, self.problems, self.total)
        refused.publishers = self.publishers.counts
        return refused
