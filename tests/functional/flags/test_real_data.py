"""Lock-in found in a real publication in another currency (issue 17): Armenia's e-procurement
data (values in drams, 263 direct tenders) imported through the CLI, then `registry detect`.

What each flag should be is worked out here from a plain walk of the JSON, independent of the
importer and the detectors, with margins either side of the thresholds (the importer may group
suppliers or skip a fault differently; these buyers' figures are far from the line)."""

from __future__ import annotations

import collections
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.buyers.models import Buyer
from registry.db import create_engine
from registry.flags.models import Flag, SubjectType
from tests.common.cli import run_cli, write_ini
from tests.conftest import SHARED_DATA

ARMENIA = sorted((SHARED_DATA / "armenia-armeps-2018").glob("*.json"))
UNCOMPETED = ("direct", "limited")


@dataclasses.dataclass
class Award:
    supplier: str
    amount: float | None
    currency: str | None
    uncompeted: bool  # direct or limited
    single_bid: bool


@dataclasses.dataclass
class BuyerAwards:
    names: set[str] = dataclasses.field(default_factory=set)
    awards: list[Award] = dataclasses.field(default_factory=list)

    @property
    def valued(self) -> list[Award]:
        return [a for a in self.awards if a.amount is not None and a.currency == "AMD"]

    @property
    def top_share(self) -> float:
        """The largest supplier's share of the buyer's value in drams."""
        by_supplier: collections.Counter[str] = collections.Counter()
        for award in self.valued:
            by_supplier[award.supplier] += award.amount or 0
        total = sum(by_supplier.values())
        return by_supplier.most_common(1)[0][1] / total if total else 0.0

    def uncompeted_share(self, with_single_bids: bool) -> float:
        total = sum(a.amount or 0 for a in self.valued)
        uncompeted = sum(
            a.amount or 0
            for a in self.valued
            if a.uncompeted or (with_single_bids and a.single_bid)
        )
        return uncompeted / total if total else 0.0


def _walk() -> dict[str, BuyerAwards]:
    """Every award with a supplier, by its release's buyer id: a plain json walk."""
    buyers: dict[str, BuyerAwards] = collections.defaultdict(BuyerAwards)
    for path in ARMENIA:
        for release in json.loads(path.read_text())["releases"]:
            tender = release.get("tender") or {}
            for award in release.get("awards") or []:
                if not award.get("suppliers"):
                    continue
                value = award.get("value") or {}
                buyer = buyers[release["buyer"]["id"]]
                buyer.names.add(release["buyer"]["name"])
                buyer.awards.append(
                    Award(
                        supplier=award["suppliers"][0]["id"],
                        amount=value.get("amount"),
                        currency=value.get("currency"),
                        uncompeted=tender.get("procurementMethod") in UNCOMPETED,
                        single_bid=tender.get("numberOfTenderers") == 1,
                    )
                )
    return buyers


@pytest.fixture(scope="module")
def armenia(database_factory: Any, tmp_path_factory: Any) -> list[tuple[Flag, str]]:
    """Armenia imported and detection run through the CLI: every flag about a buyer, with the
    buyer's name."""
    url = database_factory.fresh()
    ini = write_ini(tmp_path_factory.mktemp("armenia"), url)
    result = run_cli(ini, "import", "ocds", *map(str, ARMENIA))
    assert result.exit_code == 0, result.output
    result = run_cli(ini, "detect")
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    try:
        with Session(engine) as db:
            rows = db.execute(
                sa.select(Flag, Buyer.name).join(Buyer, Buyer.id == Flag.buyer_id)
            ).all()
            for flag, _name in rows:
                db.expunge(flag)
            return [(flag, name) for flag, name in rows]
    finally:
        engine.dispose()


def _flags_of(found: list[tuple[Flag, str]], buyer: BuyerAwards, detector: str) -> list[Flag]:
    return [f for f, name in found if f.detector == detector and name in buyer.names]


def test_buyers_dependent_on_one_supplier_are_flagged_in_drams(
    armenia: list[tuple[Flag, str]],
) -> None:
    buyers = _walk()
    # At least three awards valued in drams, and one supplier with nine tenths of their value.
    dependent = {k: b for k, b in buyers.items() if len(b.valued) >= 3 and b.top_share >= 0.9}
    assert len(dependent) >= 3, "the data's own figures: several such buyers"
    buyer_wide = 0
    for buyer in dependent.values():
        flags = _flags_of(armenia, buyer, "buyer_dependency")
        assert flags, f"{buyer.names} has {buyer.top_share:.0%} with one supplier"
        for flag in flags:
            assert flag.metrics["currency"] == "AMD" and flag.metrics["basis"] == "value"
            assert "by value in AMD" in flag.subject_label
            if flag.market_key and flag.market_key.startswith("buyer-"):
                buyer_wide += 1
                # All the buyer's contracts: the same share as the plain walk's.
                assert flag.metrics["share"] == pytest.approx(buyer.top_share, abs=1e-4)
                assert flag.metrics["buyer_contracts"] == len(buyer.valued)
    assert buyer_wide >= 1, "a dependence judged on a buyer-wide market"


def test_buyers_spread_over_suppliers_have_no_buyer_wide_flag(
    armenia: list[tuple[Flag, str]],
) -> None:
    spread = [b for b in _walk().values() if len(b.valued) >= 3 and b.top_share <= 0.6]
    assert spread
    for buyer in spread:
        flags = _flags_of(armenia, buyer, "buyer_dependency")
        assert not [f for f in flags if (f.market_key or "").startswith("buyer-")], buyer.names


def test_buyers_awarding_without_competition_are_flagged(
    armenia: list[tuple[Flag, str]],
) -> None:
    buyers = _walk()
    # Direct or limited awards alone take two thirds of the value: a lower bound of the share.
    uncompeted = [
        b for b in buyers.values() if len(b.valued) >= 4 and b.uncompeted_share(False) >= 2 / 3
    ]
    # Even counting single bids, under a third: an upper bound far below one half.
    competed = [
        b for b in buyers.values() if len(b.valued) >= 3 and b.uncompeted_share(True) < 1 / 3
    ]
    assert len(uncompeted) >= 5 and competed
    for buyer in uncompeted:
        (flag,) = [
            f
            for f in _flags_of(armenia, buyer, "non_competitive_share")
            if f.subject_type == SubjectType.buyer
        ]
        assert flag.metrics["currency"] == "AMD"
        assert flag.metrics["share"] >= buyer.uncompeted_share(False) - 1e-4
    for buyer in competed:
        assert not [
            f
            for f in _flags_of(armenia, buyer, "non_competitive_share")
            if f.subject_type == SubjectType.buyer
        ], buyer.names


def test_the_walk_reads_the_files(tmp_path: Path) -> None:
    """The plain walk sees what the data's README says: 358 awards with suppliers, in drams."""
    awards = [a for b in _walk().values() for a in b.awards]
    assert len(awards) == 358
    assert {a.currency for a in awards if a.amount is not None} == {"AMD"}
