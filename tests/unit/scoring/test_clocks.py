"""Assessment clocks (registry.scoring.clocks.services): which KPIs a contract has, when each is due and
why, the states, and a buyer's on-time rate; computed in SQL on the test database."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.frameworks.models import KPIDirection
from registry.scoring.assessments.models import AssessmentStatus
from registry.scoring.clocks import rules
from registry.scoring.clocks.services import Clock, Scope, clocks, on_time
from registry.scoring.remedies.models import BreachKind
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    LotFactory,
    ObligationFactory,
    SupplierFactory,
)
from tests.common.db.scoring import AssessmentFactory, BreachFactory

D = datetime.date
AS_OF = D(2027, 6, 1)
GRACE = datetime.timedelta(days=rules.PERIOD_DAYS + rules.RECORDING_DAYS)
DAYS_30 = datetime.timedelta(days=30)


def _utc(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


@pytest.fixture
def world(db_session: Session) -> dict[str, Any]:
    lot = LotFactory.create(number="1")
    other_lot = LotFactory.create(framework=lot.framework, number="2")
    supplier = SupplierFactory.create()
    kpi = {"kpi_target": Decimal("99.5"), "kpi_direction": KPIDirection.higher_is_better}
    availability = ObligationFactory.create(framework=lot.framework, title="Availability", **kpi)
    response = ObligationFactory.create(
        framework=lot.framework, lot=lot, title="Lot 1 response", **kpi
    )
    # None of these is a KPI of the contract below.
    ObligationFactory.create(framework=lot.framework, title="No target")
    ObligationFactory.create(framework=lot.framework, lot=other_lot, title="Lot 2 only", **kpi)
    ObligationFactory.create(
        framework=lot.framework, supplier=SupplierFactory.create(), title="Theirs", **kpi
    )
    buyer = BuyerFactory.create()
    contract = ContractFactory.create(
        buyer=buyer, supplier=supplier, lot=lot, start_date=D(2026, 1, 1), end_date=D(2029, 1, 1)
    )
    return {
        "buyer": buyer,
        "contract": contract,
        "availability": availability,
        "response": response,
    }


def _by_kpi(
    db: Session, contract: Contract, as_of: datetime.date = AS_OF, **kw: Any
) -> dict[str, Clock]:
    return {c.kpi: c for c in clocks(db, Scope(contract_id=contract.id, **kw), as_of)}


def _assess(world: dict[str, Any], obligation: str, start: D, end: D, **kw: Any) -> Any:
    o = world[obligation]
    kw.setdefault("submitted_at", _utc(end + datetime.timedelta(days=10)))
    return AssessmentFactory.create(
        contract=world["contract"],
        kpi=o.title,
        obligation_id=o.id,
        period_start=start,
        period_end=end,
        **kw,
    )


def test_a_contracts_kpis_come_from_its_frameworks_obligations_with_targets(
    db_session: Session, world: dict[str, Any]
) -> None:
    found = _by_kpi(db_session, world["contract"])
    assert sorted(found) == ["Availability", "Lot 1 response"]
    clock = found["Availability"]
    # Never assessed: 12 months from the start, plus 30 days to record it.
    assert clock.due == D(2026, 1, 1) + GRACE
    assert (clock.state, clock.label, clock.due_reason) == ("overdue", "Not assessed", "periodic")
    assert clock.last_assessment_id is None
    assert clock.days_overdue(AS_OF) == (AS_OF - D(2026, 1, 1) - GRACE).days


def test_the_last_assessment_restarts_the_clock_public_figures_count_published_only(
    db_session: Session, world: dict[str, Any]
) -> None:
    published = _assess(world, "availability", D(2026, 1, 1), D(2026, 6, 30))
    _assess(
        world,
        "response",
        D(2026, 1, 1),
        D(2026, 12, 31),
        status=AssessmentStatus.submitted,  # under review
    )
    AssessmentFactory.create(  # a KPI of the contract's own, not a framework obligation
        contract=world["contract"],
        kpi="Help desk",
        period_start=D(2026, 1, 1),
        period_end=D(2026, 5, 20),
    )
    public = _by_kpi(db_session, world["contract"])
    assert sorted(public) == ["Availability", "Help desk", "Lot 1 response"]
    availability = public["Availability"]
    assert availability.last_assessment_id == published.id
    assert availability.due == D(2026, 6, 30) + GRACE  # 29 July 2024
    assert availability.state == "scheduled"
    assert public["Help desk"].due == D(2026, 5, 20) + GRACE  # 18 June 2024
    assert public["Help desk"].state == "due_soon"
    assert public["Lot 1 response"].state == "overdue"  # its assessment is not yet published
    auditors = _by_kpi(db_session, world["contract"], published_only=False)
    assert auditors["Lot 1 response"].last_period_end == D(2026, 12, 31)
    assert auditors["Lot 1 response"].state == "scheduled"


def test_a_breach_after_the_last_period_brings_the_due_date_forward(
    db_session: Session, world: dict[str, Any]
) -> None:
    contract = world["contract"]
    _assess(world, "availability", D(2026, 1, 1), D(2026, 12, 31))
    for day in (D(2026, 11, 1), D(2027, 2, 10)):  # the first is already covered
        BreachFactory.create(
            supplier_id=contract.supplier_id, contract_id=contract.id, occurred_on=day
        )
    clock = _by_kpi(db_session, contract)["Availability"]
    assert (clock.due, clock.due_reason, clock.state) == (
        D(2027, 2, 10) + DAYS_30,
        "breach",
        "overdue",
    )
    assert "breach" in clock.reason_label


def test_termination_sets_the_last_due_date_and_the_final_assessment_stops_the_clock(
    db_session: Session, world: dict[str, Any]
) -> None:
    contract = world["contract"]
    BreachFactory.create(
        kind=BreachKind.termination,
        supplier_id=contract.supplier_id,
        contract_id=contract.id,
        occurred_on=D(2026, 9, 30),
    )
    before = _by_kpi(db_session, contract)["Availability"]
    assert (before.due, before.due_reason) == (D(2026, 9, 30) + DAYS_30, "termination")
    assert before.end_date == D(2026, 9, 30)
    _assess(world, "availability", D(2026, 1, 1), D(2026, 9, 30))
    after = _by_kpi(db_session, contract)["Availability"]
    assert (after.state, after.label, after.due) == ("complete", "Final assessment done", None)


def test_a_contract_without_a_start_date_cannot_be_computed(
    db_session: Session, world: dict[str, Any]
) -> None:
    contract = ContractFactory.create(lot=world["contract"].lot, start_date=None, end_date=None)
    clock = _by_kpi(db_session, contract)["Availability"]
    assert (clock.state, clock.due) == ("cannot_compute", None)
    assert clock.label == "Cannot compute — start date missing"


def test_on_time_rate_counts_submissions_by_their_due_date_and_overdue_kpis(
    db_session: Session, world: dict[str, Any]
) -> None:
    # Due 31 Jan 2027 (start + 12 months + 30 days): on time. Then due 30 Jan 2028: late.
    _assess(
        world, "availability", D(2026, 1, 1), D(2026, 12, 31), submitted_at=_utc(D(2027, 1, 20))
    )
    _assess(world, "availability", D(2027, 1, 1), D(2027, 12, 31), submitted_at=_utc(D(2028, 3, 1)))
    # Lot 1 response was never assessed: one KPI overdue.
    record = on_time(db_session, Scope(buyer_id=world["buyer"].id), D(2028, 3, 2))
    assert (record.submitted, record.on_time, record.overdue) == (2, 1, 1)
    assert record.due == 3 and record.rate == pytest.approx(1 / 3)
    nothing = on_time(db_session, Scope(buyer_id=BuyerFactory.create().id), AS_OF)
    assert nothing.due == 0 and nothing.rate is None


def test_the_supplier_summary_statement_is_built_once_and_bound_per_supplier(
    db_session: Session, world: dict[str, Any]
) -> None:
    """summaries.state_summary builds its statement once per scope shape and day (issue 8)
    and binds the supplier when it runs: each supplier still gets its own clocks, the same ones
    the statement built for that supplier alone finds."""
    from registry.scoring.clocks import summaries

    other = ContractFactory.create(
        supplier=SupplierFactory.create(),
        lot=world["contract"].lot,
        start_date=D(2027, 1, 1),
        end_date=D(2029, 1, 1),
    )
    _assess(world, "availability", D(2026, 1, 1), D(2026, 6, 30))
    summaries._summary_statement.cache_clear()
    found = {}
    for contract in (world["contract"], other):
        scope = Scope(supplier_id=contract.supplier_id)
        totals, overdue = summaries.state_summary(db_session, scope, AS_OF, rules.OVERDUE, 10)
        assert totals == summaries.state_totals(db_session, scope, AS_OF)
        assert {c.contract_id for c in overdue.items} <= {contract.id}
        found[contract.id] = totals
    assert summaries._summary_statement.cache_info().misses == 1  # one shape, built once
    assert found[world["contract"].id] == {
        **dict.fromkeys(rules.STATE_LABELS, 0),
        "overdue": 1,
        "scheduled": 1,
    }
    assert found[other.id] == {**dict.fromkeys(rules.STATE_LABELS, 0), "scheduled": 2}
