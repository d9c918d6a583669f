"""A scoped rerun (issue 21): after a change to some buyers' contracts, the detectors keyed by
buyer, supplier group or contract recompute those subjects alone; a flag there is raised and
another resolved, the flags of the subjects outside the change are not touched (not even when
they were last seen), and what is left is what `registry detect --full` leaves."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import ProcurementMethod
from registry.flags.models import Flag, FlagStatus
from registry.suppliers.models import Supplier
from tests.common.cli import run_cli
from tests.common.db import base as factories
from tests.common.db.core import BuyerFactory, ContractFactory, SupplierFactory
from tests.functional.flags.test_incremental import snapshot

SCOPED = (
    *("buyer_dependency", "repeat_awards", "non_competitive_share"),
    *("extension_creep", "missing_exit_portability"),
)
LATE = datetime.date(2030, 1, 1)  # an end that far beyond the original one is extension creep


@contextlib.contextmanager
def _written(engine: Any) -> Iterator[Session]:
    """A session the factories write through, committed at the end."""
    with Session(engine) as db:
        factories.bind(db)
        try:
            yield db
            db.commit()
        finally:
            factories.bind(None)


def _contracts(buyer: Any, supplier: Any, cpv: str, count: int) -> None:
    for n in range(count):
        ContractFactory(
            buyer=buyer,
            supplier=supplier,
            cpv_code=cpv,
            procurement_method=ProcurementMethod.direct_award,
            award_date=datetime.date(2021, 1, 1 + n),
        )


def _detect(ini: Path, *args: str) -> str:
    result = run_cli(ini, "detect", *args)
    assert result.exit_code == 0, result.output
    return result.output


def _flags(db: Session) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (flag.detector, flag.subject_key): (flag.status, flag.last_detected, flag.metrics)
        for flag in db.execute(sa.select(Flag)).scalars()
    }


def test_a_scoped_rerun_touches_only_the_changed_subjects_and_equals_a_full_run(
    registry: tuple[Path, Any],
) -> None:
    ini, engine = registry
    with _written(engine) as db:
        first, second, changed, bystander = (BuyerFactory() for _ in range(4))
        held, other, newcomer, joined = (SupplierFactory() for _ in range(4))
        _contracts(first, held, "72200000", 3)  # first depends on held
        _contracts(second, other, "79800000", 5)  # second on other, its market theirs
        # Unchanged, in the changed market.
        _contracts(bystander, held, "72200000", 2)
        crept = ContractFactory(buyer=second, supplier=other, cpv_code="79800000", end_date=LATE)
        db.commit()
        ids = {"first": first.id, "second": second.id, "changed": changed.id}
        ids["bystander"] = bystander.id
        ids["crept"] = crept.id
        groups = {"held": held.group_id, "other": other.group_id, "joined": joined.group_id}
        suppliers = {"held": held.id, "newcomer": newcomer.id, "joined": joined.id}
    assert _detect(ini).startswith("Full run (first run)")
    with Session(engine) as db:
        before = _flags(db)
    untouched = [
        ("buyer_dependency", f"{ids['second']}/{groups['other']}/cpv-79800"),
        ("repeat_awards", f"{ids['second']}/{groups['other']}/cpv-79800"),
        ("buyer_dependency", f"{ids['bystander']}/{groups['held']}/cpv-72200"),
        ("extension_creep", str(ids["crept"])),
    ]
    resolved = ("buyer_dependency", f"{ids['first']}/{groups['held']}/cpv-72200")
    assert all(before[key][0] == FlagStatus.open for key in [*untouched, resolved])

    # The first buyer turns to another supplier (its dependence gone, its market now shared);
    # a third buyer starts depending on one.
    with _written(engine) as db:
        buyer = type(first)
        turned = db.get(buyer, ids["first"]), db.get(Supplier, suppliers["newcomer"])
        _contracts(*turned, "72200000", 2)
        started = db.get(buyer, ids["changed"]), db.get(Supplier, suppliers["joined"])
        _contracts(*started, "72200000", 3)
        ids["creeping"] = ContractFactory(buyer=started[0], supplier=started[1], end_date=LATE).id
    output = _detect(ini)
    assert "1 tables changed (contracts)" in output.splitlines()[0], output
    for detector in SCOPED:
        line = next(line for line in output.splitlines() if line.startswith(detector))
        assert "changed subjects only" in line, line
    with Session(engine) as db:
        after = _flags(db)
        scoped = snapshot(db)
    for key in untouched:  # not even seen again
        assert after[key] == before[key], key
    assert after[resolved][0] == FlagStatus.resolved
    raised = ("buyer_dependency", f"{ids['changed']}/{groups['joined']}/cpv-72200")
    assert raised not in before and after[raised][0] == FlagStatus.open
    assert after[("market_concentration", "cpv-72200")][0] == FlagStatus.open
    assert after[("extension_creep", str(ids["creeping"]))][0] == FlagStatus.open

    assert _detect(ini, "--full").startswith("Full run (--full)")
    with Session(engine) as db:
        full = snapshot(db)
        seen_again = _flags(db)
    for part in ("flags", "coverage"):
        assert scoped[part] == full[part], part
    # The full run saw the untouched flags again, where the scoped one had left them be.
    assert all(seen_again[key][1] != before[key][1] for key in untouched)


def test_a_change_of_what_every_subject_shares_is_not_scoped(registry: tuple[Path, Any]) -> None:
    """A contract years later moves every buyer's window (buyer dependency judges the last
    five years): every buyer must be judged again, not only the changed one."""
    ini, engine = registry
    with _written(engine) as db:
        first, second = BuyerFactory(), BuyerFactory()
        _contracts(first, SupplierFactory(), "72200000", 3)
        _contracts(second, SupplierFactory(), "79800000", 3)
        db.commit()
        later = {"buyer_id": first.id, "supplier_id": SupplierFactory().id}
        buyers = {str(first.id), str(second.id)}
    _detect(ini)
    with _written(engine) as db:
        buyer = db.get(type(first), later["buyer_id"])
        supplier = db.get(Supplier, later["supplier_id"])
        ContractFactory(buyer=buyer, supplier=supplier, award_date=datetime.date(2030, 1, 1))
    output = _detect(ini)
    assert "changed subjects only" not in output, output
    with Session(engine) as db:
        incremental = snapshot(db)
        resolved = db.execute(
            sa.select(Flag.subject_key).where(
                Flag.detector == "buyer_dependency", Flag.status == FlagStatus.resolved
            )
        ).scalars()
        # The unchanged buyer's too: its contracts are now out of the window.
        assert {key.split("/")[0] for key in resolved} == buyers
    _detect(ini, "--full")
    with Session(engine) as db:
        full = snapshot(db)
    for part in ("flags", "coverage"):
        assert incremental[part] == full[part], part
