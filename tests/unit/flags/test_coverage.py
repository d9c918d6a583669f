"""Coverage, not silence: each detector records every subject it examined as flagged, checked —
not flagged, or not applicable with the reason; brought into line with each run (only what
changed is written), stamped with the method version; when it was checked is the latest run's."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.flags import coverage as registry_coverage
from registry.flags import detectors as registry_detectors
from registry.flags.coverage import coverage_counts
from registry.flags.detectors import load_settings
from registry.flags.models import CoverageState, DetectorCoverage, DetectorRunRecord, SubjectType
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
    # Every buyer-wide market is the buyer dependency detector's to judge.
    buyer_wide = [row for key, row in rows.items() if key.startswith("buyer-")]
    assert len(buyer_wide) == 26  # each contract of `market` has a buyer of its own
    assert {(row.state, row.reason) for row in buyer_wide} == {
        (
            CoverageState.not_applicable,
            "a buyer-wide market: judged by the buyer dependency detector",
        )
    }
    assert {row.method_version for row in rows.values()} == {"2"}


def test_market_without_values_is_checked_by_buyers_only(db_session: Session) -> None:
    market({name: 1 for name in "ABCDEF"}, cpv="72500000", value=None)
    detect(db_session, "market_concentration")
    row = coverage(db_session, "market_concentration")["cpv-72500"]
    assert row.state == CoverageState.checked
    assert row.reason == "no contract values in this market: judged by number of buyers only"


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
    rows = coverage(db_session, "non_competitive_share", SubjectType.supplier_group)
    assert rows[str(flagged.group_id)].state == CoverageState.flagged
    assert rows[str(checked.group_id)].state == CoverageState.checked
    assert rows[str(small.group_id)].state == CoverageState.not_applicable
    assert rows[str(small.group_id)].reason == "fewer than 3 contracts"
    # Without values a group is judged by number of contracts (all three competed here).
    assert rows[str(unvalued.group_id)].state == CoverageState.checked
    assert rows[str(unvalued.group_id)].reason == (
        "judged by number of contracts: fewer than 3 have a value in one currency"
    )


def test_extension_creep_notes_what_it_could_not_check(db_session: Session) -> None:
    dated = ContractFactory()
    undated = ContractFactory(original_end_date=None)
    detect(db_session, "extension_creep")
    rows = coverage(db_session, "extension_creep")
    assert rows[str(dated.id)].state == CoverageState.checked
    assert rows[str(dated.id)].reason is None
    assert rows[str(undated.id)].state == CoverageState.checked
    assert "only the extensions were counted" in (rows[str(undated.id)].reason or "")


def test_a_first_run_and_a_later_one_record_the_same_coverage(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A first run writes the subjects its selects name straight into detector_coverage; later
    # runs stage them and compare. Both must record the same states, reasons and labels, with
    # the flagged subject once, as flagged.
    creeping = ContractFactory(
        start_date=datetime.date(2020, 1, 1),
        original_end_date=datetime.date(2021, 1, 1),
        end_date=datetime.date(2023, 1, 1),
    )
    ContractFactory()
    ContractFactory(original_end_date=None)
    first = _at(monkeypatch, 9)
    detect(db_session, "extension_creep")
    rows = coverage(db_session, "extension_creep")
    assert rows[str(creeping.id)].state == CoverageState.flagged
    recorded = {key: (r.state, r.reason, r.subject_label) for key, r in rows.items()}
    assert len(recorded) == 3

    _at(monkeypatch, 10)
    detect(db_session, "extension_creep")
    again = coverage(db_session, "extension_creep")
    assert {key: (r.state, r.reason, r.subject_label) for key, r in again.items()} == recorded
    assert {r.changed_at for r in again.values()} == {first}  # nothing rewritten
    runs = db_session.execute(
        sa.select(DetectorRunRecord).where(DetectorRunRecord.detector == "extension_creep")
    ).scalars()
    assert [(r.flagged, r.checked, r.not_applicable) for r in runs] == [(1, 2, 0), (1, 2, 0)]


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


def _at(monkeypatch: pytest.MonkeyPatch, hour: int) -> datetime.datetime:
    """Runs from now on happen at this hour (of a fixed day), for the coverage's clock."""
    when = datetime.datetime(2026, 1, 1, hour, tzinfo=datetime.UTC)
    monkeypatch.setattr(registry_coverage, "utcnow", lambda: when)
    return when


def test_coverage_applies_only_the_difference_between_runs(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = FrameworkFactory(cpv_codes=["48000000"])  # flagged both times: not rewritten
    fixed = FrameworkFactory(cpv_codes=["48000000"])  # flagged, then checked
    renamed = FrameworkFactory(cpv_codes=["45000000"])  # not applicable, its label changes
    gone = FrameworkFactory(cpv_codes=["45000000"])  # retracted: leaves the universe
    first = _at(monkeypatch, 9)
    detect(db_session, "proprietary_interfaces")
    before = coverage(db_session, "proprietary_interfaces")
    assert {key: row.changed_at for key, row in before.items()} == dict.fromkeys(before, first)

    ObligationFactory(framework=fixed, category=ObligationCategory.open_standards)
    renamed.title = "Renamed"
    gone.retracted_at = first
    new = FrameworkFactory(cpv_codes=["72000000"])  # new to the universe: flagged
    db_session.flush()
    second = _at(monkeypatch, 10)
    detect(db_session, "proprietary_interfaces")
    db_session.expire_all()
    after = coverage(db_session, "proprietary_interfaces")

    assert set(after) == {kept.reference, fixed.reference, renamed.reference, new.reference}
    assert after[kept.reference].id == before[kept.reference].id
    assert after[kept.reference].changed_at == first  # unchanged: not rewritten
    assert after[fixed.reference].id == before[fixed.reference].id
    assert after[fixed.reference].state == CoverageState.checked
    assert after[fixed.reference].changed_at == second
    assert after[renamed.reference].subject_label == f"{renamed.reference}: Renamed"
    assert after[renamed.reference].state == CoverageState.not_applicable
    assert after[renamed.reference].changed_at == second
    assert after[new.reference].state == CoverageState.flagged
    assert after[new.reference].changed_at == second

    # When the subjects were checked is the latest run's time, with its counts.
    counts = coverage_counts(db_session)["proprietary_interfaces"]
    assert counts.checked_at == second
    assert (counts.flagged, counts.checked, counts.not_applicable) == (2, 1, 1)
    runs = db_session.execute(
        sa.select(DetectorRunRecord.run_at).where(
            DetectorRunRecord.detector == "proprietary_interfaces"
        )
    ).scalars()
    assert sorted(runs) == [first, second]


def test_a_new_method_version_restamps_every_row(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    FrameworkFactory(cpv_codes=["48000000"])
    FrameworkFactory(cpv_codes=["45000000"])
    _at(monkeypatch, 9)
    detect(db_session, "proprietary_interfaces")
    old = registry_detectors.DETECTORS["proprietary_interfaces"]
    monkeypatch.setitem(
        registry_detectors.DETECTORS,
        "proprietary_interfaces",
        dataclasses.replace(old, version="2"),
    )
    later = _at(monkeypatch, 11)
    detect(db_session, "proprietary_interfaces")
    db_session.expire_all()
    rows = coverage(db_session, "proprietary_interfaces").values()
    assert {(row.method_version, row.changed_at) for row in rows} == {("2", later)}
    assert coverage_counts(db_session)["proprietary_interfaces"].method_version == "2"


def test_coverage_of_one_detector_leaves_the_others_alone(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    FrameworkFactory(cpv_codes=["48000000"], end_date=datetime.date(2030, 1, 1))
    first = _at(monkeypatch, 9)
    run_detection(db_session, load_settings({}), ["proprietary_interfaces", "over_long_framework"])
    _at(monkeypatch, 10)
    detect(db_session, "proprietary_interfaces")
    db_session.expire_all()
    other = coverage(db_session, "over_long_framework")
    assert [row.changed_at for row in other.values()] == [first]
    assert coverage_counts(db_session)["over_long_framework"].checked_at == first
    total = db_session.execute(sa.select(sa.func.count()).select_from(DetectorCoverage))
    assert total.scalar_one() == 2
