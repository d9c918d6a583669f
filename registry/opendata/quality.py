"""Data quality, as the ledger shows it (issue 17): each import's findings and the transparency
indicators of each import and each publisher.

The import writes them (`registry.opendata.models.ImportFinding` and the `with_*` counts on
`ImportRun`); this module only reads them, for the ledger pages, the API and the downloads, so
that the three show the same figures. A source's indicators are sums over its good OCDS imports,
computed in SQL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.opendata.findings import rule_title
from registry.opendata.models import ImportFinding, ImportOutcome, ImportRun, ImportRunOcid

SOURCES_SHOWN = 50  # sources in the ledger page's summary, the most recently imported first


@dataclasses.dataclass(frozen=True)
class Indicator:
    """One transparency indicator: the share of `base` releases that state something."""

    name: str
    title: str
    column: str
    base: str  # the ImportRun column counting the releases it is a share of
    base_label: str
    meaning: str


RELEASES = "releases read"
INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "classification",
        "Classification",
        "with_classification",
        "releases_read",
        RELEASES,
        "a classification (such as a CPV or UNSPSC code) of the tender or its items",
    ),
    Indicator(
        "value",
        "Value",
        "with_value",
        "releases_read",
        RELEASES,
        "a usable value (amount and currency) of an award, a contract or the tender",
    ),
    Indicator(
        "supplier_identifier",
        "Supplier identifier",
        "with_supplier_identifier",
        "with_suppliers",
        "releases naming a supplier",
        "an identifier (scheme and id, such as a company number) for every supplier named; "
        "counted over the releases that name at least one supplier",
    ),
    Indicator(
        "procurement_method",
        "Procurement method",
        "with_procurement_method",
        "releases_read",
        RELEASES,
        "the procurement method (tender.procurementMethod)",
    ),
    Indicator(
        "tender_period",
        "Tender period",
        "with_tender_period",
        "releases_read",
        RELEASES,
        "a tender period: when bids could be made",
    ),
)
INDICATORS_BY_NAME = {i.name: i for i in INDICATORS}
INDICATOR_COLUMNS = ("with_suppliers", *(i.column for i in INDICATORS))


def indicator_values(counts: dict[str, int | None]) -> list[dict[str, Any]]:
    """Each indicator's count, base and share (None when the base is 0) from a row of counts
    (an import's columns, or a source's sums)."""
    values = []
    for indicator in INDICATORS:
        count = counts.get(indicator.column) or 0
        base = counts.get(indicator.base) or 0
        values.append(
            {
                "name": indicator.name,
                "title": indicator.title,
                "count": count,
                "base": base,
                "base_label": indicator.base_label,
                "share": count / base if base else None,
            }
        )
    return values


def run_indicators(run: ImportRun) -> list[dict[str, Any]]:
    """One import's indicators; none where they were not measured (a refused import, a CSV one,
    or one made before the registry measured them: its columns are null)."""
    if run.outcome != ImportOutcome.imported or run.kind != "ocds" or run.with_value is None:
        return []
    names = ("releases_read", *INDICATOR_COLUMNS)
    return indicator_values({name: getattr(run, name) for name in names})


def findings_by_run(db: Session, run_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The findings of these imports, most frequent first, as the API and the pages show them."""
    found: dict[int, list[dict[str, Any]]] = {run_id: [] for run_id in run_ids}
    if not found:
        return found
    rows = db.execute(
        sa.select(ImportFinding)
        .where(ImportFinding.run_id.in_(list(found)))
        .order_by(
            ImportFinding.run_id,
            ImportFinding.count.desc(),
            ImportFinding.rule,
            ImportFinding.path,
        )
    ).scalars()
    for f in rows:
        found[f.run_id].append(
            {
                "rule": f.rule,
                "title": rule_title(f.rule),
                "path": f.path,
                "count": f.count,
                "example": f.example,
                "example_where": f.example_where,
            }
        )
    return found


def findings_by_rule(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings of one import grouped by rule: each rule's total, then its paths, the rules
    most frequent first."""
    rules: dict[str, dict[str, Any]] = {}
    for finding in findings:
        rule = rules.setdefault(
            finding["rule"],
            {"rule": finding["rule"], "title": finding["title"], "count": 0, "paths": []},
        )
        rule["count"] += finding["count"]
        rule["paths"].append(finding)
    return sorted(rules.values(), key=lambda r: (-r["count"], r["rule"]))


def _source_quality(db: Session, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Per source: the sums of its good OCDS imports' counts, and the findings they recorded."""
    # Imports made before the indicators were measured (null) would count as releases stating
    # nothing: they are left out of the sums, and of the findings, which they never recorded.
    good = sa.and_(
        ImportRun.outcome == ImportOutcome.imported,
        ImportRun.kind == "ocds",
        ImportRun.with_value.is_not(None),
    )
    names = ("releases_read", *INDICATOR_COLUMNS)
    sums = db.execute(
        sa.select(
            ImportRun.source_key,
            *(sa.func.sum(getattr(ImportRun, name)).label(name) for name in names),
        )
        .where(good, ImportRun.source_key.in_(keys))
        .group_by(ImportRun.source_key)
    ).all()
    findings = {
        key: (total, rules)
        for key, total, rules in db.execute(
            sa.select(
                ImportRun.source_key,
                sa.func.sum(ImportFinding.count),
                sa.func.count(sa.distinct(ImportFinding.rule)),
            )
            .join(ImportFinding, ImportFinding.run_id == ImportRun.id)
            .where(good, ImportRun.source_key.in_(keys))
            .group_by(ImportRun.source_key)
        ).all()
    }
    quality = {}
    for row in sums:
        counts = dict(row._mapping)
        total, rules = findings.get(row.source_key, (0, 0))
        quality[row.source_key] = {
            "releases": counts["releases_read"] or 0,
            "findings": total or 0,
            "rules": rules,
            "indicators": indicator_values(counts),
        }
    return quality


def _sources_query() -> Any:
    return sa.select(
        ImportRun.source_key,
        sa.func.count().label("imports"),
        sa.func.sum(sa.case((ImportRun.outcome == ImportOutcome.refused, 1), else_=0)),
        sa.func.max(ImportRun.finished_at),
        sa.func.max(ImportRun.id),
        sa.func.min(ImportRun.id),
    ).group_by(ImportRun.source_key)


def _summaries(db: Session, runs: Sequence[Any]) -> list[dict[str, Any]]:
    keys = [r[0] for r in runs]
    held = dict(
        db.execute(
            sa.select(ImportRun.source_key, sa.func.count(sa.distinct(ImportRunOcid.ocid)))
            .join(ImportRunOcid, ImportRunOcid.run_id == ImportRun.id)
            .where(ImportRun.source_key.in_(keys))
            .group_by(ImportRun.source_key)
        ).all()
    )
    quality = _source_quality(db, keys)
    return [
        {
            "key": key,
            "imports": imports,
            "refused": refused or 0,
            "last": last,
            "last_id": last_id,
            "first_id": first_id,
            "ocids": held.get(key, 0),
            # None: no good OCDS import of the source, so no releases to measure.
            "quality": quality.get(key),
        }
        for key, imports, refused, last, last_id, first_id in runs
    ]


def sources_summary(db: Session) -> list[dict[str, Any]]:
    """Per source (publisher, else file), the most recently imported first: imports, refusals,
    the last import, ocids held, and the data quality of its good imports."""
    query = _sources_query().order_by(sa.func.max(ImportRun.id).desc()).limit(SOURCES_SHOWN)
    return _summaries(db, db.execute(query).all())


def sources_page(db: Session, after: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The API's pages of the same: sources in the order of their first import (which does not
    change as they are imported again), those first imported after import `after`; and whether
    more follow."""
    query = (
        _sources_query()
        .having(sa.func.min(ImportRun.id) > after)
        .order_by(sa.func.min(ImportRun.id))
        .limit(limit + 1)
    )
    runs = db.execute(query).all()
    return _summaries(db, runs[:limit]), len(runs) > limit
