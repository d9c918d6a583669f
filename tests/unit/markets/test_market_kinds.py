"""Markets beyond CPV and pounds: classification and buyer-wide markets, and value shares within
each market's one currency (issue 17)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from registry.flags.run_contracts import create_run_contracts, drop_run_contracts
from registry.markets.aggregates import market_currency
from registry.markets.keys import KINDS, MarketKey
from registry.markets.services import (
    get_market,
    list_market_leaders,
    list_markets,
    market_labels,
)
from tests.common.db.core import BuyerFactory, ContractFactory, SupplierFactory
from tests.common.db.flags import market
from tests.common.db.markets import (
    ClassificationFactory,
    classified_contract,
    classified_market,
)

DEPTH = 5


def test_market_keys_of_every_kind() -> None:
    for text in ("cpv-48814", "cls-7", "lot-12", "buyer-3", "buyer-2147483647"):
        key = MarketKey.parse(text)
        assert key is not None and str(key) == text and key.kind in KINDS
        assert len(text) <= 20  # the market_key columns
    for bad in ("cls-", "cls-x", "buyer-0", "buyer-007", "buyer-1234567890123", "pound-1"):
        assert MarketKey.parse(bad) is None
    for bad in ("lot-2147483648", "buyer-999999999999", "cls-\u0663"):  # past an INTEGER id
        assert MarketKey.parse(bad) is None


def test_a_classification_market_holds_the_contracts_without_a_cpv_code(
    db_session: Session,
) -> None:
    segment = ClassificationFactory(scheme="UNSPSC", code="43", label="IT equipment (UNSPSC 43)")
    classified_market({"Alpha": 3, "Beta": 1}, segment)
    # Classified, but with a CPV code too: in its CPV market, not this one.
    ContractFactory(cpv_code="48814000", classification=segment)
    (found,) = list_markets(db_session, DEPTH, kinds=("cls",))
    assert (found.key, found.label, found.kind) == (
        f"cls-{segment.id}",
        "IT equipment (UNSPSC 43)",
        "cls",
    )
    assert (found.scheme, found.code, found.contracts, found.count_basis) == (
        "UNSPSC",
        "43",
        4,
        "buyers",
    )
    assert [round(s.share, 4) for s in found.by_buyers.shares] == [0.75, 0.25]
    assert market_labels(db_session, {found.key, "cls-999999"}, DEPTH) == {
        found.key: "IT equipment (UNSPSC 43)",
        "cls-999999": "Classification 999999",
    }
    assert get_market(db_session, MarketKey("cls", "999999"), DEPTH) is None


def test_value_shares_are_within_the_markets_one_currency(db_session: Session) -> None:
    segment = ClassificationFactory()
    groups = classified_market({"Alpha": 3, "Beta": 1}, segment, value=Decimal(1000))
    # A huge value in pounds: another currency in this market, left out and counted.
    classified_contract(segment, groups["Beta"], 10**9, "GBP")
    found = get_market(db_session, MarketKey("cls", str(segment.id)), DEPTH)
    assert found is not None
    got, _years = found
    assert (got.currency, got.contracts, got.valued_contracts) == ("AMD", 5, 4)
    assert got.total_value == 4000  # drams only: nothing added across currencies
    assert [round(s.share, 4) for s in got.by_value.shares] == [0.75, 0.25]
    assert market_currency(db_session, MarketKey("cls", str(segment.id)), DEPTH) == "AMD"


@pytest.mark.parametrize(
    ("currencies", "chosen"),
    [
        (["EUR", "GBP"], "GBP"),  # a tie: pounds first
        (["USD", "EUR"], "EUR"),  # a tie without pounds: alphabetical
        (["EUR", "EUR", "GBP"], "EUR"),  # most contracts wins
    ],
)
def test_a_markets_currency_is_that_of_most_of_its_valued_contracts(
    db_session: Session, currencies: list[str], chosen: str
) -> None:
    for currency in currencies:
        ContractFactory(cpv_code="72200000", currency=currency)
    ContractFactory(cpv_code="72200000", value_amount=None, currency=None)  # no value: no vote
    (found,) = list_markets(db_session, DEPTH, kinds=("cpv",))
    assert found.currency == chosen
    assert found.valued_contracts == currencies.count(chosen)
    (leader,) = list_market_leaders(db_session, DEPTH, kinds=("cpv",))
    assert leader.currency == chosen


def test_a_buyer_wide_market_counts_contracts_not_buyers(db_session: Session) -> None:
    buyer = BuyerFactory(name="Ministerio de Salud")
    market({"Alpha": 6, "Beta": 2}, cpv="72200000", buyer=buyer)
    ContractFactory(buyer=buyer, supplier=SupplierFactory(), cpv_code=None)  # unclassified
    key = MarketKey("buyer", str(buyer.id))
    found = get_market(db_session, key, DEPTH)
    assert found is not None
    got, years = found
    assert (got.label, got.count_basis, got.buyer_id) == (
        "All contracts of Ministerio de Salud",
        "contracts",
        buyer.id,
    )
    assert got.contracts == 9  # every contract of the buyer, classified or not
    # By number of buyers every group would have 1 of 3: by contracts, 6, 2 and 1 of 9.
    assert [round(s.share, 4) for s in got.by_buyers.shares] == [0.6667, 0.2222, 0.1111]
    assert round(got.by_buyers.hhi) == 5062
    assert [p.year for p in years] == [2021]
    assert get_market(db_session, MarketKey("buyer", "999999"), DEPTH) is None


def test_leaders_from_the_run_contracts_match_the_full_computation_on_every_kind(
    db_session: Session,
) -> None:
    segment = ClassificationFactory()
    groups = classified_market({"Alpha": 4, "Beta": 2, "Gamma": 1}, segment)
    classified_contract(segment, groups["Gamma"], 50, "COP")
    buyer = BuyerFactory()
    market({"EMIS": 5, "TPP": 3}, buyer=buyer)
    full = {m.key: m for m in list_markets(db_session, DEPTH, kinds=KINDS)}
    contracts = create_run_contracts(db_session, DEPTH)
    try:
        from_run = {
            m.key: m
            for m in list_market_leaders(db_session, DEPTH, contracts=contracts, kinds=KINDS)
        }
    finally:
        drop_run_contracts(db_session)
    from_contracts = {m.key: m for m in list_market_leaders(db_session, DEPTH, kinds=KINDS)}
    assert from_run.keys() == from_contracts.keys() == full.keys()
    assert {f"cls-{segment.id}", f"buyer-{buyer.id}", "cpv-48814"} <= full.keys()
    for key, want in full.items():
        for got in (from_run[key], from_contracts[key]):
            assert (got.label, got.currency, got.contracts, got.valued_contracts) == (
                want.label,
                want.currency,
                want.contracts,
                want.valued_contracts,
            ), key
            for basis in ("by_buyers", "by_value"):
                assert getattr(got, basis).as_metrics() == getattr(want, basis).as_metrics()
