"""Each detector at its threshold: just below (or, for strict rules, at) raises nothing; at or
just above raises a flag. Real database, factory data, default thresholds unless said."""

from __future__ import annotations

import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from registry.contracts.models import ContractExtension
from registry.flags.models import Flag
from registry.frameworks.models import ObligationCategory
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    ObligationFactory,
    SupplierFactory,
    SupplierGroupFactory,
)
from tests.common.db.flags import award_run, detect, market

MARKET = "cpv-48814"


# Market concentration: HHI > 1,800 (strictly, as the 2023 Merger Guidelines say).


def test_concentration_at_1800_is_not_flagged(db_session: Session) -> None:
    # Buyers 2,2,2,2,1,1 of 10: 4 x 400 + 2 x 100 = 1,800 exactly.
    market({"A": 2, "B": 2, "C": 2, "D": 2, "E": 1, "F": 1})
    assert MARKET not in detect(db_session, "market_concentration")


def test_concentration_above_1800_is_flagged_with_its_numbers(db_session: Session) -> None:
    # Buyers 3,2,2,1,1,1 of 10: 900 + 2 x 400 + 3 x 100 = 2,000.
    market({"A": 3, "B": 2, "C": 2, "D": 1, "E": 1, "F": 1})
    flag = detect(db_session, "market_concentration")[MARKET]
    assert flag.metrics["hhi"] == 2000.0
    assert flag.metrics["basis"] == "buyers"
    assert (flag.metrics["cr1"], flag.metrics["cr2"], flag.metrics["cr4"]) == (0.3, 0.5, 0.8)
    assert flag.metrics["market"] == MARKET
    assert flag.market_key == MARKET


def test_concentration_threshold_comes_from_the_settings(db_session: Session) -> None:
    market({"A": 3, "B": 2, "C": 2, "D": 1, "E": 1, "F": 1})
    assert MARKET not in detect(db_session, "market_concentration", hhi_threshold=2000)
    assert MARKET in detect(db_session, "market_concentration", hhi_threshold=1999.9)


def test_concentration_by_value_counts_pounds_only(db_session: Session) -> None:
    # Ten groups, one buyer each, but by value one group holds half.
    groups = market({name: 1 for name in "ABCDEFGHIJ"}, value=Decimal(100))
    ContractFactory(
        supplier=SupplierFactory(group=groups["A"]), cpv_code="48814000", value_amount=Decimal(800)
    )
    # A huge contract in euros and one without a value must not count towards value shares.
    ContractFactory(
        supplier=SupplierFactory(group=groups["B"]),
        cpv_code="48814000",
        value_amount=Decimal(10**9),
        currency="EUR",
    )
    ContractFactory(
        supplier=SupplierFactory(group=groups["C"]), cpv_code="48814000", value_amount=None
    )
    flag = detect(db_session, "market_concentration")[MARKET]
    assert flag.metrics["basis"] == "value"
    # A: 900 of 1,800 (50%); nine others 100 each (1/18): 2,500 + 9 x (100/18)^2.
    assert flag.metrics["hhi"] == 2777.8
    assert flag.metrics["cr1"] == 0.5
    assert flag.metrics["excluded_from_value"] == 2
    assert flag.metrics["other_basis"]["basis"] == "buyers"


def test_small_markets_are_not_judged(db_session: Session) -> None:
    market({"A": 4})
    assert MARKET not in detect(db_session, "market_concentration")
    assert MARKET in detect(db_session, "market_concentration", min_contracts=4)


def test_drafts_and_retracted_contracts_do_not_count(db_session: Session) -> None:
    market({"A": 2, "B": 2, "C": 2, "D": 2, "E": 1, "F": 1})
    supplier = SupplierFactory(group=SupplierGroupFactory(name="Z"))
    ContractFactory.create_batch(5, supplier=supplier, cpv_code="48814000", publication="draft")
    ContractFactory.create_batch(
        5,
        supplier=supplier,
        cpv_code="48814000",
        retracted_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
        retraction_reason="error",
    )
    assert MARKET not in detect(db_session, "market_concentration")


# Monopoly or duopoly: one group >= 50%, or the top two >= 80% with each >= 20%.


def test_one_group_just_under_half_is_not_flagged(db_session: Session) -> None:
    market({"A": 4, "B": 1, "C": 1, "D": 1, "E": 1, "F": 1, "G": 1})
    assert MARKET not in detect(db_session, "monopoly_duopoly")


def test_one_group_with_half_is_a_monopoly(db_session: Session) -> None:
    market({"A": 5, "B": 1, "C": 1, "D": 1, "E": 1, "F": 1})
    flag = detect(db_session, "monopoly_duopoly")[MARKET]
    assert flag.metrics["pattern"] == "monopoly"
    assert flag.metrics["holders"] == ["A"]


def test_two_groups_just_under_four_fifths_are_not_flagged(db_session: Session) -> None:
    market({"A": 4, "B": 3, "C": 1, "D": 1, "E": 1})
    assert MARKET not in detect(db_session, "monopoly_duopoly")


def test_two_groups_with_four_fifths_are_a_duopoly(db_session: Session) -> None:
    market({"A": 4, "B": 4, "C": 1, "D": 1})
    flag = detect(db_session, "monopoly_duopoly")[MARKET]
    assert flag.metrics["pattern"] == "duopoly"
    assert flag.metrics["holders"] == ["A", "B"]
    assert flag.metrics["holders_share"] == 0.8


def test_a_second_group_under_a_fifth_makes_no_duopoly(db_session: Session) -> None:
    market({"A": 7, "B": 1, "C": 1, "D": 1})
    assert detect(db_session, "monopoly_duopoly")[MARKET].metrics["pattern"] == "monopoly"


def test_gpsoc_shares_are_a_duopoly_of_emis_and_tpp(db_session: Session) -> None:
    market({"EMIS": 56, "TPP": 34, "Vision": 9, "Microtest": 1})
    duopoly = detect(db_session, "monopoly_duopoly")[MARKET]
    assert duopoly.metrics["pattern"] == "duopoly"
    assert duopoly.metrics["holders"] == ["EMIS", "TPP"]
    concentration = detect(db_session, "market_concentration")[MARKET]
    assert concentration.metrics["hhi"] == 4374.0


# Buyer dependency: one group >= 80% of a buyer's spend in a market.


def _spend(buyer: object, a: str, b: str) -> None:
    group_a, group_b = SupplierGroupFactory(), SupplierGroupFactory()
    ContractFactory(buyer=buyer, supplier=SupplierFactory(group=group_a), value_amount=Decimal(a))
    ContractFactory(buyer=buyer, supplier=SupplierFactory(group=group_b), value_amount=Decimal(b))


def test_buyer_spending_just_under_four_fifths_with_one_group_is_not_flagged(
    db_session: Session,
) -> None:
    buyer = BuyerFactory()
    _spend(buyer, "79.99", "20.01")
    assert not [
        f for f in detect(db_session, "buyer_dependency").values() if f.buyer_id == buyer.id
    ]


def test_buyer_spending_four_fifths_with_one_group_is_flagged(db_session: Session) -> None:
    buyer = BuyerFactory()
    _spend(buyer, "80.00", "20.00")
    (flag,) = [f for f in detect(db_session, "buyer_dependency").values() if f.buyer_id == buyer.id]
    assert flag.metrics["share"] == 0.8
    assert flag.metrics["buyer_contracts"] == 2
    assert flag.market_key == "cpv-48000"


# Repeat awards: >= 3 consecutive awards to one group without open competition.


def _run(db: Session, methods: list[str]) -> dict[str, Flag]:
    buyer, supplier = BuyerFactory(), SupplierFactory()
    award_run(buyer, supplier, methods)
    return {k: f for k, f in detect(db, "repeat_awards").items() if f.buyer_id == buyer.id}


def test_two_direct_awards_are_not_flagged(db_session: Session) -> None:
    flags = _run(db_session, ["direct award", "direct award", "open", "direct award"])
    assert flags == {}


def test_three_consecutive_direct_awards_are_flagged(db_session: Session) -> None:
    flags = _run(db_session, ["open", "direct award", "limited", "direct award"])
    (flag,) = flags.values()
    assert flag.metrics["consecutive_awards"] == 3
    assert flag.metrics["first_award"] == "2016-03-01"


def test_of_two_runs_as_long_the_flag_shows_the_latest(db_session: Session) -> None:
    # Two runs of three, broken by an open competition: the flag shows the later run, whatever
    # order the database returns them in (which once hung on the plan).
    methods = ["direct award"] * 3 + ["open"] + ["limited"] * 3
    (flag,) = _run(db_session, methods).values()
    assert flag.metrics["consecutive_awards"] == 3
    assert (flag.metrics["first_award"], flag.metrics["last_award"]) == ("2019-03-01", "2021-03-01")


def test_an_award_to_another_group_breaks_the_run(db_session: Session) -> None:
    buyer, supplier = BuyerFactory(), SupplierFactory()
    award_run(buyer, supplier, ["direct award", "direct award"])
    ContractFactory(
        buyer=buyer,
        cpv_code="72200000",
        procurement_method="direct award",
        award_date=datetime.date(2017, 6, 1),
    )
    ContractFactory(
        buyer=buyer,
        supplier=supplier,
        cpv_code="72200000",
        procurement_method="direct award",
        award_date=datetime.date(2018, 1, 1),
    )
    assert not [f for f in detect(db_session, "repeat_awards").values() if f.buyer_id == buyer.id]


def test_awards_in_another_market_do_not_break_the_run(db_session: Session) -> None:
    # Only a buyer's markets with enough uncompeted awards to one group are put in order; the
    # buyer's other markets, however busy, neither break nor make a run.
    buyer, supplier = BuyerFactory(), SupplierFactory()
    award_run(buyer, supplier, ["direct award"] * 3)
    for year in (2015, 2016, 2017):
        ContractFactory(
            buyer=buyer,
            cpv_code="48000000",
            procurement_method="direct award",
            award_date=datetime.date(year, 6, 1),
        )
    flags = [f for f in detect(db_session, "repeat_awards").values() if f.buyer_id == buyer.id]
    (flag,) = flags
    assert flag.market_key == "cpv-72200" and flag.metrics["consecutive_awards"] == 3


# Non-competitive share: >= 50% of a group's value from uncompeted awards or single bids.


def _group_with(direct: str, single_bid: str, competed: str) -> object:
    supplier = SupplierFactory()
    ContractFactory(
        supplier=supplier, value_amount=Decimal(direct), procurement_method="direct award"
    )
    ContractFactory(supplier=supplier, value_amount=Decimal(single_bid), number_of_tenderers=1)
    ContractFactory(supplier=supplier, value_amount=Decimal(competed), number_of_tenderers=4)
    return supplier.group


def test_group_just_under_half_uncompeted_is_not_flagged(db_session: Session) -> None:
    group = _group_with("25.00", "24.99", "50.01")
    assert str(group.id) not in detect(db_session, "non_competitive_share")


def test_group_with_half_uncompeted_is_flagged(db_session: Session) -> None:
    group = _group_with("25.00", "25.00", "50.00")
    flag = detect(db_session, "non_competitive_share")[str(group.id)]
    assert flag.metrics["share"] == 0.5
    assert flag.metrics["uncompeted_contracts"] == 2


# Extension creep: end moved > 50% of the term beyond the original end, or >= 2 extensions.


def _contract(end: datetime.date, extensions: int = 0) -> object:
    contract = ContractFactory(
        start_date=datetime.date(2020, 1, 1),
        original_end_date=datetime.date(2022, 1, 1),  # a term of 731 days
        end_date=end,
    )
    for i in range(extensions):
        contract.extensions.append(
            ContractExtension(extended_on=datetime.date(2021, 6, 1 + i), new_end_date=end)
        )
    return contract


def test_overrun_of_half_the_term_is_not_flagged(db_session: Session) -> None:
    contract = _contract(datetime.date(2022, 1, 1) + datetime.timedelta(days=365), extensions=1)
    db_session.flush()
    assert str(contract.id) not in detect(db_session, "extension_creep")


def test_overrun_of_more_than_half_the_term_is_flagged(db_session: Session) -> None:
    contract = _contract(datetime.date(2022, 1, 1) + datetime.timedelta(days=366))
    flag = detect(db_session, "extension_creep")[str(contract.id)]
    assert flag.metrics["term_days"] == 731
    assert flag.metrics["overrun_days"] == 366
    assert flag.contract_id == contract.id


def test_two_extensions_are_flagged(db_session: Session) -> None:
    contract = _contract(datetime.date(2022, 3, 1), extensions=2)
    db_session.flush()
    assert detect(db_session, "extension_creep")[str(contract.id)].metrics["extensions"] == 2


# Over-long framework: a term over four years.


def test_four_year_framework_is_not_flagged(db_session: Session) -> None:
    framework = FrameworkFactory(
        start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2024, 1, 1), max_term_months=48
    )
    assert framework.reference not in detect(db_session, "over_long_framework")


def test_framework_a_day_over_four_years_is_flagged(db_session: Session) -> None:
    framework = FrameworkFactory(
        start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2024, 1, 2)
    )
    flag = detect(db_session, "over_long_framework")[framework.reference]
    assert flag.metrics["term_days"] == 1462


def test_framework_extended_or_allowed_beyond_four_years_is_flagged(db_session: Session) -> None:
    extended = FrameworkFactory(extended_end_date=datetime.date(2026, 1, 1))
    allowed = FrameworkFactory(max_term_months=49)
    flags = detect(db_session, "over_long_framework")
    assert extended.reference in flags and allowed.reference in flags


# Missing exit or portability obligations.


def test_framework_with_exit_and_portability_obligations_is_not_flagged(
    db_session: Session,
) -> None:
    framework = FrameworkFactory()
    ObligationFactory(framework=framework, category=ObligationCategory.exit_plan)
    ObligationFactory(framework=framework, category=ObligationCategory.data_portability)
    assert framework.reference not in detect(db_session, "missing_exit_portability")


def test_framework_without_a_portability_obligation_is_flagged(db_session: Session) -> None:
    framework = FrameworkFactory()
    ObligationFactory(framework=framework, category=ObligationCategory.exit_plan)
    # An obligation on one supplier only does not bind the framework's others.
    ObligationFactory(
        framework=framework,
        category=ObligationCategory.data_portability,
        supplier=SupplierFactory(),
    )
    flag = detect(db_session, "missing_exit_portability")[framework.reference]
    assert flag.metrics["missing"] == ["data portability"]


def test_large_contract_outside_any_framework_is_flagged(db_session: Session) -> None:
    below = ContractFactory(value_amount=Decimal("4999999.99"))
    at = ContractFactory(value_amount=Decimal("5000000.00"))
    on_lot = ContractFactory(value_amount=Decimal("9000000.00"), lot=LotFactory())
    flags = detect(db_session, "missing_exit_portability")
    assert str(at.id) in flags
    assert str(below.id) not in flags and str(on_lot.id) not in flags


# Proprietary interfaces: an IT framework without an open-standard interoperability obligation.


def test_it_framework_with_an_open_standard_obligation_is_not_flagged(db_session: Session) -> None:
    framework = FrameworkFactory(cpv_codes=["72000000"])
    ObligationFactory(
        framework=framework,
        category=ObligationCategory.interoperability,
        standard_reference="GP Connect",
    )
    assert framework.reference not in detect(db_session, "proprietary_interfaces")


def test_it_framework_without_one_is_flagged_and_other_frameworks_are_not(
    db_session: Session,
) -> None:
    it = FrameworkFactory(cpv_codes=["85100000", "48814000"])
    ObligationFactory(
        framework=it, category=ObligationCategory.interoperability, standard_reference=""
    )
    care = FrameworkFactory(cpv_codes=["85100000"])
    flags = detect(db_session, "proprietary_interfaces")
    assert flags[it.reference].metrics["open_standard_obligations"] == 0
    assert care.reference not in flags
