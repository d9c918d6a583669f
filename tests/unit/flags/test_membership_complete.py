"""Closed-framework judgements only on lots whose membership list is recorded as complete: a
partial list is "not applicable: membership list incomplete" in coverage, and a flag raised on
it before is resolved by the next run with that reason."""

from __future__ import annotations

import datetime

from sqlalchemy.orm import Session

from registry.flags.detectors.closed_framework import INCOMPLETE
from registry.flags.models import CoverageState, FlagStatus
from registry.frameworks.models import FrameworkStatus, Lot
from tests.common.db.core import (
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    SupplierFactory,
)
from tests.common.db.flags import coverage, detect


def _two_supplier_lot(complete: bool) -> Lot:
    framework = FrameworkFactory(
        status=FrameworkStatus.expired,
        start_date=datetime.date(2010, 1, 1),
        end_date=datetime.date(2021, 1, 1),
    )
    lot = LotFactory(framework=framework, membership_complete=complete)
    for _ in range(2):
        MembershipFactory(lot=lot, start_date=datetime.date(2020, 1, 1), supplier=SupplierFactory())
    return lot


def _key(lot: Lot) -> str:
    return f"{lot.framework.reference}/lot-{lot.number}"


def test_only_a_complete_lot_is_judged(db_session: Session) -> None:
    complete, partial = _key(_two_supplier_lot(True)), _key(_two_supplier_lot(False))
    assert set(detect(db_session, "closed_framework")) == {complete}
    rows = coverage(db_session, "closed_framework")
    assert rows[complete].state == CoverageState.flagged
    assert (rows[partial].state, rows[partial].reason) == (
        CoverageState.not_applicable,
        "membership list incomplete",
    )


def test_a_flag_on_a_lot_found_incomplete_is_resolved_with_the_reason(
    db_session: Session,
) -> None:
    lot = _two_supplier_lot(True)
    key = _key(lot)
    (flag,) = detect(db_session, "closed_framework").values()
    lot.membership_complete = False  # the list was partial after all
    db_session.flush()
    assert detect(db_session, "closed_framework") == {}
    db_session.refresh(flag)
    assert flag.subject_key == key and flag.status == FlagStatus.resolved
    assert flag.status_reason == f"not applicable: {INCOMPLETE}"
    assert flag.changes[-1].reason == "not applicable: membership list incomplete"
    # Marked complete again, the detector raises it again.
    lot.membership_complete = True
    db_session.flush()
    assert set(detect(db_session, "closed_framework")) == {key}
