"""The detectors that judge buyers and supplier groups, beyond CPV and pounds (issue 17): on a
buyer-wide market, on a publisher's own classification, and in a currency other than pounds,
with contracts in a second currency left out and counted. Each at and just below its threshold."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from registry.flags.models import CoverageState, Flag, SubjectType
from tests.common.db.core import (
    BuyerFactory,
    ClassificationFactory,
    ContractFactory,
    SupplierFactory,
    SupplierGroupFactory,
)
from tests.common.db.flags import coverage, detect, separate_buying


def _flags(db: Session, detector: str, **where: Any) -> list[Flag]:
    found = detect(db, detector).values()
    return [f for f in found if all(getattr(f, k) == v for k, v in where.items())]


def _contract(buyer: Any, group: Any, amount: str | None, **kw: Any) -> Any:
    kw.setdefault("cpv_code", "48000000")
    return ContractFactory(
        buyer=buyer,
        supplier=SupplierFactory(group=group),
        value_amount=Decimal(amount) if amount is not None else None,
        **kw,
    )


# Buyer dependency on the buyer-wide market: no one market shows it, all the buyer's contracts do.


def _spread_buyer(a_in_software: str) -> tuple[Any, Any]:
    """A buyer whose group A is under the threshold in every market it is judged in, and has
    `a_in_software` + 50 of 100 of the buyer's spend over all its contracts."""
    buyer, a, c = BuyerFactory(), SupplierGroupFactory(), SupplierGroupFactory()
    _contract(buyer, a, "50", cpv_code="72000000")
    _contract(buyer, a, a_in_software, cpv_code="48000000")
    _contract(buyer, c, str(50 - Decimal(a_in_software)), cpv_code="48000000")
    return buyer, a


def test_a_buyer_wide_dependence_is_flagged_on_the_buyer_wide_market(db_session: Session) -> None:
    buyer, a = _spread_buyer("30")  # A: 30 of 50 in software (60%), 80 of 100 overall
    (flag,) = _flags(db_session, "buyer_dependency", buyer_id=buyer.id)
    assert flag.market_key == f"buyer-{buyer.id}"
    assert flag.subject_key == f"{buyer.id}/{a.id}/buyer-{buyer.id}"
    assert flag.metrics["share"] == 0.8
    assert flag.metrics["basis"] == "value"
    assert flag.metrics["currency"] == "GBP"
    assert flag.metrics["buyer_contracts"] == 3
    assert "all the buyer's contracts" in flag.subject_label
    assert "by value in GBP" in flag.subject_label


def test_just_under_the_threshold_buyer_wide_is_not_flagged(db_session: Session) -> None:
    buyer, _a = _spread_buyer("29.99")
    assert _flags(db_session, "buyer_dependency", buyer_id=buyer.id) == []
    rows = coverage(db_session, "buyer_dependency")
    buyer_wide = [r for r in rows.values() if r.subject_key.endswith(f"/buyer-{buyer.id}")]
    assert {r.state for r in buyer_wide} == {CoverageState.checked}
    assert all("all the buyer's contracts" in r.subject_label for r in buyer_wide)


def test_a_buyer_with_no_classification_at_all_is_judged_buyer_wide(db_session: Session) -> None:
    buyer, a, b = BuyerFactory(), SupplierGroupFactory(), SupplierGroupFactory()
    for amount in ("40", "40"):
        _contract(buyer, a, amount, cpv_code=None)
    _contract(buyer, b, "20", cpv_code=None)
    (flag,) = _flags(db_session, "buyer_dependency", buyer_id=buyer.id)
    assert flag.market_key == f"buyer-{buyer.id}" and flag.group_id == a.id


# Buyer dependency in a publisher's own classification (no CPV code).


def test_dependence_in_a_classification_market_is_flagged_with_its_label(
    db_session: Session,
) -> None:
    cls = ClassificationFactory(label="Medical equipment", scheme="UNSPSC")
    buyer, a, b = BuyerFactory(), SupplierGroupFactory(), SupplierGroupFactory()
    _contract(buyer, a, "80", cpv_code=None, classification=cls)
    _contract(buyer, b, "20", cpv_code=None, classification=cls)
    # All the buyer's contracts are in the one market: it is judged there, not twice.
    (flag,) = _flags(db_session, "buyer_dependency", buyer_id=buyer.id)
    assert flag.market_key == f"cls-{cls.id}"
    assert flag.metrics["market_label"] == "Medical equipment"
    assert "in Medical equipment" in flag.subject_label
    rows = coverage(db_session, "buyer_dependency")
    assert rows[f"{buyer.id}/{b.id}/cls-{cls.id}"].state == CoverageState.checked
    assert "Medical equipment" in rows[f"{buyer.id}/{b.id}/cls-{cls.id}"].subject_label


def test_just_under_the_threshold_in_a_classification_market_is_not_flagged(
    db_session: Session,
) -> None:
    cls = ClassificationFactory()
    buyer, a, b = BuyerFactory(), SupplierGroupFactory(), SupplierGroupFactory()
    _contract(buyer, a, "79.99", cpv_code=None, classification=cls)
    _contract(buyer, b, "20.01", cpv_code=None, classification=cls)
    assert _flags(db_session, "buyer_dependency", buyer_id=buyer.id) == []


# Buyer dependency in drams: the market's currency is that of most of its valued contracts.


def _dram_buyer(a_amount: str) -> tuple[Any, Any]:
    buyer, a, b = BuyerFactory(), SupplierGroupFactory(), SupplierGroupFactory()
    _contract(buyer, a, a_amount, currency="AMD")
    _contract(buyer, b, str(1_000_000 - Decimal(a_amount)), currency="AMD")
    # A huge contract in pounds to B: in another currency, left out and counted.
    _contract(buyer, b, "900000000", currency="GBP")
    return buyer, a


def test_dependence_in_drams_is_judged_in_drams(db_session: Session) -> None:
    buyer, a = _dram_buyer("800000")
    (flag,) = _flags(db_session, "buyer_dependency", buyer_id=buyer.id)
    assert flag.group_id == a.id and flag.market_key == "cpv-48000"
    assert flag.metrics["currency"] == "AMD"
    assert flag.metrics["share"] == 0.8
    assert (flag.metrics["group_value"], flag.metrics["buyer_value"]) == (800_000, 1_000_000)
    assert flag.metrics["other_currency_contracts"] == 1
    assert flag.metrics["buyer_contracts"] == 3
    assert "by value in AMD; 1 contract in other currencies left out" in flag.subject_label


def test_dependence_in_drams_just_under_the_threshold_is_not_flagged(db_session: Session) -> None:
    buyer, _a = _dram_buyer("799999")
    assert _flags(db_session, "buyer_dependency", buyer_id=buyer.id) == []
    rows = coverage(db_session, "buyer_dependency")
    (row,) = [r for k, r in rows.items() if k.startswith(f"{buyer.id}/")][:1]
    assert (
        row.reason == "contracts in other currencies than the market's left out of the value shares"
    )


def test_a_tie_between_currencies_is_judged_in_pounds(db_session: Session) -> None:
    buyer, a, b = BuyerFactory(), SupplierGroupFactory(), SupplierGroupFactory()
    _contract(buyer, a, "80", currency="GBP")
    _contract(buyer, b, "1000000", currency="AMD")
    _contract(buyer, b, "20", currency="GBP")
    _contract(buyer, b, "1000000", currency="AMD")
    (flag,) = _flags(db_session, "buyer_dependency", buyer_id=buyer.id)
    assert flag.metrics["currency"] == "GBP" and flag.metrics["other_currency_contracts"] == 2


# Buyer dependency by number of contracts, where values are missing (R040's own measure).


def _unvalued_buyer(to_a: int, others: int) -> tuple[Any, Any]:
    buyer, a = BuyerFactory(), SupplierGroupFactory()
    for _ in range(to_a):
        _contract(buyer, a, None)
    for _ in range(others):
        _contract(buyer, SupplierGroupFactory(), None)
    return buyer, a


def test_without_values_four_of_five_contracts_to_one_group_is_flagged(
    db_session: Session,
) -> None:
    buyer, a = _unvalued_buyer(4, 1)
    (flag,) = _flags(db_session, "buyer_dependency", buyer_id=buyer.id)
    assert flag.group_id == a.id and flag.metrics["basis"] == "contracts"
    assert flag.metrics["share"] == 0.8 and flag.metrics["currency"] is None
    assert "by number of contracts" in flag.subject_label


def test_without_values_three_of_four_is_not_flagged(db_session: Session) -> None:
    buyer, _a = _unvalued_buyer(3, 1)
    assert _flags(db_session, "buyer_dependency", buyer_id=buyer.id) == []


# Non-competitive share of a buyer: what it awards without competition.


def _buyer_awarding(
    uncompeted: list[str | None], competed: list[str | None], currency: str = "AMD"
) -> Any:
    buyer = BuyerFactory()
    for amount in uncompeted:
        _contract(
            buyer, SupplierGroupFactory(), amount, currency=currency, procurement_method="limited"
        )
    for amount in competed:
        _contract(buyer, SupplierGroupFactory(), amount, currency=currency, number_of_tenderers=4)
    return buyer


def test_a_buyer_awarding_half_its_drams_without_competition_is_flagged(
    db_session: Session,
) -> None:
    buyer = _buyer_awarding(["300000", "200000"], ["250000", "250000"])
    # Its pounds are another currency: left out of the value share, counted.
    _contract(buyer, SupplierGroupFactory(), "5000000", currency="GBP", number_of_tenderers=5)
    flags = detect(db_session, "non_competitive_share")
    flag = flags[str(buyer.id)]
    assert flag.subject_type == SubjectType.buyer and flag.buyer_id == buyer.id
    assert flag.metrics["currency"] == "AMD" and flag.metrics["share"] == 0.5
    assert flag.metrics["uncompeted_contracts"] == 2 and flag.metrics["contracts"] == 5
    assert flag.metrics["other_currency_contracts"] == 1
    assert (
        flag.subject_label
        == f"{buyer.name} (by value in AMD; 1 contract in other currencies left out)"
    )


def test_a_buyer_just_under_half_is_not_flagged(db_session: Session) -> None:
    buyer = _buyer_awarding(["300000", "199999"], ["250000", "250001"])
    detect(db_session, "non_competitive_share")
    rows = coverage(db_session, "non_competitive_share", SubjectType.buyer)
    assert rows[str(buyer.id)].state == CoverageState.checked


def test_a_buyer_without_values_is_judged_by_number_of_contracts(db_session: Session) -> None:
    flagged = _buyer_awarding([None, None], [None, None])
    under = _buyer_awarding([None, None], [None, None, None])
    flags = {f.buyer_id: f for f in detect(db_session, "non_competitive_share").values()}
    assert flags[flagged.id].metrics["basis"] == "contracts"
    assert flags[flagged.id].metrics["share"] == 0.5
    assert under.id not in flags


def test_a_group_is_judged_in_its_own_currency(db_session: Session) -> None:
    group = SupplierGroupFactory()
    for method in ("direct award", "limited"):
        _contract(BuyerFactory(), group, "600", currency="AMD", procurement_method=method)
    _contract(BuyerFactory(), group, "1199", currency="AMD", number_of_tenderers=3)
    # Competed in pounds, far larger: another currency, so it cannot dilute the drams' share.
    _contract(BuyerFactory(), group, "10000000", currency="GBP", number_of_tenderers=3)
    flag = {
        f.group_id: f
        for f in detect(db_session, "non_competitive_share").values()
        if f.subject_type == SubjectType.supplier_group
    }[group.id]
    assert flag.metrics["currency"] == "AMD"
    assert flag.metrics["value"] == 2399 and flag.metrics["uncompeted_value"] == 1200
    assert flag.metrics["other_currency_contracts"] == 1


# Repeat awards in a publisher's own classification, valued in drams.


def test_repeat_awards_in_a_classification_market(db_session: Session) -> None:
    cls = ClassificationFactory(label="Office furniture")
    buyer, supplier = BuyerFactory(), SupplierFactory()
    for i in range(3):
        ContractFactory(
            buyer=buyer,
            supplier=supplier,
            cpv_code=None,
            classification=cls,
            procurement_method="direct award",
            award_date=datetime.date(2016 + i, 3, 1),
            value_amount=Decimal(1000),
            currency="AMD",
        )
    (flag,) = _flags(db_session, "repeat_awards", buyer_id=buyer.id)
    assert flag.market_key == f"cls-{cls.id}"
    assert flag.metrics["consecutive_awards"] == 3
    assert (flag.metrics["value"], flag.metrics["currency"]) == (3000, "AMD")
    assert "Office furniture" in flag.subject_label


def test_a_run_in_two_currencies_has_no_single_value(db_session: Session) -> None:
    buyer, supplier = BuyerFactory(), SupplierFactory()
    for i, currency in enumerate(("AMD", "GBP", "AMD")):
        ContractFactory(
            buyer=buyer,
            supplier=supplier,
            procurement_method="limited",
            award_date=datetime.date(2016 + i, 3, 1),
            currency=currency,
        )
    (flag,) = _flags(db_session, "repeat_awards", buyer_id=buyer.id)
    assert flag.metrics["value"] is None and flag.metrics["currencies"] == 2


# Aggregation opportunities in a publisher's own classification, spend in drams.


def _separate_buying(buyers: int, cls: Any) -> Any:
    supplier = SupplierFactory()
    separate_buying(supplier, cls, [1000 * (i + 1) for i in range(buyers)])
    return supplier


def test_aggregation_in_a_classification_market_sums_drams_only(db_session: Session) -> None:
    cls = ClassificationFactory(label="Printing services", scheme="CPV-AM")
    supplier = _separate_buying(4, cls)
    # One more buyer, in pounds: a buyer all the same, its spend left out and counted.
    ContractFactory(
        supplier=supplier,
        cpv_code=None,
        classification=cls,
        award_date=datetime.date(2017, 5, 1),
        value_amount=Decimal(10**6),
        currency="GBP",
    )
    flags = detect(db_session, "aggregation_opportunity", min_buyers=5)
    flag = flags[f"cls-{cls.id}/group-{supplier.group_id}"]
    m = flag.metrics
    assert (m["buyers"], m["buyers_with_value"]) == (5, 4)
    assert (m["total_value"], m["currency"], m["other_currency_contracts"]) == (10_000, "AMD", 1)
    assert m["median_buyer_value"] == 2500.0
    assert flag.subject_label.endswith("in Printing services")
    rows = coverage(db_session, "aggregation_opportunity")
    assert rows[f"cls-{cls.id}/group-{supplier.group_id}"].state == CoverageState.flagged


def test_aggregation_in_a_classification_market_below_the_minimum(db_session: Session) -> None:
    cls = ClassificationFactory(label="Printing services")
    supplier = _separate_buying(4, cls)
    assert detect(db_session, "aggregation_opportunity", min_buyers=5) == {}
    row = coverage(db_session, "aggregation_opportunity")[f"cls-{cls.id}/group-{supplier.group_id}"]
    assert row.state == CoverageState.not_applicable
    assert "Printing services" in row.subject_label
