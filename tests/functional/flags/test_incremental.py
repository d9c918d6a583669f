"""Incremental detection and scoring (issue 21): `registry detect` and `registry score` after each
of a series of real changes (an OCDS import of real data, assessments published, a second import
updating processes, a contract recorded and one extended, a retraction, an assessment re-rated and
one retracted, a supplier merge and its reversal, a supplier moved to another group, its group
renamed, a membership change, contracts moved to another market and buyer, a supplier to
another group and a lot to another framework by hand-written SQL, which only the database's
triggers see, assessments re-rated and copied and a rated contract unpublished the same way,
the as-of date moved) leave exactly the flags, coverage, stored market figures,
record figures and totals (ratings included) and scores full runs then leave; a run after no
change writes nothing; each command says what it recomputed."""

from __future__ import annotations

import copy
import datetime
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.contracts.services import ContractInput, ContractService
from registry.figures.models import (
    BuyerSupplierFigures,
    BuyerTotals,
    LotFigures,
    SupplierFigures,
    SupplierTotals,
)
from registry.flags.coverage import latest_runs
from registry.flags.models import Flag, FlagGroup
from registry.frameworks.models import Membership, MembershipStatus
from registry.markets.models import MarketFigures, MarketGroupFigures, MarketYearFigures
from registry.records import Publication
from registry.scoring.assessments import services as assessments
from registry.scoring.assessments.models import Assessment, Rating
from registry.scoring.scores import services as scores
from registry.scoring.scores.models import Score
from registry.suppliers.merging import merge, reverse
from registry.suppliers.models import Supplier
from registry.suppliers.services import SupplierService
from tests.common.cli import run_cli
from tests.common.db import base as factories
from tests.common.db.core import (
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
)
from tests.common.db.scoring import AssessmentFactory
from tests.conftest import SHARED_DATA

ARMENIA = sorted((SHARED_DATA / "armenia-armeps-2018").glob("*.json"))
COVERAGE = sa.table(
    "detector_coverage",
    *(
        sa.column(name)
        for name in (
            *("detector", "method_version", "subject_type", "subject_key"),
            *("subject_label", "state", "reason"),
        )
    ),
)


def snapshot(db: Session) -> dict[str, Any]:
    """Everything detection leaves that a reader sees, without the times it was computed."""
    groups: dict[int, list[int]] = {}
    for flag_id, group_id in db.execute(sa.select(FlagGroup.flag_id, FlagGroup.group_id)):
        groups.setdefault(flag_id, []).append(group_id)
    flags = sorted(
        (
            flag.detector,
            flag.subject_type.value,
            flag.subject_key,
            flag.status.value,
            flag.severity.value,
            json.dumps(flag.metrics, sort_keys=True),
            flag.subject_label,
            tuple(sorted(groups.get(flag.id, []))),
        )
        for flag in db.execute(sa.select(Flag)).scalars()
    )
    coverage = sorted(tuple(str(v) for v in row) for row in db.execute(sa.select(COVERAGE)))
    # What each detector's page and `registry detect` say it covered (a scoped rerun counts
    # its subjects from the last run's counts, not from all its rows).
    counted = sorted(
        (run.detector, run.flagged, run.checked, run.not_applicable)
        for run in db.execute(latest_runs()).scalars()
    )

    def figures(model: Any) -> list[tuple[Any, ...]]:
        columns = [c for c in model.__table__.columns if c.name != "computed_at"]
        return sorted(tuple(str(v) for v in row) for row in db.execute(sa.select(*columns)))

    return {
        "flags": flags,
        "coverage": coverage,
        "counted": counted,
        "markets": figures(MarketFigures),
        "groups": figures(MarketGroupFigures),
        "years": figures(MarketYearFigures),
        "suppliers": figures(SupplierFigures),
        "buyers": figures(BuyerSupplierFigures),
        "lots": figures(LotFigures),
        "supplier_totals": figures(SupplierTotals),
        "buyer_totals": figures(BuyerTotals),
        **score_snapshot(db),
    }


def score_snapshot(db: Session) -> dict[str, Any]:
    """The current scores, every number of them, and the priors the last run recorded (which
    the updates on publication and retraction shrink toward); not when they were computed."""
    table: sa.Table = Score.__table__  # type: ignore[assignment]
    skip = {"id", "computed_at", "current", "inputs", "breakdown"}
    columns = [c for c in table.columns if c.name not in skip]
    rows = db.execute(sa.select(*columns, table.c.inputs).where(table.c.current.is_(True)))
    current = sorted(
        (*(str(v) for v in row[:-1]), str((row[-1] or {}).get("prior_components"))) for row in rows
    )
    run = scores.last_run(db)
    return {"scores": current, "priors": run.priors if run else None}


def _detect(ini: Path, *args: str) -> str:
    result = run_cli(ini, "detect", *args)
    assert result.exit_code == 0, result.output
    return result.output


def _updates(tmp_path: Path) -> Path:
    """A day's file updating processes already held: later releases of some awarded processes
    with their award values raised and their procedures made direct, and one more package."""
    releases = json.loads(ARMENIA[0].read_text())["releases"]
    awarded = [r for r in releases if r.get("awards")][:8]
    updated = []
    for n, release in enumerate(awarded):
        later = copy.deepcopy(release)
        later["id"] = f"{release['id']}-update"
        later["date"] = "2019-01-01T00:00:00+04:00"
        for award in later["awards"]:
            if (award.get("value") or {}).get("amount") is not None:
                award["value"]["amount"] = award["value"]["amount"] * (n + 3)
        later.setdefault("tender", {})["procurementMethod"] = "direct"
        updated.append(later)
    package = json.loads(ARMENIA[0].read_text())
    package["releases"] = updated
    path = tmp_path / "updates.json"
    path.write_text(json.dumps(package))
    return path


def _change(engine: Any, change: Any) -> None:
    with Session(engine) as db:
        change(db)
        db.commit()


def _most_contracted(db: Session, offset: int = 0) -> Supplier:
    supplier_id = db.execute(
        sa.select(Contract.supplier_id)
        .group_by(Contract.supplier_id)
        .order_by(sa.func.count().desc(), Contract.supplier_id)
        .offset(offset)
        .limit(1)
    ).scalar_one()
    supplier = db.get(Supplier, supplier_id)
    assert supplier is not None
    return supplier


def _score(ini: Path, *args: str) -> str:
    result = run_cli(ini, "score", *args)
    assert result.exit_code == 0, result.output
    return result.output


RATINGS = list(Rating)


def _assessed(db: Session, lot_id: int) -> None:
    """Two assessments, in 2018 and 2019, of six imported contracts (on no framework) and of
    the framework lot's contracts, with ratings of every kind."""
    held = db.execute(
        sa.select(Contract).where(Contract.ocid.is_not(None)).order_by(Contract.id).limit(6)
    ).scalars()
    framed = db.execute(sa.select(Contract).where(Contract.lot_id == lot_id)).scalars()
    factories.bind(db)
    try:
        for n, contract in enumerate([*held, *framed]):
            for k, end in enumerate((datetime.date(2018, 12, 31), datetime.date(2019, 5, 31))):
                AssessmentFactory(
                    contract=contract,
                    rating=RATINGS[(n + k) % len(RATINGS)],
                    period_start=end.replace(day=1),
                    period_end=end,
                )
    finally:
        factories.bind(None)


def test_incremental_detection_and_scoring_equal_full_runs_after_each_change(
    registry: tuple[Path, Any], tmp_path: Path
) -> None:
    ini, engine = registry
    # A framework lot with members, the subject of the closed-framework detector.
    with Session(engine) as db:
        factories.bind(db)
        try:
            lot = LotFactory(membership_complete=True)
            members = [MembershipFactory(lot=lot) for _ in range(3)]
            for member in members:
                ContractFactory(lot=lot, supplier=member.supplier, cpv_code="72200000")
            other_framework_id = FrameworkFactory().id
            db.commit()
            membership_id, lot_id, framework_id = members[0].id, lot.id, lot.framework_id
        finally:
            factories.bind(None)

    def imported(*paths: Path) -> None:
        result = run_cli(ini, "import", "ocds", *map(str, paths))
        assert result.exit_code == 0, result.output

    def recorded(db: Session) -> None:
        service = ContractService(db)
        held = db.execute(sa.select(Contract).where(Contract.ocid.is_not(None)).limit(1))
        model = held.scalar_one()
        draft = service.create(
            ContractInput(
                title="Printing, recorded through the form",
                supplier=str(model.supplier_id),
                buyer_id=model.buyer_id,
                value_amount=Decimal("990000"),
                currency="AMD",
                award_date=datetime.date(2018, 3, 1),
                end_date=datetime.date(2018, 12, 31),
                cpv_code=model.cpv_code,
            ),
            actor=None,
        )
        service.publish(draft, actor=None)
        service.extend(
            model,
            extended_on=datetime.date(2018, 6, 1),
            new_end_date=datetime.date(2021, 6, 1),
            reason="Extended twice over its term",
            actor=None,
        )

    def retracted(db: Session) -> None:
        contract = db.execute(
            sa.select(Contract)
            .where(Contract.supplier_id == _most_contracted(db).id)
            .where(Contract.publication == Publication.published)
            .order_by(Contract.id)
            .limit(1)
        ).scalar_one()
        ContractService(db).retract(contract, "Published in error", actor=None)

    merges: list[int] = []

    def merged(db: Session) -> None:
        row = merge(
            db, _most_contracted(db, 1), _most_contracted(db), reason="Same company", actor=None
        )
        db.flush()
        merges.append(row.id)

    def reversed_merge(db: Session) -> None:
        from registry.suppliers.models import SupplierMerge

        row = db.get(SupplierMerge, merges[0])
        assert row is not None
        reverse(db, row, reason="Not the same company after all", actor=None)

    def moved(db: Session) -> None:
        # The second largest supplier joins the largest's group: shares move, contracts do not.
        mover, joined = _most_contracted(db, 1), _most_contracted(db)
        SupplierService(db).move_to_group(
            mover, joined.group, reason="Bought by the same parent", actor=None
        )

    def renamed(db: Session) -> None:
        # A correction of one letter: the same length, a different name on its flags.
        group = _most_contracted(db).group
        group.name = ("X" if group.name[0] != "X" else "Y") + group.name[1:]

    def membership_ended(db: Session) -> None:
        membership = db.get(Membership, membership_id)
        assert membership is not None
        membership.status = MembershipStatus.removed
        membership.end_date = datetime.date(2021, 1, 1)

    def rerated(db: Session) -> None:
        # A correction of one rating on the framework: its prior moves, so do its suppliers'.
        rated = db.execute(
            sa.select(Assessment)
            .where(Assessment.framework_id == framework_id, Assessment.rating != Rating.other)
            .order_by(Assessment.id)
            .limit(1)
        ).scalar_one()
        rated.rating = Rating.inadequate if rated.rating == Rating.good else Rating.good

    def assessment_retracted(db: Session) -> None:
        # Through the service, which rescores the supplier against the last run's priors.
        counted = db.execute(
            sa.select(Assessment)
            .where(Assessment.framework_id.is_(None), Assessment.rating == Rating.good)
            .order_by(Assessment.id)
            .limit(1)
        ).scalar_one()
        assessments.retract(db, counted, None, "Rated the wrong contract")

    def written_by_hand(db: Session) -> None:
        # Behind the ORM's back, as a script or a COPY writes: the largest supplier's contracts
        # in its busiest market move to another market and buyer (their old market, buyer and
        # group-wide shares must be redone too), the second largest supplier joins a third's
        # group, and the framework lot moves to another framework.
        largest, second, third = (_most_contracted(db, n) for n in range(3))
        busiest, buyer_id = db.execute(
            sa.select(Contract.cpv_code, Contract.buyer_id)
            .where(Contract.supplier_id == largest.id, Contract.cpv_code.is_not(None))
            .group_by(Contract.cpv_code, Contract.buyer_id)
            .order_by(sa.func.count().desc(), Contract.cpv_code, Contract.buyer_id)
            .limit(1)
        ).one()
        other_buyer = db.execute(
            sa.select(Contract.buyer_id).where(Contract.buyer_id != buyer_id).limit(1)
        ).scalar_one()
        connection = db.connection()
        connection.execute(
            sa.text(
                "UPDATE contracts SET cpv_code = '79800000', buyer_id = :buyer"
                " WHERE supplier_id = :supplier AND cpv_code = :cpv"
            ),
            {"buyer": other_buyer, "supplier": largest.id, "cpv": busiest},
        )
        connection.execute(
            sa.text("UPDATE suppliers SET group_id = :group WHERE id = :supplier"),
            {"group": third.group_id, "supplier": second.id},
        )
        connection.execute(
            sa.text("UPDATE lots SET framework_id = :framework WHERE id = :lot"),
            {"framework": other_framework_id, "lot": lot_id},
        )

    def assessments_by_hand(db: Session) -> None:
        # Behind the ORM's back too: a rating on the framework corrected (its prior moves), an
        # assessment on no framework copied into another period, and a rated contract made a
        # draft again (its assessments stop counting). Only the triggers' log names them.
        table: sa.Table = Assessment.__table__  # type: ignore[assignment]
        a = table.c
        framed, loose = (
            db.execute(
                sa.select(a.id, a.contract_id)
                .where(where, a.rating != Rating.other.value, a.retracted_at.is_(None))
                .order_by(a.id.desc())
                .limit(1)
            ).one()
            for where in (a.framework_id == framework_id, a.framework_id.is_(None))
        )
        connection = db.connection()
        connection.execute(
            sa.text(
                "UPDATE assessments SET rating = CASE rating WHEN 'Good' THEN 'Inadequate'"
                " ELSE 'Good' END WHERE id = :id"
            ),
            {"id": framed.id},
        )
        columns = [c.name for c in table.columns if c.name not in ("id", "kpi_key")]
        copied = {name: a[name] for name in columns}
        copied["kpi_key"] = a.kpi_key + "-copy"
        copied["period_end_day"] = a.period_end_day - 1
        connection.execute(
            table.insert().from_select(
                [*columns, "kpi_key"],
                sa.select(*(v.label(k) for k, v in copied.items())).where(a.id == loose.id),
            )
        )
        unpublished = db.execute(
            sa.select(a.contract_id)
            .where(a.framework_id.is_(None), a.contract_id != loose.contract_id)
            .order_by(a.id)
            .limit(1)
        ).scalar_one()
        connection.execute(
            sa.text("UPDATE contracts SET publication = 'draft' WHERE id = :id"),
            {"id": unpublished},
        )

    as_of = ["2019-06-30"]
    # (name, change, whether detection has work to do, what scoring says it did)
    steps: list[tuple[str, Any, bool, str]] = [
        ("import", lambda: imported(*ARMENIA[:5]), True, "Full run (first run)"),
        (
            "assessments published",
            lambda: _change(engine, lambda db: _assessed(db, lot_id)),
            False,
            "every supplier in 2 new periods",
        ),
        ("second import", lambda: imported(ARMENIA[5], _updates(tmp_path)), True, "Nothing"),
        ("contract recorded and extended", lambda: _change(engine, recorded), True, "Nothing"),
        ("retraction", lambda: _change(engine, retracted), True, "Nothing"),
        ("assessment re-rated", lambda: _change(engine, rerated), False, " 3 suppliers rescored"),
        ("assessment retracted", lambda: _change(engine, assessment_retracted), False, "rescored"),
        ("merge", lambda: _change(engine, merged), True, "Nothing"),
        ("merge reversed", lambda: _change(engine, reversed_merge), True, "Nothing"),
        ("moved to another group", lambda: _change(engine, moved), True, "Nothing"),
        ("group renamed", lambda: _change(engine, renamed), True, "Nothing"),
        ("membership ended", lambda: _change(engine, membership_ended), True, "Nothing"),
        ("written by hand", lambda: _change(engine, written_by_hand), True, "Nothing"),
        (
            "assessments written by hand",
            lambda: _change(engine, assessments_by_hand),
            True,
            "suppliers rescored",
        ),
        (
            "as-of date moved",
            lambda: as_of.__setitem__(0, "2019-09-30"),
            False,
            "1 periods retired",
        ),
    ]
    seen = []
    scoped: list[str] = []  # the steps after which some detectors reran for the changed subjects
    for number, (name, step, detects, rescored) in enumerate(steps):
        step()
        output = _detect(ini)
        if "changed subjects only" in output:
            scoped.append(name)
        scored = _score(ini, "--as-of", as_of[0])
        assert ("Full run" in output) == (number == 0), (name, output)
        # Each command did the work the change called for, and no more.
        assert rescored in scored.splitlines()[0], (name, scored)
        assert number == 0 or "Full run" not in scored, (name, scored)
        if number and not detects:
            assert output.startswith("Nothing changed since the last run"), (name, output)
        elif number:
            assert "; 0 of 12 detectors rerun" not in output, (name, output)
        with Session(engine) as db:
            incremental = snapshot(db)
        assert _detect(ini, "--full").startswith("Full run (--full)")
        assert _score(ini, "--full", "--as-of", as_of[0]).startswith("Full run (--full)")
        with Session(engine) as db:
            full = snapshot(db)
            assert scores.verify(db) == [], name
        for part in full:
            assert incremental[part] == full[part], f"after {name}: {part} differ"
        if number:
            # Each change moved what readers see: not a vacuous match.
            assert full != seen[-1], name
        seen.append(full)
    assert seen[-1]["flags"] and seen[-1]["markets"] and seen[-1]["coverage"]
    # Scoped reruns were among those compared (registry.flags.scope): after each change of
    # contracts or suppliers' groups alone (and on PostgreSQL, where an import rewrites no
    # buyer or supplier row it does not change, after the imports too).
    assert {
        "contract recorded and extended",
        "retraction",
        "merge",
        "merge reversed",
        "moved to another group",
    } <= set(scoped), scoped
    assert seen[-1]["scores"] and seen[-1]["priors"]


def test_a_run_after_no_change_writes_nothing(registry: tuple[Path, Any]) -> None:
    ini, engine = registry
    result = run_cli(ini, "import", "ocds", str(ARMENIA[0]), str(ARMENIA[1]))
    assert result.exit_code == 0, result.output
    _detect(ini)
    with Session(engine) as db:
        before = snapshot(db)
        seen = db.execute(sa.select(Flag.id, Flag.last_detected)).all()
        computed = db.execute(sa.select(MarketFigures.market_key, MarketFigures.computed_at)).all()
    assert before["flags"] and computed
    output = _detect(ini)
    assert output.startswith("Nothing changed since the last run: nothing recomputed.\n")
    assert "0 flags raised; 0 flags updated; 0 flags reopened; 0 flags resolved." in output
    with Session(engine) as db:
        assert snapshot(db) == before
        # Not even when each flag was last seen, nor when the figures were computed.
        assert db.execute(sa.select(Flag.id, Flag.last_detected)).all() == seen
        assert (
            db.execute(sa.select(MarketFigures.market_key, MarketFigures.computed_at)).all()
            == computed
        )


def test_the_command_says_what_it_recomputed(registry: tuple[Path, Any]) -> None:
    ini, engine = registry
    result = run_cli(ini, "import", "ocds", str(ARMENIA[0]))
    assert result.exit_code == 0, result.output
    assert _detect(ini).startswith("Full run (first run)")
    with Session(engine) as db:
        contract = db.execute(
            sa.select(Contract).where(Contract.value_amount.is_not(None)).limit(1)
        ).scalar_one()
        contract.value_amount = contract.value_amount * 2  # one contract's value, by a correction
        db.commit()
    output = _detect(ini)
    # Its CPV (or classification) market and its buyer-wide market, its buyer and its group.
    first = output.splitlines()[0]
    match = re.fullmatch(
        r"(\d+) markets, 1 buyers, 1 groups, 0 frameworks changed; 1 tables changed \(contracts\);"
        r" (\d+) of 12 detectors rerun\.",
        first,
    )
    assert match, first
    assert match.group(1) in ("1", "2")
    # Every detector reading contracts reran; the framework-only ones did not.
    assert "over_long_framework" not in output and "proprietary_interfaces" not in output
    assert "closed_framework" not in output
    assert "market_concentration" in output
    assert re.search(r"Market figures stored for [12] markets", output), output


def test_a_change_of_threshold_recomputes_everything(registry: tuple[Path, Any]) -> None:
    ini, engine = registry
    result = run_cli(ini, "import", "ocds", str(ARMENIA[0]))
    assert result.exit_code == 0, result.output
    _detect(ini)
    with Session(engine) as db:
        before = db.execute(sa.select(Flag.detector, Flag.thresholds)).all()
    with ini.open("a") as ini_file:
        ini_file.write("registry.detectors.buyer_dependency.share_threshold = 0.5\n")
    output = _detect(ini)
    assert output.startswith("Full run (thresholds or method changed)"), output
    with Session(engine) as db:
        after = db.execute(sa.select(Flag.detector, Flag.thresholds)).all()
    # The flags now carry the threshold they were judged by.
    assert {t["share_threshold"] for d, t in after if d == "buyer_dependency"} == {0.5}
    assert before != after
    assert _detect(ini).startswith("Nothing changed since the last run")
