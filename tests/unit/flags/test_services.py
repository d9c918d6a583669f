"""Detection is idempotent, keeps people's decisions, and resolves flags whose pattern is gone."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.audit.services import events_for, verify_chain
from registry.contracts.models import Contract
from registry.flags.detectors import DETECTORS, Finding, load_settings
from registry.flags.models import CONDITION_CLEARED, Flag, FlagStatus, Severity, SubjectType
from registry.flags.services import (
    ANALYZE_AFTER,
    FlagError,
    apply_findings,
    change_status,
    flags_for,
    run_detection,
)
from registry.suppliers.models import Supplier
from tests.common.db.core import ContractFactory, FrameworkFactory, SupplierFactory
from tests.common.db.flags import market


def _state(db: Session) -> list[tuple[Any, ...]]:
    flags = db.execute(sa.select(Flag).order_by(Flag.id)).scalars()
    return [
        (f.id, f.detector, f.subject_key, f.status, f.severity, f.metrics, f.first_detected)
        for f in flags
    ]


def _audit_count(db: Session) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()


def _scenario() -> dict[str, Any]:
    groups = market({"A": 6, "B": 3, "C": 1})
    contract = ContractFactory(
        start_date=datetime.date(2020, 1, 1),
        original_end_date=datetime.date(2021, 1, 1),
        end_date=datetime.date(2022, 1, 1),
    )
    framework = FrameworkFactory(end_date=datetime.date(2026, 1, 1))
    return {"groups": groups, "contract": contract, "framework": framework}


def test_running_detection_twice_changes_nothing(db_session: Session) -> None:
    _scenario()
    settings = load_settings({})
    first = run_detection(db_session, settings)
    assert sum(run.raised for run in first) >= 5
    state, events = _state(db_session), _audit_count(db_session)

    second = run_detection(db_session, settings)

    assert _state(db_session) == state
    assert _audit_count(db_session) == events
    assert all(run.raised == run.updated == run.resolved == run.reopened == 0 for run in second)
    # One flag per detector and subject, never duplicated.
    keys = [(f[1], f[2]) for f in state]
    assert len(keys) == len(set(keys))
    assert verify_chain(db_session).intact


def test_a_cleared_condition_resolves_its_flag_and_a_returning_one_reopens_it(
    db_session: Session,
) -> None:
    scenario = _scenario()
    settings = load_settings({})
    run_detection(db_session, settings, ["extension_creep"])
    contract = scenario["contract"]
    flag = db_session.execute(sa.select(Flag).where(Flag.contract_id == contract.id)).scalar_one()
    assert flag.status == FlagStatus.open

    contract.end_date = datetime.date(2021, 3, 1)  # within half the term of the original end
    db_session.flush()
    (run,) = run_detection(db_session, settings, ["extension_creep"])
    assert run.resolved == 1
    assert flag.status == FlagStatus.resolved
    assert flag.status_reason == CONDITION_CLEARED
    assert [e.action for e in events_for(db_session, "flag", flag.id)] == [
        "flag.raised",
        "flag.resolved",
    ]

    contract.end_date = datetime.date(2023, 1, 1)
    db_session.flush()
    (run,) = run_detection(db_session, settings, ["extension_creep"])
    assert run.reopened == 1
    assert flag.status == FlagStatus.open
    assert [c.to_status for c in flag.changes] == ["open", "resolved", "open"]
    assert flag.metrics["overrun_days"] == 730
    actions = [e.action for e in events_for(db_session, "flag", flag.id)]
    assert actions == ["flag.raised", "flag.resolved", "flag.reopened", "flag.updated"]


def test_changed_numbers_update_the_flag_and_are_audited(db_session: Session) -> None:
    groups = market({"A": 6, "B": 3, "C": 1})
    settings = load_settings({})
    run_detection(db_session, settings, ["market_concentration"])
    flag = db_session.execute(sa.select(Flag)).scalar_one()
    assert flag.metrics["hhi"] == 4600.0
    supplier = SupplierFactory(group=groups["C"])
    ContractFactory.create_batch(2, supplier=supplier, cpv_code="48814000")
    (run,) = run_detection(db_session, settings, ["market_concentration"])
    assert run.updated == 1 and run.raised == 0
    assert flag.metrics["hhi"] == 3750.0  # 6, 3, 3 of 12: 2,500 + 625 + 625
    (event,) = [e for e in events_for(db_session, "flag", flag.id) if e.action == "flag.updated"]
    assert event.before["metrics"]["hhi"] == 4600.0
    assert event.after["metrics"]["hhi"] == 3750.0


def test_a_dismissed_flag_stays_dismissed_while_the_pattern_lasts_and_after(
    db_session: Session, make_user: Any
) -> None:
    scenario = _scenario()
    auditor = make_user("auditor")
    settings = load_settings({})
    run_detection(db_session, settings, ["over_long_framework"])
    flag = db_session.execute(
        sa.select(Flag).where(Flag.framework_id == scenario["framework"].id)
    ).scalar_one()
    change_status(db_session, flag, FlagStatus.dismissed, actor=auditor, reason="Agreed exemption")
    run_detection(db_session, settings, ["over_long_framework"])
    assert flag.status == FlagStatus.dismissed
    scenario["framework"].end_date = datetime.date(2023, 1, 1)
    db_session.flush()
    run_detection(db_session, settings, ["over_long_framework"])
    assert flag.status == FlagStatus.dismissed
    assert flag.status_reason == "Agreed exemption"


def test_lifecycle_needs_a_reason_and_follows_the_order(
    db_session: Session, make_user: Any
) -> None:
    market({"A": 10})
    auditor = make_user("auditor")
    run_detection(db_session, load_settings({}), ["market_concentration"])
    flag = db_session.execute(sa.select(Flag)).scalar_one()
    try:
        change_status(db_session, flag, FlagStatus.acknowledged, actor=auditor, reason="  ")
    except FlagError as exc:
        assert "reason" in str(exc)
    else:
        raise AssertionError("a blank reason was accepted")
    change_status(db_session, flag, FlagStatus.acknowledged, actor=auditor, reason="Looking")
    change_status(db_session, flag, FlagStatus.resolved, actor=auditor, reason="New framework let")
    try:
        change_status(db_session, flag, FlagStatus.open, actor=auditor, reason="again")
    except FlagError as exc:
        assert "resolved" in str(exc)
    else:
        raise AssertionError("a resolved flag was reopened by hand")
    actions = [e.action for e in events_for(db_session, "flag", flag.id)]
    assert actions == ["flag.raised", "flag.acknowledged", "flag.resolved"]
    assert events_for(db_session, "flag", flag.id)[-1].actor_id == auditor.id


def test_value_metrics_are_plain_json(db_session: Session) -> None:
    market({"A": 6, "B": 4}, value=Decimal("1234.56"))
    run_detection(db_session, load_settings({}), ["market_concentration"])
    flag = db_session.execute(sa.select(Flag)).scalar_one()
    assert isinstance(flag.metrics["other_basis"]["hhi"], float)


def test_raised_flags_are_written_whole_with_their_history_and_audit_events(
    db_session: Session,
) -> None:
    # New flags are inserted in bulk, not through the ORM: each must still have every column,
    # its "detected" history and a "raised" event showing what was raised, in the chain.
    groups = market({"A": 4, "B": 4, "C": 1, "D": 1})
    before = _audit_count(db_session)
    (run,) = run_detection(db_session, load_settings({}), ["monopoly_duopoly"])
    assert run.raised == 1
    (flag,) = flags_for(db_session, group_id=groups["A"].id)
    assert flags_for(db_session, group_id=groups["B"].id) == [flag]
    assert (flag.status, flag.resolved_by_detector) == (FlagStatus.open, False)
    assert flag.first_detected == flag.last_detected == flag.status_changed_at
    assert flag.metrics["pattern"] == "duopoly"
    assert flag.rule and flag.source and flag.thresholds["pair_share"] == 0.8
    (change,) = flag.changes
    assert (change.from_status, change.to_status, change.reason) == (None, "open", "detected")
    assert change.actor_label == "detector"
    (event,) = events_for(db_session, "flag", flag.id)
    assert event.action == "flag.raised"
    assert event.after == {
        "detector": "monopoly_duopoly",
        "subject": flag.subject_key,
        "status": "open",
        "severity": str(flag.severity),
        "metrics": flag.metrics,
        "thresholds": flag.thresholds,
        "subject_label": flag.subject_label,
    }
    assert _audit_count(db_session) == before + 1
    assert verify_chain(db_session).intact


def test_a_duopoly_flag_concerns_both_groups(db_session: Session) -> None:
    groups = market({"A": 4, "B": 4, "C": 1, "D": 1})
    run_detection(db_session, load_settings({}), ["monopoly_duopoly"])
    (flag,) = flags_for(db_session, group_id=groups["A"].id)
    assert flags_for(db_session, group_id=groups["B"].id) == [flag]
    assert flags_for(db_session, group_id=groups["C"].id) == []
    # B's contracts are retracted: A alone holds the market, and the flag no longer concerns B.
    db_session.execute(
        sa.update(Contract)
        .where(
            Contract.supplier_id.in_(
                sa.select(Supplier.id).where(Supplier.group_id == groups["B"].id)
            )
        )
        .values(
            retracted_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
            retraction_reason="test",
        )
    )
    run_detection(db_session, load_settings({}), ["monopoly_duopoly"])
    assert flag.metrics["pattern"] == "monopoly"
    assert flags_for(db_session, group_id=groups["A"].id) == [flag]
    assert flags_for(db_session, group_id=groups["B"].id) == []


def test_a_large_first_run_refreshes_the_planners_idea_of_flags(db_session: Session) -> None:
    # PostgreSQL checks flag_groups' foreign key with a plan made when flags was nearly empty: a
    # scan of flags per new link, minutes at national scale, unless flags is analysed first.
    groups = market({"A": 4, "B": 4, "C": 1, "D": 1})
    detector = DETECTORS["buyer_dependency"]
    count = ANALYZE_AFTER + 1
    findings = [
        Finding(
            subject_type=SubjectType.buyer_supplier,
            subject_key=f"{n}/{groups['A'].id}/cpv-48",
            subject_label=f"buyer {n}",
            severity=Severity.medium,
            metrics={"share": 0.9},
            group_id=groups["A"].id,
        )
        for n in range(count)
    ]
    run = apply_findings(db_session, detector, detector.defaults, findings)
    assert run.raised == count
    assert len(flags_for(db_session, group_id=groups["A"].id, limit=count + 1)) == count
    if db_session.get_bind().dialect.name == "postgresql":
        believed = db_session.execute(
            sa.text("SELECT reltuples FROM pg_class WHERE oid = 'flags'::regclass")
        ).scalar()
        assert believed is not None and believed >= count
    assert verify_chain(db_session).intact
