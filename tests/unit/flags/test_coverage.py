"""Coverage, not silence: each detector records every subject it examined as flagged, checked —
not flagged, or not applicable with the reason; replaced per run, stamped with the method version."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from registry.flags import detectors as registry_detectors
from registry.flags.detectors import load_settings
from registry.flags.models import CoverageState
from registry.flags.services import run_detection
from registry.frameworks.models import ObligationCategory
from tests.common.db.core import (
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    ObligationFactory,
    SupplierFactory,
)
from tests.common.db.flags import coverage, detect, market


def test_market_detector_states(db_session: Session) -> None:
    market({"A": 8, "B": 2}, cpv="48814000")  # 10 contracts, HHI 6,800: flagged
    market({"C": 3, "D": 3}, cpv="72200000")  # 6 contracts, HHI 5,000: flagged too
    market({"E": 2, "F": 2}, cpv="30200000")  # 4 contracts: too small to judge
    market({name: 1 for name in "GHIJKL"}, cpv="72500000")  # 6 groups, HHI 1,667: checked
    detect(db_session, "market_concentration")
    rows = coverage(db_session, "market_concentration")
    assert rows["cpv-48814"].state == CoverageState.flagged
    assert rows["cpv-72500"].state == CoverageState.checked
    assert rows["cpv-72500"].reason is None
    assert rows["cpv-30200"].state == CoverageState.not_applicable
    assert rows["cpv-30200"].reason == "fewer than 5 contracts (4)"
    assert {row.method_version for row in rows.values()} == {"1"}


def test_market_without_values_is_checked_by_buyers_only(db_session: Session) -> None:
    market({name: 1 for name in "ABCDEF"}, cpv="72500000", value=None)
    detect(db_session, "market_concentration")
    row = coverage(db_session, "market_concentration")["cpv-72500"]
    assert row.state == CoverageState.checked
    assert row.reason == (
        "no contract values in pounds in this market: judged by number of buyers only"
    )


def test_missing_exit_states_and_framework_call_offs_excluded(db_session: Session) -> None:
    covered = FrameworkFactory(reference="RM0001")
    for category in (ObligationCategory.exit_plan, ObligationCategory.data_portability):
        ObligationFactory(framework=covered, category=category)
    bare = FrameworkFactory(reference="RM0002")
    call_off = ContractFactory(lot=LotFactory(framework=covered), value_amount=Decimal(10**7))
    big = ContractFactory(value_amount=Decimal(10**7))
    small = ContractFactory(value_amount=Decimal(1000))
    euros = ContractFactory(value_amount=Decimal(10**7), currency="EUR")
    detect(db_session, "missing_exit_portability")
    rows = coverage(db_session, "missing_exit_portability")
    assert rows[bare.reference].state == CoverageState.flagged
    assert rows[str(big.id)].state == CoverageState.flagged
    assert rows[covered.reference].state == CoverageState.checked
    assert rows[str(call_off.id)].state == CoverageState.not_applicable
    assert rows[str(call_off.id)].reason.startswith("framework call-off: excluded")
    assert rows[str(small.id)].reason == "worth less than £5,000,000"
    assert rows[str(euros.id)].reason == "no value in pounds"


def test_non_competitive_share_states(db_session: Session) -> None:
    flagged, checked, small, unvalued = (SupplierFactory() for _ in range(4))
    for _ in range(3):
        ContractFactory(supplier=flagged, procurement_method="direct award")
        ContractFactory(supplier=checked)
        ContractFactory(supplier=unvalued, value_amount=None)
    ContractFactory(supplier=small, procurement_method="direct award")
    detect(db_session, "non_competitive_share")
    rows = coverage(db_session, "non_competitive_share")
    assert rows[str(flagged.group_id)].state == CoverageState.flagged
    assert rows[str(checked.group_id)].state == CoverageState.checked
    assert rows[str(small.group_id)].state == CoverageState.not_applicable
    assert rows[str(small.group_id)].reason == "fewer than 3 contracts"
    assert rows[str(unvalued.group_id)].reason == "no contract values in pounds"


def test_extension_creep_notes_what_it_could_not_check(db_session: Session) -> None:
    dated = ContractFactory()
    undated = ContractFactory(original_end_date=None)
    detect(db_session, "extension_creep")
    rows = coverage(db_session, "extension_creep")
    assert rows[str(dated.id)].state == CoverageState.checked
    assert rows[str(dated.id)].reason is None
    assert rows[str(undated.id)].state == CoverageState.checked
    assert "only the extensions were counted" in (rows[str(undated.id)].reason or "")


def test_proprietary_interfaces_non_it_framework_is_not_applicable(db_session: Session) -> None:
    it = FrameworkFactory(cpv_codes=["48000000"])
    other = FrameworkFactory(cpv_codes=["45000000"])
    detect(db_session, "proprietary_interfaces")
    rows = coverage(db_session, "proprietary_interfaces")
    assert rows[it.reference].state == CoverageState.flagged
    assert rows[other.reference].state == CoverageState.not_applicable


def test_coverage_is_replaced_each_run(db_session: Session) -> None:
    framework = FrameworkFactory(cpv_codes=["48000000"])
    detect(db_session, "proprietary_interfaces")
    detect(db_session, "proprietary_interfaces")
    assert len(coverage(db_session, "proprietary_interfaces")) == 1
    ObligationFactory(framework=framework, category=ObligationCategory.open_standards)
    detect(db_session, "proprietary_interfaces")
    row = coverage(db_session, "proprietary_interfaces")[framework.reference]
    assert row.state == CoverageState.checked


def test_a_detector_without_coverage_records_its_flags_only(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A detector written before coverage existed (no hook) still runs; its flags are recorded.
    old = registry_detectors.DETECTORS["over_long_framework"]
    bare = dataclasses.replace(old, coverage=None)
    monkeypatch.setitem(registry_detectors.DETECTORS, "over_long_framework", bare)
    long = FrameworkFactory(end_date=datetime.date(2030, 1, 1))
    FrameworkFactory()
    run_detection(db_session, load_settings({}), ["over_long_framework"])
    rows = coverage(db_session, "over_long_framework")
    assert list(rows) == [long.reference]
    assert rows[long.reference].state == CoverageState.flagged
