"""Stored supplier and buyer totals (issue 21): published contracts and ratings, one row per
record, equal to what is worked out live; a rating published or retracted on the site, and a
merge, move them in their own transaction; `registry score` catches ratings written around the
site."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.contracts.totals import published_totals
from registry.figures.models import BuyerTotals, SupplierTotals
from registry.figures.services import refresh_all
from registry.figures.totals import stored_totals
from registry.records import Publication
from registry.scoring.assessments.evidence import distribution, stored_ratings
from registry.scoring.assessments.models import Assessment, AssessmentStatus, Rating
from registry.scoring.scores import incremental
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    SupplierFactory,
)
from tests.common.db.scoring import AssessmentFactory
from tests.common.site import form_posting_to, merge_on_site
from tests.conftest import login

AS_OF = datetime.date(2024, 12, 31)


@pytest.fixture
def world(db_session: Session, make_user: Any) -> dict[str, Any]:
    """Two suppliers of two buyers on one lot; ratings of every kind, a draft, a retraction, an
    assessment of a draft contract (not public), and an approved Good waiting to be published."""
    lot = LotFactory.create(framework=FrameworkFactory.create(reference="RM6221"))
    acme, other = SupplierFactory.create(name="Acme Health Ltd"), SupplierFactory.create()
    leeds, york = BuyerFactory.create(name="Leeds Trust"), BuyerFactory.create(name="York Trust")
    contracts = [
        ContractFactory.create(supplier=supplier, buyer=buyer, lot=lot, value_amount=value)
        for supplier, buyer, value in (
            (acme, leeds, Decimal("1000.50")),
            (acme, york, Decimal("250")),
            (other, leeds, Decimal("99.99")),
        )
    ]
    for n, rating in enumerate(Rating):
        AssessmentFactory.create(contract=contracts[n % 3], rating=rating, period_end=AS_OF)
    AssessmentFactory.create(contract=contracts[0], status=AssessmentStatus.draft)
    AssessmentFactory.create(
        contract=contracts[0],
        retracted_at=datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC),
        retraction_reason="Entered in error",
    )
    from_draft = ContractFactory.create(supplier=acme, buyer=leeds, publication=Publication.draft)
    AssessmentFactory.create(contract=from_draft)
    pending = AssessmentFactory.create(
        contract=contracts[0],
        kpi="Availability",
        rating=Rating.good,
        period_start=datetime.date(2024, 6, 1),
        period_end=datetime.date(2024, 6, 30),
        status=AssessmentStatus.approved,
    )
    refresh_all(db_session)
    db_session.commit()
    return {
        "acme": acme,
        "other": other,
        "leeds": leeds,
        "york": york,
        "pending": pending,
        "auditor": make_user("auditor"),
        "officer": make_user("officer", buyer_id=leeds.id),
    }


def stored_and_live(db: Session, world: dict[str, Any]) -> tuple[Any, Any]:
    """Each supplier's and buyer's (contracts, value) and ratings, stored then worked out now
    (the stored rows dropped for that, and put back)."""
    db.commit()  # what the app wrote, kept when the drop is rolled back
    db.expire_all()
    suppliers = [world["acme"].id, world["other"].id]
    buyers = [world["leeds"].id, world["york"].id]

    def read(stored: bool) -> Any:
        if stored:
            contracts = (
                stored_totals(db, SupplierTotals, Contract.supplier_id, suppliers)[0],
                stored_totals(db, BuyerTotals, Contract.buyer_id, buyers)[0],
            )
        else:
            none = (0, Decimal(0))
            contracts = (
                {
                    **dict.fromkeys(suppliers, none),
                    **published_totals(db, Contract.supplier_id, suppliers),
                },
                {**dict.fromkeys(buyers, none), **published_totals(db, Contract.buyer_id, buyers)},
            )
        ratings = {b: distribution(db, b).counts for b in buyers}
        counted = {}
        for s in suppliers:
            row = stored_ratings(db, SupplierTotals, s)
            counted[s] = row.total if stored and row else live_count(db, s)
        return contracts, ratings, counted

    stored = read(True)
    for model in (SupplierTotals, BuyerTotals):
        db.execute(sa.delete(model))
    live = read(False)
    db.rollback()
    return stored, live


def live_count(db: Session, supplier_id: int) -> int:
    return len(
        [
            a
            for a in db.scalars(sa.select(Assessment).where(Assessment.supplier_id == supplier_id))
            if a.status == AssessmentStatus.published
            and a.retracted_at is None
            and (a.contract is None or a.contract.publication == Publication.published)
        ]
    )


def test_stored_totals_equal_the_live_ones(db_session: Session, world: dict[str, Any]) -> None:
    stored, live = stored_and_live(db_session, world)
    assert stored == live
    (suppliers, buyers), ratings, counted = stored
    assert suppliers[world["acme"].id] == (2, Decimal("1250.50"))
    assert buyers[world["leeds"].id] == (2, Decimal("1100.49"))
    # Good and Inadequate of Leeds-Acme, Requires improvement of Leeds-Other; not the draft,
    # the retracted one, the one of a draft contract, nor the one waiting to be published.
    assert ratings[world["leeds"].id] == {"Good": 1, "Inadequate": 1, "Requires improvement": 1}
    assert ratings[world["york"].id] == {"Approaching target": 1, "Other": 1}
    assert counted == {world["acme"].id: 4, world["other"].id: 1}
    # A record without stored totals is worked out now; one with none published stores zeros.
    quiet = SupplierFactory.create()
    db_session.commit()
    assert stored_ratings(db_session, SupplierTotals, quiet.id) is None
    refresh_all(db_session)
    zeros = stored_ratings(db_session, SupplierTotals, quiet.id)
    assert zeros is not None and zeros.total == 0 and zeros.computed is not None


def test_publishing_and_retracting_a_rating_moves_the_totals_at_once(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    acme, leeds, a = world["acme"], world["leeds"], world["pending"]
    before = stored_and_live(db_session, world)[0]

    login(webtest_app, world["auditor"].email)
    form_posting_to(webtest_app.get(f"/review/{a.id}"), f"/review/{a.id}").submit(
        "action", value="publish"
    )
    stored, live = stored_and_live(db_session, world)
    assert stored == live
    assert stored[1][leeds.id]["Good"] == before[1][leeds.id]["Good"] + 1
    assert stored[2][acme.id] == before[2][acme.id] + 1
    page = webtest_app.get(f"/buyers/{leeds.id}").text
    assert f"{sum(stored[1][leeds.id].values())} published ratings" in page
    assert "These counts were computed" in page

    login(webtest_app, world["officer"].email)
    form = form_posting_to(webtest_app.get(f"/assessments/{a.id}/retract"), "/retract")
    form["reason"] = "Entered against the wrong contract"
    form.submit().follow()
    stored, live = stored_and_live(db_session, world)
    assert stored == live == before


def test_a_merge_moves_the_totals(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session, world: dict[str, Any]
) -> None:
    merged, survivor = world["other"], world["acme"]
    login_as("admin")
    merge_on_site(webtest_app, merged.id, survivor.id)
    stored, live = stored_and_live(db_session, world)
    assert stored == live
    assert stored[0][0][survivor.id] == (3, Decimal("1350.49"))
    assert stored[0][0][merged.id] == (0, Decimal(0))
    listed = webtest_app.get("/suppliers", {"sort": "value", "merged": "include"})
    assert listed.html.select("tbody tr")[0].select_one("a").text.strip() == survivor.name


def test_the_suppliers_and_buyers_lists_read_and_sort_by_the_stored_totals(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    # Stored totals that differ from the contracts (as between an import and the next detect):
    # the lists show and sort by what is stored, and say when it was computed.
    db_session.execute(
        sa.update(SupplierTotals)
        .where(SupplierTotals.supplier_id == world["other"].id)
        .values(contracts=7, value=Decimal("5000000"))
    )
    db_session.commit()
    page = webtest_app.get("/suppliers", {"sort": "value"})
    first = page.html.select("tbody tr")[0]
    assert first.select_one("a").text.strip() == world["other"].name
    assert [td.text.strip() for td in first.select("td")][-2] == "7"
    assert "These figures were computed" in page.text
    buyers = webtest_app.get("/buyers", {"sort": "value"})
    assert buyers.html.select("tbody tr")[0].select_one("a").text.strip() == "Leeds Trust"
    assert "These figures were computed" in buyers.text


def test_score_refreshes_the_ratings_written_around_the_site(
    db_session: Session, world: dict[str, Any]
) -> None:
    incremental.score(db_session, AS_OF)  # the first run: everyone's
    # A rating written straight into the table (as a bulk load would), unseen by the site.
    contract = db_session.scalars(
        sa.select(Contract).where(Contract.supplier_id == world["other"].id)
    ).first()
    assert contract is not None
    db_session.execute(
        sa.insert(Assessment).values(
            contract_id=contract.id,
            supplier_id=contract.supplier_id,
            buyer_id=contract.buyer_id,
            framework_id=contract.lot.framework_id if contract.lot else None,
            kpi="Bulk KPI",
            kpi_key="bulk kpi",
            period_start=datetime.date(2024, 1, 1),
            period_end=AS_OF,
            period_end_day=AS_OF.toordinal(),
            rating=Rating.approaching,
            weight=Decimal(1),
            status=AssessmentStatus.published,
        )
    )
    stale = stored_ratings(db_session, BuyerTotals, world["leeds"].id)
    assert stale is not None and "Approaching target" not in stale.counts
    said, _ = incremental.score(db_session, AS_OF)
    assert "1 suppliers" in said
    fresh = stored_ratings(db_session, BuyerTotals, world["leeds"].id)
    assert fresh is not None and fresh.counts["Approaching target"] == 1
    counted = stored_ratings(db_session, SupplierTotals, world["other"].id)
    assert counted is not None and counted.total == 2
    # The York buyer was not rated by the changed supplier: its row was not rewritten.
    york = db_session.get(BuyerTotals, world["york"].id)
    assert york is not None and stale is not None and york.computed_at == stale.computed.at
