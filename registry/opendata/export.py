"""Open data out: the public tables as CSV and JSON (the contracts as an OCDS release package are
in release.py).

Only public rows leave: published, non-retracted contracts; non-retracted frameworks, lots and
obligations; suppliers that are not merged away; published, non-retracted assessments and the
current scores; and nothing about users or the audit trail.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa

from registry.buyers.models import Buyer
from registry.clock import today
from registry.contracts.models import Contract, ContractExtension
from registry.flags.coverage import checked_at as coverage_checked_at
from registry.flags.models import DetectorCoverage
from registry.frameworks.lifecycle import membership_state_sql, shown_status_sql
from registry.frameworks.models import Framework, Lot, Membership, Obligation
from registry.frameworks.money import call_off_columns
from registry.markets import exports
from registry.opendata.findings import rule_title
from registry.opendata.models import ImportFinding, ImportRun
from registry.products.models import ContractProduct, Product
from registry.records import Publication
from registry.scoring.assessments.models import Assessment, AssessmentReply
from registry.scoring.assessments.public import published_assessments
from registry.scoring.clocks import exports as clock_exports
from registry.scoring.scores.coverage import coverage_select as score_coverage_select
from registry.scoring.scores.models import Score
from registry.scoring.scores.services import explain
from registry.suppliers.models import Supplier, SupplierGroup

LICENSE = "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    description: str


@dataclasses.dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    query: Any  # a function (no arguments) returning the select
    # Values derived in Python from a selected row (which may carry extra helper columns).
    derive: Any = None

    def select(self) -> sa.Select[Any]:
        return self.query()


def published_contracts() -> Any:
    return sa.and_(Contract.publication == Publication.published, Contract.retracted_at.is_(None))


def _cols(model: Any, spec: list[tuple[str, str]]) -> tuple[Column, ...]:
    return tuple(Column(name, description) for name, description in spec)


TABLES: dict[str, Table] = {}


def _table(
    name: str,
    title: str,
    description: str,
    model: Any,
    spec: list[tuple[str, str]],
    where: Any = None,
    order: Any = None,
    expressions: Any = None,
    helpers: Any = None,
    derive: Any = None,
) -> None:
    """`expressions` (a function returning {column name: SQL expression}) supplies columns that
    are not attributes of the model, e.g. a reply's text from another table; `helpers` (a
    function returning SQL expressions) selects more columns after them, for `derive` (a row to
    {column name: value}) to compute values in Python."""
    columns = _cols(model, spec)

    def query() -> sa.Select[Any]:
        extra = expressions() if expressions is not None else {}
        stmt = sa.select(
            *(extra[c.name] if c.name in extra else getattr(model, c.name) for c in columns),
            *(helpers() if helpers is not None else ()),
        )
        if where is not None:
            stmt = stmt.where(where())
        return stmt.order_by(*(order() if order is not None else (model.id,)))

    TABLES[name] = Table(name, title, description, columns, query, derive)


_table(
    "frameworks",
    "Frameworks",
    "Framework agreements, not retracted.",
    Framework,
    [
        ("id", "the registry's id"),
        ("reference", "the framework's reference, e.g. RM6116"),
        ("title", "title"),
        ("owner_body", "the body that runs it"),
        (
            "status",
            "coming, open, pending, standstill, live or expired: expired once its end date "
            "(extended end date, if any) has passed, whatever status was last recorded",
        ),
        ("start_date", "start date (ISO 8601)"),
        ("end_date", "end date (ISO 8601)"),
        ("extended_end_date", "end date after extensions"),
        ("max_term_months", "maximum term in months, extensions included"),
        ("cpv_codes", "CPV codes (JSON array)"),
        ("source_url", "where it is published"),
        ("ceiling_amount", "estimated or maximum value of all call-offs: a ceiling, not spend"),
        ("ceiling_currency", "ISO 4217 currency of the ceiling"),
        ("call_off_value_gbp", "spend: the sum of its published call-offs' values in pounds"),
        ("call_off_contracts", "published call-offs on its lots"),
        ("call_offs_valued_gbp", "of those, call-offs with a value in pounds (summed as spend)"),
    ],
    where=lambda: Framework.retracted_at.is_(None),
    expressions=lambda: {
        **call_off_columns("framework"),
        "status": shown_status_sql(today()).label("status"),
    },
)
_table(
    "lots",
    "Lots",
    "Lots of frameworks, not retracted.",
    Lot,
    [
        ("id", "the registry's id"),
        ("framework_id", "the framework (frameworks.id)"),
        ("number", "lot number"),
        ("title", "title"),
        ("cpv_codes", "CPV codes (JSON array)"),
        ("ceiling_amount", "estimated or maximum value of the lot's call-offs: not spend"),
        ("ceiling_currency", "ISO 4217 currency of the ceiling"),
        ("call_off_value_gbp", "spend: the sum of its published call-offs' values in pounds"),
        ("call_off_contracts", "published call-offs on the lot"),
        ("call_offs_valued_gbp", "of those, call-offs with a value in pounds (summed as spend)"),
    ],
    expressions=lambda: call_off_columns("lot"),
    where=lambda: sa.and_(
        Lot.retracted_at.is_(None),
        Lot.framework_id.in_(sa.select(Framework.id).where(Framework.retracted_at.is_(None))),
    ),
)
_table(
    "obligations",
    "Obligations",
    "What suppliers signed up to on a framework or lot, not retracted.",
    Obligation,
    [
        ("id", "the registry's id"),
        ("framework_id", "frameworks.id"),
        ("lot_id", "lots.id, when the obligation is for one lot"),
        ("supplier_id", "suppliers.id, when it binds one supplier"),
        ("category", "interoperability, data portability, open standards, security…"),
        ("title", "title"),
        ("standard_reference", "the standard, e.g. IM1 or ISO 27001"),
        ("kpi_target", "the KPI's target"),
        ("kpi_unit", "the KPI's unit"),
        ("kpi_direction", "whether higher or lower is better"),
        ("weight", "weight in scoring"),
        ("mandatory", "true when mandatory"),
    ],
    where=lambda: Obligation.retracted_at.is_(None),
)
_table(
    "memberships",
    "Memberships",
    "Suppliers on framework lots.",
    Membership,
    [
        ("id", "the registry's id"),
        ("supplier_id", "suppliers.id"),
        ("lot_id", "lots.id"),
        ("start_date", "start date"),
        ("end_date", "end date"),
        (
            "status",
            "active, suspended, in remediation or removed; or ended: its own end date, or its "
            "framework's, has passed",
        ),
    ],
    expressions=lambda: {"status": membership_state_sql(today()).label("status")},
)
_table(
    "supplier_groups",
    "Supplier groups",
    "Ultimate parent groups: market concentration is measured on these.",
    SupplierGroup,
    [
        ("id", "the registry's id"),
        ("name", "name"),
        ("companies_house_number", "the parent's Companies House number"),
        ("country", "ISO 3166-1 alpha-2"),
    ],
)
_table(
    "suppliers",
    "Suppliers",
    "Suppliers, except records merged into another.",
    Supplier,
    [
        ("id", "the registry's id"),
        ("name", "name"),
        ("companies_house_number", "Companies House number"),
        ("duns", "D-U-N-S number"),
        ("party_id", "PPON or OCDS party identifier"),
        ("sme", "true when a small or medium-sized enterprise"),
        ("group_id", "supplier_groups.id: the ultimate parent"),
    ],
    where=lambda: Supplier.merged_into_id.is_(None),
)
_table(
    "buyers",
    "Buyers",
    "Public bodies that award contracts.",
    Buyer,
    [
        ("id", "the registry's id"),
        ("name", "name"),
        ("buyer_type", "kind of public body"),
        ("region", "region"),
        ("identifier_scheme", "identifier scheme, e.g. GB-NHS-ODS"),
        ("identifier", "identifier in that scheme"),
        ("party_id", "OCDS party id"),
    ],
)
_table(
    "contracts",
    "Contracts",
    "Published, non-retracted contracts and call-offs.",
    Contract,
    [
        ("id", "the registry's id"),
        ("reference", "the publisher's reference (OCDS: ocid/award id)"),
        ("ocid", "OCDS ocid"),
        ("title", "title"),
        ("buyer_id", "buyers.id"),
        ("supplier_id", "suppliers.id"),
        ("lot_id", "lots.id, for call-offs from a framework lot"),
        ("value_amount", "value (decimal)"),
        ("currency", "ISO 4217 currency of the value"),
        ("award_date", "award date"),
        ("ceiling_amount", "a framework agreement's ceiling (all call-offs): never spend"),
        ("ceiling_currency", "ISO 4217 currency of the ceiling"),
        ("start_date", "start date"),
        ("end_date", "end date, extensions included"),
        ("original_end_date", "end date when awarded"),
        ("procurement_method", "open, selective, limited, direct award, further competition"),
        ("number_of_tenderers", "number of tenderers"),
        ("predecessor_id", "contracts.id of the contract it followed"),
        ("cpv_code", "main CPV code"),
        ("source", "how it came in: form, csv, ocds, seed"),
    ],
    where=published_contracts,
)
_table(
    "contract_extensions",
    "Contract extensions",
    "Extensions of published contracts.",
    ContractExtension,
    [
        ("id", "the registry's id"),
        ("contract_id", "contracts.id"),
        ("extended_on", "date of the extension"),
        ("previous_end_date", "end date before it"),
        ("new_end_date", "end date after it"),
        ("reason", "why"),
    ],
    where=lambda: ContractExtension.contract_id.in_(
        sa.select(Contract.id).where(published_contracts())
    ),
)
_table(
    "products",
    "Products",
    "Products contracts depend on, with the end of their vendors' support, not retracted.",
    Product,
    [
        ("id", "the registry's id, as on /products/{id}"),
        ("name", "name, e.g. Windows XP"),
        ("version", "version, e.g. SP3; empty when the name says it all"),
        ("group_id", "supplier_groups.id of the vendor"),
        ("mainstream_support_end", "the vendor's end of mainstream support"),
        ("extended_support_end", "the vendor's end of extended (security fix) support"),
        ("source_url", "the vendor's published lifecycle page"),
        ("notes", "notes"),
    ],
    where=lambda: Product.retracted_at.is_(None),
)
_table(
    "contract_products",
    "Contract products",
    "Which published contracts depend on which products, with the unit price where the "
    "contract states one.",
    ContractProduct,
    [
        ("contract_id", "contracts.id"),
        ("product_id", "products.id"),
        ("quantity", "units bought, e.g. licences"),
        ("unit_price", "price per unit in pounds (decimal)"),
        ("unit", "the unit, e.g. per user per year"),
    ],
    where=lambda: sa.and_(
        ContractProduct.contract_id.in_(sa.select(Contract.id).where(published_contracts())),
        ContractProduct.product_id.in_(sa.select(Product.id).where(Product.retracted_at.is_(None))),
    ),
    order=lambda: (ContractProduct.contract_id, ContractProduct.product_id),
)

_table(
    "assessments",
    "Assessments",
    "Published, non-retracted ratings of contract KPIs and obligations: what the scores rest on. "
    "Drafts and ratings under review or challenge are not included.",
    Assessment,
    [
        ("id", "the registry's id"),
        ("supplier_id", "suppliers.id (the supplier's group is suppliers.group_id)"),
        ("framework_id", "frameworks.id of the contract's or obligation's framework"),
        ("contract_id", "contracts.id, when it rates a contract KPI"),
        ("obligation_id", "obligations.id, when it rates an obligation"),
        ("buyer_id", "buyers.id of the contract's buyer"),
        ("kpi", "the KPI's or obligation's name"),
        ("period_start", "start of the period assessed"),
        ("period_end", "end of the period assessed: recency in the score counts from here"),
        ("rating", "Good, Approaching target, Requires improvement, Inadequate or Other"),
        ("measured_value", "the value measured, when the KPI has one"),
        ("unit", "its unit"),
        ("weight", "the weight the score method used (the KPI's or obligation's weight)"),
        ("published_at", "when it was published"),
        ("reply", "the supplier's published reply, if any"),
    ],
    where=lambda: sa.and_(*published_assessments()),
    expressions=lambda: {
        "reply": sa.select(AssessmentReply.text)
        .where(AssessmentReply.assessment_id == Assessment.id)
        .scalar_subquery()
    },
)


def _score_text(row: Any) -> dict[str, Any]:
    """Scores written since migration 0012 keep their aggregates, not the text: derive it."""
    if row.breakdown is not None:
        return {}
    result = explain(row)
    return {"inputs": result.inputs, "breakdown": result.breakdown}


_table(
    "scores",
    "Scores",
    "Suppliers' current scores, per framework and overall, one per year up to the as-of date. "
    "Computed from the published assessments by the method on the methodology page.",
    Score,
    [
        ("id", "the registry's id"),
        ("supplier_id", "suppliers.id"),
        ("framework_id", "frameworks.id; empty for the supplier's overall score"),
        ("period", "the period scored, e.g. 2024"),
        ("period_end", "the as-of date the score was computed for"),
        ("method_version", "the version of the scoring method"),
        ("score", "the score, 0 to 100"),
        ("band_low", "the lower end of its 95% band"),
        ("band_high", "the upper end of its 95% band"),
        ("assessments_count", "how many assessments counted"),
        ("inputs", "the aggregates and parameters the score used (JSON object)"),
        ("breakdown", "the calculation, in words"),
    ],
    where=lambda: Score.current.is_(True),
    order=lambda: (Score.period_end, Score.supplier_id, Score.framework_id, Score.id),
    expressions=lambda: {
        "inputs": Score.stored_inputs.label("inputs"),
        "breakdown": Score.stored_breakdown.label("breakdown"),
    },
    helpers=lambda: [
        Score.weight,
        Score.weighted_points,
        Score.weighted_points_sq,
        Score.prior_mean,
        Score.good_count,
        Score.approaching_count,
        Score.requires_improvement_count,
        Score.inadequate_count,
    ],
    derive=_score_text,
)
_table(
    "detector_coverage",
    "Detector coverage",
    "What each lock-in detector made of every subject it examined in its latest run: flagged, "
    "checked (not flagged) or not applicable, with the reason. A flag is a reason to review, "
    "not proof of wrongdoing.",
    DetectorCoverage,
    [
        ("id", "the registry's id"),
        ("detector", "the detector's id"),
        ("method_version", "the detector's method version"),
        (
            "subject_type",
            "market, buyer-supplier, supplier group, framework, contract, buyer-product or "
            "framework lot",
        ),
        ("subject_key", "the subject's key, as on flags"),
        ("subject_label", "the subject as people say it"),
        ("state", "flagged, checked (not flagged) or not applicable"),
        ("reason", "why not applicable, or what could not be checked"),
        ("checked_at", "when the detector ran (its latest run)"),
    ],
    order=lambda: (DetectorCoverage.detector, DetectorCoverage.id),
    expressions=lambda: {"checked_at": coverage_checked_at().label("checked_at")},
)

TABLES["score_coverage"] = Table(
    "score_coverage",
    "Score coverage",
    "Every supplier on a framework, scored there or not, with the reason: a missing score is "
    "not a good one.",
    _cols(
        None,
        [
            ("supplier_id", "suppliers.id"),
            ("framework_id", "frameworks.id"),
            ("supplier", "the supplier's name"),
            ("framework", "the framework's reference"),
            ("state", "scored or not scored"),
            ("reason", "why not scored"),
        ],
    ),
    score_coverage_select,
)

_table(
    "imports",
    "Import ledger",
    "Every import of OCDS or CSV data, newest last: what it read, kept, skipped and left "
    "out. Refused files are listed with why, and nothing from them was written.",
    ImportRun,
    [
        ("id", "the import's number, as on /data/imports/{id}"),
        ("kind", "ocds, or csv and the kind of rows"),
        ("source", "the file's name"),
        ("via", "command line or upload"),
        ("publisher", "the package publisher the file names, if it names one"),
        ("source_key", "the publisher, or the file when it names none: the ledger's grouping"),
        ("file_sha256", "sha256 of the file as read"),
        ("file_bytes", "the file's size in bytes"),
        ("started_at", "when the import started (UTC)"),
        ("finished_at", "when it finished (UTC)"),
        ("outcome", "imported, or refused (then nothing from the file was written)"),
        ("releases_read", "releases (CSV: rows) read"),
        ("records_created", "contracts (CSV: records) created"),
        ("records_updated", "contracts updated"),
        ("unchanged", "releases identical to ones imported before"),
        ("skipped", "releases not taken in (reasons in details)"),
        ("duplicates", "releases repeated within the file"),
        ("out_of_order", "releases older than one already held for their ocid (skipped)"),
        ("missing", "ocids earlier imports of the same file (same publisher) held, absent now"),
        (
            "details",
            "JSON object: skip_reasons (reason, count, examples), duplicate_examples, "
            "missing_ocids (the first 100), publishers, problems of a refused file",
        ),
        # Transparency indicators (issue 17, after opentender.eu): shares are these / releases_read.
        ("with_classification", "releases with a classification of the tender or its items"),
        ("with_value", "releases with a usable award, contract or tender value"),
        ("with_suppliers", "releases naming at least one supplier"),
        (
            "with_supplier_identifier",
            "releases whose every named supplier has an identifier (a share of with_suppliers)",
        ),
        ("with_procurement_method", "releases stating tender.procurementMethod"),
        ("with_tender_period", "releases with a tender period"),
    ],
)
_table(
    "import_findings",
    "Import findings",
    "Data quality: each rule an imported file broke, at each JSON path, how often, "
    "with an example value as published and one place it was found.",
    ImportFinding,
    [
        ("import_id", "the import (imports.id), as on /data/imports/{id}"),
        ("source", "the publisher, or the file when it names none (imports.source_key)"),
        ("rule", "the rule's name, e.g. empty-string, wrong-type, derived-award-id"),
        ("title", "what the rule means and what the import did about it"),
        ("path", "the JSON path, array positions left out, e.g. releases[].tender.value.amount"),
        ("count", "how many times it was found in the file"),
        ("example", "a value found, as published"),
        ("example_where", "one place it was found: JSON path and ocid"),
    ],
    order=lambda: (
        ImportFinding.run_id,
        ImportFinding.count.desc(),
        ImportFinding.rule,
        ImportFinding.path,
    ),
    expressions=lambda: {
        "import_id": ImportFinding.run_id.label("import_id"),
        "source": sa.select(ImportRun.source_key)
        .where(ImportRun.id == ImportFinding.run_id)
        .scalar_subquery(),
        "title": ImportFinding.rule.label("title"),  # replaced by derive
    },
    derive=lambda row: {"title": rule_title(row.title)},
)


# -- assessment clocks and buyers' assessment records (registry.scoring.clocks.exports) -------
# Registered here so /data and `registry export csv|json` list them with the other tables.
def _register_clock_tables() -> None:
    TABLES["assessment_clocks"] = Table(
        "assessment_clocks",
        "Assessment clocks",
        "When each KPI of each published contract must next be assessed (Procurement Act 2023 "
        "s.71: at least every 12 months, on termination, within 30 days of a breach), computed "
        "from published assessments and breaches as of the download. Overdue means not assessed.",
        _cols(None, clock_exports.CLOCK_COLUMNS),
        clock_exports.clocks_export,
    )
    TABLES["buyer_assessment_records"] = Table(
        "buyer_assessment_records",
        "Buyers' assessment records",
        "Each buyer's on-time rate for KPI assessments (submitted by their due date out of all "
        "that fell due) and the distribution of its published ratings, as of the download.",
        _cols(None, clock_exports.RECORD_COLUMNS),
        clock_exports.records_export,
    )


_register_clock_tables()


# -- markets (registry.markets.exports): each market's stored figures, in its own currency ----
def _register_market_table() -> None:
    TABLES["markets"] = Table(
        "markets",
        "Markets",
        "Every market (CPV code, other classification, framework lot, buyer-wide) with its "
        "concentration as `registry detect` last stored it: shares by number of buyers (of "
        "contracts in a buyer-wide market) and by value within the market's one currency; "
        "contracts in other currencies are left out and counted, never converted.",
        _cols(None, exports.COLUMNS),
        exports.markets_select,
        exports.market_label,
    )


_register_market_table()
