"""`registry export`: an OCDS package valid against the official schema, public tables only,
a lossless round trip, and market numbers that anyone can recompute from the CSV alone."""

from __future__ import annotations

import csv
import datetime
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing
import referencing.jsonschema
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.db import create_engine
from registry.records import Publication
from tests.common.cli import run_cli, write_ini
from tests.common.db.core import BuyerFactory, ContractFactory, SupplierFactory
from tests.conftest import SHARED_DATA

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "ocds"
FILES = [
    *sorted((SHARED_DATA / "armenia-armeps-2018").glob("*.json")),
    SHARED_DATA / "uk-contracts-finder-2025" / "release-package-2025-01-23.json",
    SHARED_DATA / "uk-contracts-finder-2025" / "releases.jsonl",
    *sorted((SHARED_DATA / "mexico-jalisco-2018" / "record-packages").glob("*.json")),
    *sorted((SHARED_DATA / "mexico-jalisco-2018" / "release-packages").glob("*.json")),
]


def package_validator() -> jsonschema.Draft4Validator:
    release = json.loads((SCHEMAS / "release-schema-1.1.4.json").read_text())
    package = json.loads((SCHEMAS / "release-package-schema-1.1.json").read_text())
    resource = referencing.Resource.from_contents(
        release, default_specification=referencing.jsonschema.DRAFT4
    )
    registry = referencing.Registry().with_resource("release-schema-1.1.4.json", resource)
    return jsonschema.Draft4Validator(
        package, registry=registry, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


@pytest.fixture(scope="module")
def imported(database_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One database with every real file imported, plus a draft and a retracted contract."""
    tmp = tmp_path_factory.mktemp("export")
    url = database_factory.fresh()
    ini = write_ini(tmp, url)
    result = run_cli(ini, "import", "ocds", *map(str, FILES))
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    with Session(engine) as db, db.begin():
        from tests.common.db import base

        base.bind(db)
        try:
            buyer, supplier = BuyerFactory(name="Hidden Trust"), SupplierFactory(name="Hidden Ltd")
            ContractFactory(
                title="DRAFT-ONLY",
                reference="draft-1",
                buyer=buyer,
                supplier=supplier,
                publication=Publication.draft,
            )
            ContractFactory(
                title="RETRACTED-ONLY",
                reference="retracted-1",
                buyer=buyer,
                supplier=supplier,
                retracted_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
                retraction_reason="entered twice",
            )
        finally:
            base.bind(None)
    engine.dispose()
    return ini, url


def _contracts(url: str) -> set[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with Session(engine) as db:
            rows = db.execute(
                sa.select(Contract).where(
                    Contract.source == "ocds", Contract.publication == Publication.published
                )
            ).scalars()
            return {
                (
                    c.reference,
                    c.ocid,
                    c.buyer.name,
                    c.supplier.name,
                    c.supplier.companies_house_number,
                    c.value_amount,
                    c.currency,
                    c.award_date,
                    c.start_date,
                    c.end_date,
                    c.procurement_method,
                    c.number_of_tenderers,
                    c.cpv_code,
                    c.title,
                )
                for c in rows
            }
    finally:
        engine.dispose()


def test_ocds_export_validates_against_the_official_schema(imported: Any, tmp_path: Path) -> None:
    ini, _url = imported
    out = tmp_path / "ocds.json"
    result = run_cli(ini, "export", "ocds", "--out", str(out))
    assert result.exit_code == 0, result.output
    package = json.loads(out.read_text())
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in package_validator().iter_errors(package)
    ]
    assert errors == []
    text = out.read_text()
    assert "DRAFT-ONLY" not in text and "RETRACTED-ONLY" not in text
    assert sum(len(r["awards"]) for r in package["releases"]) > 500


def test_round_trip_export_reimport_loses_nothing(
    imported: Any, database_factory: Any, tmp_path: Path
) -> None:
    ini, url = imported
    out = tmp_path / "ocds.json"
    assert run_cli(ini, "export", "ocds", "--out", str(out)).exit_code == 0
    other_url = database_factory.fresh()
    other = write_ini(tmp_path, other_url)
    result = run_cli(other, "import", "ocds", "--json", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["skipped"] == 0
    assert _contracts(other_url) == _contracts(url)
    # The export of the re-imported data is the same export.
    again = tmp_path / "again.json"
    assert run_cli(other, "export", "ocds", "--out", str(again)).exit_code == 0
    first, second = json.loads(out.read_text()), json.loads(again.read_text())

    def awards(package: dict[str, Any]) -> list[Any]:
        return sorted(
            (
                r["ocid"],
                a["id"],
                a.get("value", {}).get("amount"),
                [s["name"] for s in a["suppliers"]],
            )
            for r in package["releases"]
            for a in r["awards"]
        )

    assert awards(first) == awards(second)


def test_csv_and_json_exports_hold_public_rows_only(imported: Any, tmp_path: Path) -> None:
    ini, url = imported
    for kind in ("csv", "json"):
        out = tmp_path / kind
        result = run_cli(ini, "export", kind, "--out", str(out))
        assert result.exit_code == 0, result.output
        names = {p.name for p in out.iterdir()}
        assert f"contracts.{kind}" in names and f"suppliers.{kind}" in names
        assert not any("user" in n or "audit" in n for n in names)
        text = (out / f"contracts.{kind}").read_text()
        assert "DRAFT-ONLY" not in text and "RETRACTED-ONLY" not in text
    with (tmp_path / "csv" / "contracts.csv").open() as handle:
        exported = list(csv.DictReader(handle))
    engine = create_engine(url)
    with engine.connect() as conn:
        published = conn.execute(
            sa.text(
                "SELECT count(*) FROM contracts WHERE publication = 'published' AND retracted_at IS NULL"
            )
        ).scalar_one()
    engine.dispose()
    assert len(exported) == published
    assert (
        json.loads((tmp_path / "json" / "contracts.json").read_text())[0].keys()
        == exported[0].keys()
    )


def _hhi(shares: dict[str, int]) -> Decimal:
    total = sum(shares.values())
    return sum((Decimal(100 * n) / total) ** 2 for n in shares.values()) if total else Decimal(0)


def test_market_hhi_recomputes_from_the_csv_export_alone(imported: Any, tmp_path: Path) -> None:
    """Buyer-count basis: a group's share of a CPV market is the share of the market's distinct
    buyers that bought from it. From the CSV alone, then straight from the database."""
    ini, url = imported
    out = tmp_path / "csv"
    assert run_cli(ini, "export", "csv", "--out", str(out)).exit_code == 0
    with (out / "suppliers.csv").open() as handle:
        group_of = {row["id"]: row["group_id"] for row in csv.DictReader(handle)}
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    with (out / "contracts.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["cpv_code"]:
                pairs[row["cpv_code"]].add((group_of[row["supplier_id"]], row["buyer_id"]))
    from_csv = {}
    for market, market_pairs in pairs.items():
        shares: dict[str, int] = defaultdict(int)
        for group, _buyer in market_pairs:
            shares[group] += 1
        from_csv[market] = round(_hhi(shares), 6)

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.cpv_code, s.group_id, count(DISTINCT c.buyer_id) FROM contracts c "
                "JOIN suppliers s ON s.id = c.supplier_id "
                "WHERE c.publication = 'published' AND c.retracted_at IS NULL AND c.cpv_code IS NOT NULL "
                "GROUP BY c.cpv_code, s.group_id"
            )
        ).all()
    engine.dispose()
    by_market: dict[str, dict[str, int]] = defaultdict(dict)
    for cpv, group, buyers in rows:
        by_market[cpv][str(group)] = buyers
    from_db = {market: round(_hhi(shares), 6) for market, shares in by_market.items()}
    assert from_csv == from_db
    assert len(from_db) > 5 and any(h > 1800 for h in from_db.values())


def _from_csv(out: Path, depth: int) -> dict[str, dict[str, float]]:
    """Every market's HHI by buyers and by value in its currency, from the CSV files alone."""
    with (out / "suppliers.csv").open() as handle:
        group_of = {row["id"]: row["group_id"] for row in csv.DictReader(handle)}
    buyers: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    # Values by market, currency and group: a market's value figures are in one currency.
    values: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    valued: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with (out / "contracts.csv").open() as handle:
        for row in csv.DictReader(handle):
            keys = []
            if len(row["cpv_code"]) >= depth:
                keys.append(f"cpv-{row['cpv_code'][:depth]}")
            if row["lot_id"]:
                keys.append(f"lot-{row['lot_id']}")
            group = group_of[row["supplier_id"]]
            for key in keys:
                buyers[key][group].add(row["buyer_id"])
                if row["currency"] and row["value_amount"]:
                    values[key][row["currency"]][group] += Decimal(row["value_amount"])
                    valued[key][row["currency"]] += 1

    def currency(key: str) -> str | None:
        """Most valued contracts; ties: GBP first, then alphabetical."""
        counts = valued[key]
        return min(counts, key=lambda c: (-counts[c], c != "GBP", c)) if counts else None

    def hhi(amounts: list[Decimal]) -> float:
        total = sum(amounts)
        return float(10_000 * sum(a * a for a in amounts) / (total * total)) if total > 0 else 0.0

    return {
        key: {
            "buyers": hhi([Decimal(len(b)) for b in by_group.values()]),
            "value": hhi([v for v in values[key][currency(key) or ""].values() if v > 0]),
        }
        for key, by_group in buyers.items()
    }


def test_published_market_numbers_recompute_from_the_csv_export(
    imported: Any, tmp_path: Path
) -> None:
    """The markets feature's HHI (both bases, every market) equals the CSV-only recomputation."""
    services = pytest.importorskip("registry.markets.services")
    ini, url = imported
    out = tmp_path / "csv"
    assert run_cli(ini, "export", "csv", "--out", str(out)).exit_code == 0
    depth = services.DEFAULT_CPV_DEPTH
    from_csv = _from_csv(out, depth)
    engine = create_engine(url)
    try:
        with Session(engine) as db:
            # The CSV names no classification market: CPV and lot markets are recomputed.
            markets = services.list_markets(db, depth, kinds=("cpv", "lot"))
    finally:
        engine.dispose()
    published = {m.key: {"buyers": m.by_buyers.hhi, "value": m.by_value.hhi} for m in markets}
    assert published.keys() == from_csv.keys()
    for key, numbers in published.items():
        assert numbers == pytest.approx(from_csv[key], abs=1e-6), key
    assert any(n["buyers"] > 1800 for n in published.values())
