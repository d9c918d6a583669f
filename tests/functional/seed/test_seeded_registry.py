"""The seeded registry (loaded once per session through `registry seed`): exact counts, the GP
Systems of Choice duopoly computed from the database, status history and the audit trail."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.audit.services import verify_chain
from registry.buyers.models import Buyer, BuyerType
from registry.contracts.models import Contract, ProcurementMethod
from registry.frameworks.models import (
    Framework,
    FrameworkStatus,
    FrameworkStatusChange,
    Lot,
    Membership,
    MembershipStatusChange,
    Obligation,
    ObligationCategory,
)
from registry.markets.services import list_markets
from registry.records import Publication
from registry.seed import SeedDataError, load_seed_data, registry_is_empty
from registry.suppliers.models import Supplier, SupplierGroup


def _count(db: Session, model: type, *where: sa.ColumnElement[bool]) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def _gpsoc_lot(db: Session, number: str = "1") -> Lot:
    return db.execute(
        sa.select(Lot).join(Framework).where(Framework.reference == "GPSoC", Lot.number == number)
    ).scalar_one()


def test_exact_counts(seeded_db_session: Session) -> None:
    db = seeded_db_session
    assert not registry_is_empty(db)
    assert _count(db, Framework) == 6
    practices = Buyer.buyer_type == BuyerType.gp_practice
    assert _count(db, Buyer, practices) == 7526
    # Every generated practice is marked illustrative and carries an ODS-style code.
    assert _count(db, Buyer, practices, Buyer.illustrative.is_(True)) == 7526
    assert _count(db, Buyer, practices, Buyer.identifier_scheme == "GB-NHS-ODS") == 7526
    assert (
        db.scalar(sa.select(sa.func.count(sa.distinct(Buyer.identifier))).where(practices)) == 7526
    )
    lot = _gpsoc_lot(db)
    on_lot = Contract.lot_id == lot.id
    assert _count(db, Contract, on_lot) == 7526
    assert (
        _count(
            db,
            Contract,
            on_lot,
            Contract.cpv_code == "48814000",
            Contract.procurement_method == ProcurementMethod.further_competition,
            Contract.publication == Publication.published,
            Contract.illustrative.is_(True),
            Contract.currency == "GBP",
            Contract.value_amount > 0,
        )
        == 7526
    )
    # One call-off per practice.
    assert db.scalar(sa.select(sa.func.count(sa.distinct(Contract.buyer_id))).where(on_lot)) == 7526


def test_gp_clinical_systems_market_is_a_highly_concentrated_duopoly(
    seeded_db_session: Session,
) -> None:
    db = seeded_db_session
    buyers = sa.func.count(sa.distinct(Contract.buyer_id))
    rows = db.execute(
        sa.select(SupplierGroup.name, buyers)
        .select_from(Contract)
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .join(SupplierGroup, SupplierGroup.id == Supplier.group_id)
        .where(Contract.cpv_code.startswith("48814"))
        .group_by(SupplierGroup.name)
        .order_by(buyers.desc())
    ).all()
    total = sum(n for _, n in rows)
    assert total == 7526
    shares = {name: 100 * n / total for name, n in rows}
    assert [(name, round(share)) for name, share in shares.items()] == [
        ("EMIS Group plc", 56),
        ("The Phoenix Partnership (Leeds) Ltd", 34),
        ("Cegedim SA", 9),
        ("Microtest Ltd", 1),
    ]
    hhi = sum(share * share for share in shares.values())
    assert hhi == pytest.approx(4374, abs=1)
    assert hhi > 1800  # highly concentrated (US 2023 Merger Guidelines)
    top_two = sorted(shares.values(), reverse=True)[:2]
    assert sum(top_two) >= 80 and min(top_two) >= 20  # the duopoly rule


def test_the_markets_service_sees_the_same_duopoly(seeded_db_session: Session) -> None:
    markets = {m.key: m for m in list_markets(seeded_db_session, 5)}
    market = markets["cpv-48814"]
    assert market.contracts == 7526
    assert market.by_buyers.hhi == pytest.approx(4374, abs=1)
    assert [g.name for g in market.leading(2)] == [
        "EMIS Group plc",
        "The Phoenix Partnership (Leeds) Ltd",
    ]
    assert market.by_buyers.cr2 == pytest.approx(0.90, abs=0.001)


def test_gpsoc_framework_lots_memberships_and_obligations(seeded_db_session: Session) -> None:
    db = seeded_db_session
    gpsoc = db.execute(sa.select(Framework).where(Framework.reference == "GPSoC")).scalar_one()
    assert gpsoc.status == FrameworkStatus.expired
    assert gpsoc.end_date == datetime.date(2018, 3, 31)
    assert gpsoc.extended_end_date == datetime.date(2019, 12, 31)
    assert gpsoc.cpv_codes == ["48814000"]
    assert [(c.from_status, c.to_status, c.reason) for c in gpsoc.status_changes] == [
        (None, FrameworkStatus.expired, "seeded")
    ]
    lot = _gpsoc_lot(db)
    assert lot.title == "Principal clinical systems"
    members = {(m.supplier.name, m.supplier.group.name) for m in lot.memberships}
    assert members == {
        ("EMIS Health", "EMIS Group plc"),
        ("TPP - The Phoenix Partnership (Leeds) Ltd", "The Phoenix Partnership (Leeds) Ltd"),
        ("In Practice Systems Ltd", "Cegedim SA"),
        ("Microtest Ltd", "Microtest Ltd"),
    }
    emis_group = db.execute(
        sa.select(SupplierGroup).where(SupplierGroup.name == "EMIS Group plc")
    ).scalar_one()
    assert emis_group.companies_house_number == "06553923"
    obligations = db.scalars(sa.select(Obligation).where(Obligation.framework_id == gpsoc.id)).all()
    by_standard = {o.standard_reference: o for o in obligations}
    assert by_standard["IM1"].category == ObligationCategory.interoperability
    assert by_standard["GP Connect"].category == ObligationCategory.interoperability
    assert by_standard["SNOMED CT"].category == ObligationCategory.open_standards
    assert by_standard["IM1 bulk extract; GP2GP"].category == ObligationCategory.data_portability
    sla = next(o for o in obligations if o.category == ObligationCategory.availability_sla)
    assert (sla.kpi_target, sla.kpi_unit, str(sla.kpi_direction)) == (
        Decimal("99.5"),
        "% monthly availability",
        "higher is better",
    )
    assert sla.lot_id == lot.id and sla.illustrative
    # GPSoC recorded no exit plan: the lock-in detectors should find that.
    assert ObligationCategory.exit_plan not in {o.category for o in obligations}


def test_every_membership_has_its_seeded_status_history(seeded_db_session: Session) -> None:
    db = seeded_db_session
    assert _count(db, Membership) > 40
    assert _count(db, MembershipStatusChange, MembershipStatusChange.reason == "seeded") == _count(
        db, Membership
    )
    assert _count(db, FrameworkStatusChange, FrameworkStatusChange.reason == "seeded") == 6


def test_other_frameworks_differ_in_exit_and_portability(seeded_db_session: Session) -> None:
    db = seeded_db_session
    rows = db.execute(
        sa.select(Framework.reference, Obligation.category).join(
            Obligation, Obligation.framework_id == Framework.id
        )
    ).all()
    categories: dict[str, set[str]] = {}
    for reference, category in rows:
        categories.setdefault(reference, set()).add(category)
    exit_and_export = {ObligationCategory.exit_plan, ObligationCategory.data_portability}
    assert exit_and_export <= categories["GPITF"]
    assert exit_and_export <= categories["RM1557.13"]
    assert not exit_and_export & categories["RM6068"]
    assert not exit_and_export <= categories["RM6100"]


def test_repeat_awards_and_extensions_for_the_detectors(seeded_db_session: Session) -> None:
    db = seeded_db_session
    latest = db.execute(
        sa.select(Contract).where(Contract.reference == "SEED-HMRC-0003")
    ).scalar_one()
    chain = []
    contract: Contract | None = latest
    while contract is not None:
        chain.append((contract.procurement_method, contract.supplier.group.name))
        contract = contract.predecessor
    assert chain == [(ProcurementMethod.direct_award, "Capita plc")] * 3
    extended = db.execute(
        sa.select(Contract).where(Contract.reference == "SEED-DWP-0001")
    ).scalar_one()
    assert [e.new_end_date for e in extended.extensions] == [
        datetime.date(2023, 9, 30),
        datetime.date(2024, 9, 30),
    ]
    assert extended.extensions[0].previous_end_date == extended.original_end_date
    assert extended.end_date == datetime.date(2024, 9, 30)


def test_audit_trail_of_the_seed_run(seeded_db_session: Session) -> None:
    db = seeded_db_session
    summary = db.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "seed.loaded")
    ).scalar_one()
    assert summary.after is not None
    assert summary.after["counts"]["gp_practices"] == 7526
    assert summary.after["counts"]["frameworks"] == 6
    assert summary.after["counts"]["buyers"] == _count(db, Buyer)
    assert summary.after["counts"]["contracts"] == _count(db, Contract)
    assert "seed_data/frameworks/gpsoc.json" in summary.after["files"]
    for subject_type, model in (
        ("framework", Framework),
        ("supplier", Supplier),
        ("membership", Membership),
    ):
        events = _count(
            db,
            AuditEvent,
            AuditEvent.subject_type == subject_type,
            AuditEvent.action == f"{subject_type}.created",
            AuditEvent.actor_label == "seed",
        )
        assert events == _count(db, model), subject_type
    generated = db.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "seed.gp_practices_generated")
    ).scalar_one()
    assert generated.after is not None and generated.after["by_supplier"]["EMIS Health"] == 4215
    assert verify_chain(db).intact


def test_loading_again_refuses_and_writes_nothing(seeded_db_session: Session) -> None:
    db = seeded_db_session
    events = _count(db, AuditEvent)
    with pytest.raises(SeedDataError) as info:
        load_seed_data(db)
    assert "The seed data is already loaded: frameworks GPITF, GPSoC" in str(info.value)
    assert _count(db, Framework) == 6
    assert _count(db, AuditEvent) == events


def test_seeded_records_show_on_public_pages(
    seeded_webtest_app: webtest.TestApp, seeded_db_session: Session
) -> None:
    contract = seeded_db_session.execute(
        sa.select(Contract).where(Contract.reference == "SEED-HMRC-0003")
    ).scalar_one()
    page = seeded_webtest_app.get(f"/contracts/{contract.id}")
    assert "Operational IT support for tax systems" in page.text
    assert "Capita Business Services Ltd" in page.text
