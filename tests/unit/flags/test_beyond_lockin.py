"""The issue 10 detectors at their thresholds (just below or at: nothing; at or just over: a
flag), on the real database with factory data: aggregation opportunities, end of support and
closed framework lots."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from pyramid.exceptions import ConfigurationError
from sqlalchemy.orm import Session

from registry import clock
from registry.buyers.models import BuyerType
from registry.flags.detectors import load_settings
from registry.flags.models import CoverageState
from registry.frameworks.models import FrameworkStatus, MembershipStatus, ObligationCategory
from registry.products.models import SupportCover
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    ObligationFactory,
    SupplierFactory,
    SupplierGroupFactory,
)
from tests.common.db.flags import coverage, detect
from tests.common.db.products import (
    ContractProductFactory,
    ProductFactory,
    ProductObligationFactory,
)

TODAY = clock.today()

# Aggregation opportunity: at least N buyers (default 20) buy one group's products separately.


def _separate_buyers(count: int, **contract: object) -> tuple[object, list[object]]:
    supplier = SupplierFactory(name="Microsoft Limited")
    spends = [Decimal(1000 * (i + 1)) for i in range(count)]
    contracts = [
        ContractFactory(
            supplier=supplier,
            cpv_code="48000000",
            award_date=datetime.date(2024, 3, 1),
            value_amount=spend,
            **contract,
        )
        for spend in spends
    ]
    return supplier, contracts


def test_aggregation_just_below_the_minimum_is_not_flagged(db_session: Session) -> None:
    _separate_buyers(3)
    assert detect(db_session, "aggregation_opportunity", min_buyers=4) == {}


def test_aggregation_at_the_minimum_is_flagged_with_its_numbers(db_session: Session) -> None:
    supplier, contracts = _separate_buyers(4)
    # A national body's contract is the national route: not counted as separate buying.
    ContractFactory(
        supplier=supplier,
        cpv_code="48000000",
        award_date=datetime.date(2024, 5, 1),
        buyer=BuyerFactory(buyer_type=BuyerType.nhs_national),
        value_amount=Decimal(10**6),
    )
    ContractProductFactory(contract=contracts[0], unit_price=Decimal("10.00"), unit="per user")
    product = ContractProductFactory(
        contract=contracts[1], unit_price=Decimal("25.00"), unit="per user"
    ).product
    ContractProductFactory(
        contract=contracts[2], product=product, unit_price=Decimal("40.00"), unit="per user"
    )
    flags = detect(db_session, "aggregation_opportunity", min_buyers=4)
    key = f"cpv-48000/group-{supplier.group_id}"
    assert list(flags) == [key]
    m = flags[key].metrics
    assert (m["buyers"], m["contracts"], m["year"]) == (4, 4, 2024)
    assert m["total_value"] == 10_000.0
    assert m["median_buyer_value"] == 2500.0  # of 1,000, 2,000, 3,000 and 4,000
    spread = {p["product"]: p for p in m["price_spread"]}[product.name]
    assert (spread["lowest_unit_price"], spread["highest_unit_price"]) == (25.0, 40.0)
    assert spread["ratio"] == 1.6
    assert flags[key].group_id == supplier.group_id


def test_aggregation_counts_buyers_not_contracts(db_session: Session) -> None:
    supplier, contracts = _separate_buyers(3)
    ContractFactory(
        supplier=supplier,
        buyer=contracts[0].buyer,
        cpv_code="48000000",
        award_date=datetime.date(2024, 9, 1),
    )
    assert detect(db_session, "aggregation_opportunity", min_buyers=4) == {}


# End of support: more than `grace_days` past the last day of support, uncovered, on a live contract.


def _live_contract_on(support_end: datetime.date, **contract: object) -> object:
    product = ProductFactory(
        mainstream_support_end=support_end - datetime.timedelta(days=400),
        extended_support_end=support_end,
    )
    defaults = {
        "start_date": datetime.date(2010, 1, 1),
        "end_date": TODAY + datetime.timedelta(days=365),
    }
    contract_row = ContractFactory(**{**defaults, **contract})
    ContractProductFactory(contract=contract_row, product=product)
    return contract_row


def test_end_of_support_on_its_last_day_is_not_flagged(db_session: Session) -> None:
    _live_contract_on(TODAY)
    assert detect(db_session, "end_of_support") == {}


def test_end_of_support_a_day_later_is_flagged_with_the_days(db_session: Session) -> None:
    contract = _live_contract_on(TODAY - datetime.timedelta(days=1))
    (flag,) = detect(db_session, "end_of_support").values()
    assert flag.buyer_id == contract.buyer_id
    assert flag.metrics["days_past_support"] == 1
    assert flag.metrics["days_exposed"] == 1
    assert flag.metrics["support_kind"] == "extended"
    assert flag.severity == "medium"


def test_end_of_support_grace_days_from_the_settings(db_session: Session) -> None:
    _live_contract_on(TODAY - datetime.timedelta(days=30))
    assert detect(db_session, "end_of_support", grace_days=30) == {}
    assert len(detect(db_session, "end_of_support", grace_days=29)) == 1


def test_end_of_support_ignores_ended_contracts_and_covered_products(db_session: Session) -> None:
    _live_contract_on(datetime.date(2014, 4, 8), end_date=TODAY - datetime.timedelta(days=1))
    lot = LotFactory()
    covered = _live_contract_on(datetime.date(2014, 4, 8), lot=lot)
    obligation = ObligationFactory(
        framework=lot.framework, category=ObligationCategory.security, lot=None
    )
    ProductObligationFactory(
        product=_product_of(db_session, covered),
        obligation=obligation,
        cover=SupportCover.upgrade,
    )
    assert detect(db_session, "end_of_support") == {}


def _product_of(db: Session, contract: object) -> object:
    from registry.products.models import ContractProduct

    link = db.query(ContractProduct).filter_by(contract_id=contract.id).one()
    return link.product


# Closed framework lots: at most two active groups, or closed for more than four years.


def _lot(suppliers: int, joined: datetime.date, end: datetime.date) -> object:
    framework = FrameworkFactory(
        status=FrameworkStatus.expired, start_date=datetime.date(2010, 1, 1), end_date=end
    )
    lot = LotFactory(framework=framework, membership_complete=True)
    for _ in range(suppliers):
        MembershipFactory(lot=lot, start_date=joined, supplier=SupplierFactory())
    return lot


def test_closed_lot_with_three_groups_is_not_flagged(db_session: Session) -> None:
    _lot(3, datetime.date(2020, 1, 1), datetime.date(2021, 1, 1))
    assert detect(db_session, "closed_framework") == {}


def test_closed_lot_with_two_groups_is_flagged(db_session: Session) -> None:
    lot = _lot(2, datetime.date(2020, 1, 1), datetime.date(2021, 1, 1))
    (flag,) = detect(db_session, "closed_framework").values()
    assert flag.metrics["reasons"] == ["few active suppliers"]
    assert flag.metrics["active_groups"] == 2
    assert flag.framework_id == lot.framework_id
    assert flag.market_key == f"lot-{lot.id}"


def test_two_suppliers_of_one_group_count_once(db_session: Session) -> None:
    framework = FrameworkFactory(status=FrameworkStatus.live, end_date=datetime.date(2021, 1, 1))
    lot = LotFactory(framework=framework, membership_complete=True)
    group = SupplierGroupFactory()
    for _ in range(2):
        MembershipFactory(lot=lot, supplier=SupplierFactory(group=group))
    MembershipFactory(lot=lot, supplier=SupplierFactory())
    MembershipFactory(lot=lot, supplier=SupplierFactory(), status=MembershipStatus.removed)
    (flag,) = detect(db_session, "closed_framework").values()
    assert (flag.metrics["active_suppliers"], flag.metrics["active_groups"]) == (3, 2)


def test_closed_exactly_four_years_is_not_flagged(db_session: Session) -> None:
    # 1 January 2016 to 1 January 2020: 1,461 days, four times 365.25.
    _lot(3, datetime.date(2016, 1, 1), datetime.date(2020, 1, 1))
    assert detect(db_session, "closed_framework") == {}


def test_closed_a_day_over_four_years_is_flagged(db_session: Session) -> None:
    _lot(3, datetime.date(2016, 1, 1), datetime.date(2020, 1, 2))
    (flag,) = detect(db_session, "closed_framework").values()
    assert flag.metrics["reasons"] == ["closed to new suppliers too long"]
    assert flag.metrics["closed_days"] == 1462


def test_open_frameworks_are_not_judged(db_session: Session) -> None:
    framework = FrameworkFactory(status=FrameworkStatus.open)
    MembershipFactory(lot=LotFactory(framework=framework))
    assert detect(db_session, "closed_framework") == {}


# Coverage, not silence: every subject each detector examined, in one of the three states.

FLAGGED, CHECKED, NOT_APPLICABLE = (
    CoverageState.flagged,
    CoverageState.checked,
    CoverageState.not_applicable,
)


def _states(db: Session, detector_id: str, keys: dict[str, str]) -> dict[str, tuple[str, object]]:
    rows = coverage(db, detector_id)
    return {name: (rows[key].state, rows[key].reason) for name, key in keys.items()}


def test_aggregation_coverage_states(db_session: Session) -> None:
    flagged, _ = _separate_buyers(4)
    checked = SupplierFactory()  # four buyers, but never four in one year
    for year in (2023, 2023, 2024, 2024):
        ContractFactory(supplier=checked, cpv_code="72000000", award_date=datetime.date(year, 1, 1))
    few = SupplierFactory()
    lot = LotFactory()
    for _ in range(2):
        ContractFactory(
            supplier=few, cpv_code="30200000", award_date=datetime.date(2024, 6, 1), lot=lot
        )
    national = SupplierFactory()
    ContractFactory(
        supplier=national,
        cpv_code="79000000",
        award_date=datetime.date(2024, 1, 1),
        buyer=BuyerFactory(buyer_type=BuyerType.nhs_national),
    )
    detect(db_session, "aggregation_opportunity", min_buyers=4)
    states = _states(
        db_session,
        "aggregation_opportunity",
        {
            "flagged": f"cpv-48000/group-{flagged.group_id}",
            "checked": f"cpv-72000/group-{checked.group_id}",
            "few": f"cpv-30200/group-{few.group_id}",
            "few on the lot": f"lot-{lot.id}/group-{few.group_id}",
            "national": f"cpv-79000/group-{national.group_id}",
        },
    )
    assert states == {
        "flagged": (FLAGGED, None),
        "checked": (CHECKED, None),
        "few": (NOT_APPLICABLE, "fewer than 4 buyers since 2022"),
        "few on the lot": (NOT_APPLICABLE, "fewer than 4 buyers since 2022"),
        "national": (
            NOT_APPLICABLE,
            "national route: excluded (only NHS national bodies' contracts)",
        ),
    }
    label = coverage(db_session, "aggregation_opportunity")[f"lot-{lot.id}/group-{few.group_id}"]
    assert label.subject_label.endswith(
        f"in {lot.framework.reference} lot {lot.number}: {lot.title}"
    )


def test_end_of_support_coverage_states(db_session: Session) -> None:
    flagged = _live_contract_on(TODAY - datetime.timedelta(days=1))
    checked = _live_contract_on(TODAY + datetime.timedelta(days=1))
    ended = _live_contract_on(
        datetime.date(2014, 4, 8), end_date=TODAY - datetime.timedelta(days=1)
    )
    undated = ContractFactory(start_date=datetime.date(2010, 1, 1), end_date=None)
    ContractProductFactory(
        contract=undated,
        product=ProductFactory(mainstream_support_end=None, extended_support_end=None),
    )
    lot = LotFactory()
    covered = _live_contract_on(datetime.date(2014, 4, 8), lot=lot)
    ProductObligationFactory(
        product=_product_of(db_session, covered),
        obligation=ObligationFactory(framework=lot.framework, lot=None),
        cover=SupportCover.extended_support,
    )
    detect(db_session, "end_of_support")

    def key(contract: object) -> str:
        return f"{contract.buyer_id}/product-{_product_of(db_session, contract).id}"

    states = _states(
        db_session,
        "end_of_support",
        {
            name: key(contract)
            for name, contract in [
                ("flagged", flagged),
                ("checked", checked),
                ("ended", ended),
                ("undated", undated),
                ("covered", covered),
            ]
        },
    )
    assert states == {
        "flagged": (FLAGGED, None),
        "checked": (CHECKED, None),
        "ended": (NOT_APPLICABLE, "contract not live: ended, or not started yet"),
        "undated": (NOT_APPLICABLE, "no end-of-support date recorded for this product"),
        "covered": (NOT_APPLICABLE, "covered by an extended-support or upgrade obligation"),
    }


def test_closed_framework_coverage_states(db_session: Session) -> None:
    lots = {
        "flagged": _lot(2, datetime.date(2020, 1, 1), datetime.date(2021, 1, 1)),
        "checked": _lot(3, datetime.date(2020, 1, 1), datetime.date(2021, 1, 1)),
        "open": LotFactory(framework=FrameworkFactory(status=FrameworkStatus.open)),
        "empty": LotFactory(membership_complete=True),  # 2020 to 2024: four years, not more
        "empty, undated": LotFactory(
            framework=FrameworkFactory(start_date=None), membership_complete=True
        ),
    }
    detect(db_session, "closed_framework")
    keys = {name: f"{lot.framework.reference}/lot-{lot.number}" for name, lot in lots.items()}
    assert _states(db_session, "closed_framework", keys) == {
        "flagged": (FLAGGED, None),
        "checked": (CHECKED, None),
        "open": (NOT_APPLICABLE, "framework still open to applications"),
        "empty": (
            CHECKED,
            "no memberships recorded for this lot: only the time closed to new suppliers was "
            "checked",
        ),
        "empty, undated": (
            NOT_APPLICABLE,
            "no memberships recorded for this lot, and no start date for its framework",
        ),
    }
    label = coverage(db_session, "closed_framework")[keys["checked"]].subject_label
    assert (
        label
        == f"{lots['checked'].framework.reference} lot {lots['checked'].number}: {lots['checked'].title}"
    )


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("aggregation_opportunity.min_buyers", "1", "between 2 and 1000000"),
        ("end_of_support.grace_days", "-1", "between 0 and 3650"),
        ("closed_framework.max_closed_years", "0", "between 1 and 50"),
        ("closed_framework.max_active_suppliers", "two", "must be a whole number"),
    ],
)
def test_thresholds_out_of_range_are_configuration_errors(
    setting: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings({f"registry.detectors.{setting}": value})
