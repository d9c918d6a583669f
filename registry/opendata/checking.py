"""The import's checks and results: cleaning (or, with --strict, checking) a whole OCDS file as
it is read, the refusal that lists its problems, and the summary of what a good file's import did.

Split from importer.py so each stays readable (the write pass is writing.py); importer
re-exports the names.
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
from registry.opendata.findings import NOTES, FindingLog, generic_path
from registry.opendata.limits import ReadLimits
from registry.opendata.reader import Found, ReadError, iter_releases
from registry.opendata.validation import Report, clean_package, clean_release

MAX_MESSAGES = 20
EXAMPLES = 5
# With --strict, the check remembers this many release keys to report repeated ids with their
# place; beyond it, the write pass still refuses them (from the database), without the place.
# Without --strict the write pass alone finds them, from the database: memory stays flat.
DUPLICATE_WINDOW = 100_000
# Why an item that cannot be interpreted at all is skipped, by its finding's rule.
SKIP_REASONS = {
    "not-an-object": "not a JSON object",
    "missing-ocid": "no usable ocid",
    "record-links-only": "a record that only links to its releases",
    "record-without-releases": "a record with neither a compiledRelease nor releases",
    "record-not-compiled": "a record whose releases cannot be compiled",
}
TOP_RULES = 3


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
    findings: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
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
        self.findings.update(other.findings)

    def skip(self, reason: str, place: str) -> None:
        self.skipped += 1
        self.skip_reasons[reason] += 1
        self.example(reason, place)

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
            "findings": sum(self.findings.values()),
            "findings_by_rule": dict(self.findings.most_common()),
        }

    def top_rules(self) -> str:
        """The findings in a few words: their count and the most frequent rules."""
        total = sum(self.findings.values())
        if not total:
            return "no findings"
        top = ", ".join(f"{rule} {n}" for rule, n in self.findings.most_common(TOP_RULES))
        more = ", …" if len(self.findings) > TOP_RULES else ""
        return f"{total} findings ({top}{more})"


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


class Indicators:
    """Transparency indicators (after opentender.eu): how many releases read state each thing.
    Counted on each release as cleaned, so only usable values count."""

    __slots__ = (
        "with_classification",
        "with_procurement_method",
        "with_supplier_identifier",
        "with_suppliers",
        "with_tender_period",
        "with_value",
    )

    def __init__(self) -> None:
        self.with_classification = 0
        self.with_value = 0
        self.with_suppliers = 0
        self.with_supplier_identifier = 0
        self.with_procurement_method = 0
        self.with_tender_period = 0

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}

    def count(self, release: dict[str, Any]) -> None:
        tender = release.get("tender") or {}
        awards = release.get("awards") or ()
        if tender.get("procurementMethod"):
            self.with_procurement_method += 1
        period = tender.get("tenderPeriod")
        if period and (period.get("startDate") or period.get("endDate")):
            self.with_tender_period += 1
        if _classified(tender, awards):
            self.with_classification += 1
        if _valued(tender.get("value")) or any(
            _valued(block.get("value")) for block in (*awards, *(release.get("contracts") or ()))
        ):
            self.with_value += 1
        named = identified = 0
        parties: dict[str, dict[str, Any]] | None = None
        for award in awards:
            for supplier in award.get("suppliers") or ():
                if parties is None:
                    parties = {str(p["id"]): p for p in release.get("parties") or () if "id" in p}
                party = parties.get(str(supplier["id"]), {}) if "id" in supplier else {}
                if not (supplier.get("name") or party.get("name")):
                    continue
                named += 1
                identifier = supplier.get("identifier") or party.get("identifier") or {}
                if identifier.get("scheme") and identifier.get("id") is not None:
                    identified += 1
        if named:
            self.with_suppliers += 1
            if identified == named:
                self.with_supplier_identifier += 1


def _classified(tender: dict[str, Any], awards: Any) -> bool:
    """A classification (a code or a description) on the tender, its items or awards' items."""
    if _is_classification(tender.get("classification")):
        return True
    for block in (tender, *awards):
        for item in block.get("items") or ():
            if _is_classification(item.get("classification")):
                return True
    return False


def _is_classification(classification: dict[str, Any] | None) -> bool:
    if not classification:
        return False
    return classification.get("id") is not None or bool(classification.get("description"))


def _valued(value: dict[str, Any] | None) -> bool:
    if not value:
        return False
    return value.get("amount") is not None and bool(value.get("currency"))


class FileCheck:
    """Cleans a file as the import reads it, in the one pass that also writes it.

    `releases` yields each usable release, cleaned, with the hash of it as published. Every
    deviation is a finding (`findings`); an item that cannot be interpreted at all is skipped
    and counted in `summary`. What refuses the file: not being JSON, or holding nothing that is
    OCDS; with `strict`, any finding that is a fault (not a note): then after the first
    problem it reads on to list every problem but yields nothing more, and `refusal` gives the
    ImportRefused (the caller rolls back what was written)."""

    def __init__(
        self,
        name: str,
        *,
        strict: bool = False,
        summary: ImportSummary | None = None,
        limits: ReadLimits | None = None,
    ) -> None:
        self.name = name
        self.strict = strict
        self.limits = limits
        self.summary = summary if summary is not None else ImportSummary()
        self.publishers = ledger.PublisherCounter()
        self.findings = FindingLog()
        self.indicators = Indicators()
        self.problems: list[str] = []
        self.total = 0
        self.recognised = False  # something in the file is OCDS
        self.not_ocds: list[str] = []  # the first documents that are not, should nothing be
        self.not_ocds_total = 0

    def problem(self, message: str) -> None:
        self.total += 1
        if len(self.problems) < MAX_MESSAGES:
            self.problems.append(message)

    def reporter(self, where: str, base: str, ocid: str | None) -> Report:
        """Where the cleaning of one item reports: a finding, and with --strict a problem."""

        def report(rule: str, path: str, value: Any, message: str) -> None:
            self.findings.add(rule, base + generic_path(path), value, where + path, ocid)
            if self.strict and rule not in NOTES:
                self.problem(f"{where}{path}: {message}")

        return report

    def on_package(self, package: dict[str, Any], where: str) -> None:
        self.recognised = True
        self.publishers(package)
        clean_package(
            package, self.reporter(f"{where}: package" if where else "package", "package", None)
        )

    def reject(self, found: Found) -> None:
        """An item (or a document) that cannot be interpreted at all."""
        report = self.reporter(found.where, found.base, found.ocid)
        for note in found.notes:
            report(*note)
        message = f"{found.where}: {found.problem}" if found.where else str(found.problem)
        self.findings.add(found.rule, found.base, found.value, found.where, found.ocid)
        if self.strict:
            self.problem(message)
        elif found.document:
            self.not_ocds_total += 1
            if len(self.not_ocds) < MAX_MESSAGES:
                self.not_ocds.append(message)
        else:
            self.summary.releases += 1
            self.summary.skip(SKIP_REASONS.get(found.rule, found.rule), found.where)

    def releases(
        self, path: Path, progress: Callable[[int], None] | None = None
    ) -> Iterator[tuple[Found, str]]:
        seen: dict[tuple[str, str], tuple[str, str]] = {}
        try:
            for found in iter_releases(path, on_package=self.on_package, limits=self.limits):
                if progress:
                    progress(1)
                release = found.release
                if release is None:
                    self.reject(found)
                    continue
                try:
                    digest = release_hash(release)
                except RecursionError:
                    self.problem(f"{found.where}: nested deeper than Python can follow")
                    continue
                ocid = release.get("ocid")
                ocid = ocid if isinstance(ocid, str) else found.ocid
                if found.notes:
                    noted = self.reporter(found.record, "records[]", ocid)
                    for note in found.notes:
                        noted(*note)
                report = self.reporter(found.where, found.base, ocid)
                before = self.total
                reason = clean_release(release, report, digest)
                if reason is not None:
                    self.recognised = True
                    self.summary.releases += 1
                    self.summary.skip(reason, found.where)
                    continue
                self.recognised = True
                self.indicators.count(release)
                if self.strict and self.total == before and len(seen) < DUPLICATE_WINDOW:
                    key = (release["ocid"], release["id"])
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
        problems, total = self.problems, self.total
        if not total and not self.recognised and self.not_ocds:
            problems, total = self.not_ocds, self.not_ocds_total
        if not total:
            return None
        refused = ImportRefused(self.name, problems, total)
        refused.publishers = self.publishers.counts
        return refused

    def finish(self) -> None:
        """Once the file is read: the findings' counts by rule go to the summary."""
        self.summary.findings.update(self.findings.by_rule)


def superseded(items: list[tuple[Found, Any, tuple[str, str], str, Any]]) -> set[int]:
    """The places in the batch of releases whose id a later version repeats with other content:
    the later by date (an undated one cannot be ordered by it), then by place, is kept."""
    counts = collections.Counter(key for _, _, key, _, _ in items)
    if len(counts) == len(items):
        return set()
    kept: dict[tuple[str, str], int] = {}
    losers: set[int] = set()
    for index, (_, _, key, digest, date) in enumerate(items):
        if counts[key] == 1:
            continue
        best = kept.get(key)
        if best is None:
            kept[key] = index
            continue
        _, _, _, best_digest, best_date = items[best]
        if digest == best_digest:
            continue  # the same content: a duplicate, counted as such
        if date is not None and best_date is not None and date < best_date:
            losers.add(index)
        else:
            losers.add(best)
            kept[key] = index
    return losers
