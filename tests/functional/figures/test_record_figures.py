"""Stored supplier, buyer and lot figures and totals (issue 21): the record and list pages read
them, so their statements do not grow with the contracts or the assessments; they equal the live
aggregates; a web write shows at once."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.buyers.models import BuyerType
from registry.buyers.views import buyer_figures
from registry.contracts.models import Contract
from registry.figures.models import (
    BuyerSupplierFigures,
    BuyerTotals,
    LotFigures,
    SupplierFigures,
    SupplierTotals,
)
from registry.figures.services import refresh_all
from registry.frameworks.money import lot_spend
from registry.records import Publication
from registry.scoring.assessments.models import Assessment, AssessmentStatus, Rating
from registry.suppliers import queries
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    SupplierFactory,
    SupplierGroupFactory,
)
from tests.common.site import merge_on_site

N = 12
# A page summing contract values itself: what the stored figures replace. (The buyer page's
# unsupported-software list sums only the contracts linked to a product past its support.)
SUMS_CONTRACTS = re.compile(r"sum\((CASE WHEN \()?contracts\.", re.IGNORECASE)


def sums_contracts(statement: str) -> bool:
    return bool(SUMS_CONTRACTS.search(statement)) and "contract_products" not in statement


@pytest.fixture
def world(db_session: Session) -> dict[str, Any]:
    emis = SupplierGroupFactory.create(name="EMIS Group")
    tpp = SupplierGroupFactory.create(name="TPP Group")
    suppliers = [
        SupplierFactory.create(name="EMIS Health", group=emis, companies_house_number="01234567"),
        SupplierFactory.create(name="EMIS Clinical", group=emis),
        SupplierFactory.create(name="TPP", group=tpp),
    ]
    buyers = [
        BuyerFactory.create(name="Leeds Trust", buyer_type=BuyerType.nhs_trust, identifier="RR8"),
        BuyerFactory.create(name="Leeds ICB", buyer_type=BuyerType.integrated_care_board),
    ]
    framework = FrameworkFactory.create(reference="RM6221")
    lots = [LotFactory.create(framework=framework, number=str(n)) for n in (1, 2, 3)]
    db_session.commit()
    return {"suppliers": suppliers, "buyers": buyers, "framework": framework, "lots": lots}


def add_contracts(db: Session, world: dict[str, Any], count: int, start: int = 0) -> None:
    """`count` contracts over the world's suppliers, buyers and lots (a bulk insert, as an
    import makes): values in pence, other currencies, none, ceilings only, drafts, retractions."""
    rows = []
    for n in range(start, start + count):
        value: Decimal | None = Decimal(1000 + 37 * n) + Decimal(n % 100) / 100
        currency: str | None = "GBP" if n % 7 else "EUR"
        ceiling = None
        if n % 11 == 0:
            value, currency, ceiling = None, None, Decimal(500_000)
        rows.append(
            {
                "title": f"Contract {n}",
                "buyer_id": world["buyers"][n % 2].id,
                "supplier_id": world["suppliers"][n % 3].id,
                "lot_id": world["lots"][n % 2].id if n % 5 else None,
                "value_amount": value,
                "currency": currency,
                "ceiling_amount": ceiling,
                "ceiling_currency": "GBP" if ceiling else None,
                "award_date": datetime.date(2020 + n % 4, 1, 1),
                "cpv_code": "48000000",
                "publication": Publication.draft if n % 13 == 0 else Publication.published,
                "retracted_at": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
                if n % 17 == 0
                else None,
                "retraction_reason": "Published in error" if n % 17 == 0 else None,
                "source": "import",
            }
        )
    db.execute(sa.insert(Contract), rows)


RATINGS = list(Rating)


def add_assessments(db: Session, count: int, start: int = 0) -> None:
    """`count` assessments of the contracts there are (a bulk insert, as the benchmark's data
    is written): every rating, drafts, retractions."""
    contracts = db.execute(
        sa.select(Contract.id, Contract.supplier_id, Contract.buyer_id).order_by(Contract.id)
    ).all()
    rows = []
    for n in range(start, start + count):
        contract = contracts[n % len(contracts)]
        end = datetime.date(2024, 1 + n % 12, 28)
        rows.append(
            {
                "contract_id": contract.id,
                "supplier_id": contract.supplier_id,
                "buyer_id": contract.buyer_id,
                "kpi": f"KPI {n}",
                "kpi_key": f"kpi {n}",
                "period_start": datetime.date(2024, 1, 1),
                "period_end": end,
                "period_end_day": end.toordinal(),
                "rating": RATINGS[n % len(RATINGS)],
                "weight": Decimal(1),
                "status": AssessmentStatus.draft if n % 9 == 0 else AssessmentStatus.published,
                "retracted_at": datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC)
                if n % 10 == 0
                else None,
            }
        )
    db.execute(sa.insert(Assessment), rows)


def drop_stored(db: Session) -> None:
    for model in (SupplierFigures, BuyerSupplierFigures, LotFigures, SupplierTotals, BuyerTotals):
        db.execute(sa.delete(model))


@pytest.fixture
def statements(db_connection: sa.Connection) -> Iterator[list[str]]:
    """The SQL statements run on the test's connection while a test records them."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = db_connection.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def pages(world: dict[str, Any]) -> list[str]:
    return [
        f"/suppliers/{world['suppliers'][0].id}",
        f"/buyers/{world['buyers'][0].id}",
        f"/frameworks/{world['framework'].reference}",
        *LISTS,
    ]


LISTS = [
    "/suppliers",
    "/suppliers?sort=value",
    "/buyers",
    "/buyers?sort=value",
    "/suppliers/groups",
]
# A page counting assessments itself: what the stored ratings replace (the clocks' statement
# counts within windows over its rows, not this).
COUNTS_ASSESSMENTS = re.compile(r"count\(\*\)[^()]*FROM assessments", re.IGNORECASE)


def counted(app: webtest.TestApp, statements: list[str], path: str) -> list[str]:
    app.get(path)  # the first sight of a page builds what a process keeps
    statements.clear()
    app.get(path)
    return list(statements)


def test_page_statements_do_not_grow_with_the_contracts(
    webtest_app: webtest.TestApp,
    db_session: Session,
    world: dict[str, Any],
    statements: list[str],
) -> None:
    add_contracts(db_session, world, N)
    add_assessments(db_session, N)
    refresh_all(db_session)
    db_session.commit()
    before = {path: counted(webtest_app, statements, path) for path in pages(world)}
    add_contracts(db_session, world, 9 * N, start=N)
    add_assessments(db_session, 9 * N, start=N)
    refresh_all(db_session)
    db_session.commit()
    after = {path: counted(webtest_app, statements, path) for path in pages(world)}
    for path in pages(world):
        assert len(after[path]) == len(before[path]), path
        # Read from the stored rows, not summed from the contracts nor counted from assessments.
        for seen in (before[path], after[path]):
            assert not [s for s in seen if sums_contracts(s)], path
            assert not [s for s in seen if COUNTS_ASSESSMENTS.search(s)], path
            if path in LISTS:  # no totals grouped from the contracts (the old lists' way)
                assert not [s for s in seen if "GROUP BY contracts." in s], path
    supplier, buyer, framework, *lists, _ = pages(world)
    assert any("supplier_figures" in s for s in after[supplier])
    assert any("supplier_totals" in s for s in after[supplier])  # its scorecard's count
    assert any("buyer_supplier_figures" in s for s in after[buyer])
    assert any("buyer_totals" in s for s in after[buyer])  # its ratings
    assert any("lot_figures" in s for s in after[framework])
    for path in lists:
        table = "supplier_totals" if path.startswith("/suppliers") else "buyer_totals"
        assert any(table in s for s in after[path]), path
    # The pages show what the stored rows hold, and when they were computed.
    buyer_page = webtest_app.get(buyer).text
    assert "These counts were computed" in buyer_page
    for path in lists:
        assert "These figures were computed" in webtest_app.get(path).text, path
    # Ten times the contracts, and the pages say so.
    page = webtest_app.get(pages(world)[0])
    assert "These figures were computed" in page.text


def stored_and_live(db: Session, world: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    def read() -> dict[str, Any]:
        suppliers = {}
        for s in world["suppliers"]:
            figures = queries.contracts_by_buyer_type(db, s.id)
            rows = sorted((r.buyer_type, r.currency or "", r.count, r.value) for r in figures.rows)
            suppliers[s.id] = (rows, figures.use, figures.computed is not None)
        buyers = {}
        for b in world["buyers"]:
            f = buyer_figures(db, b.id)
            shares = [(g.group_id, g.contracts, g.value, g.share, g.suppliers) for g in f.shares]
            buyers[b.id] = (f.contracts, f.value, f.use, shares, f.computed is not None)
        spend, computed = lot_spend(db, [lot.id for lot in world["lots"]])
        return {"suppliers": suppliers, "buyers": buyers, "lots": (spend, computed is not None)}

    stored = read()
    drop_stored(db)
    live = read()
    return stored, live


def without_when(figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "suppliers": {k: v[:2] for k, v in figures["suppliers"].items()},
        "buyers": {k: v[:4] for k, v in figures["buyers"].items()},
        "lots": figures["lots"][0],
    }


def test_stored_figures_equal_the_live_aggregates(
    db_session: Session, world: dict[str, Any]
) -> None:
    add_contracts(db_session, world, 10 * N)
    refresh_all(db_session)
    stored, live = stored_and_live(db_session, world)
    assert all(v[2] for v in stored["suppliers"].values())  # read from the stored rows
    assert all(v[4] for v in stored["buyers"].values())
    assert stored["lots"][1]
    assert not any(v[2] for v in live["suppliers"].values())  # and these worked out now
    assert without_when(stored) == without_when(live)
    # The sample covers what the figures must tell apart.
    use = stored["suppliers"][world["suppliers"][0].id][1]
    assert use.other_currency and use.ceiling_only and use.valued < use.contracts
    assert stored["lots"][0][world["lots"][2].id] == (Decimal(0), 0, 0)  # a lot with none


def test_stored_figures_equal_the_live_ones_on_the_seed(seeded_db_session: Session) -> None:
    db = seeded_db_session
    refresh_all(db)
    supplier_ids = list(db.execute(sa.select(Contract.supplier_id).distinct()).scalars())
    buyer_ids = list(db.execute(sa.select(Contract.buyer_id).distinct()).scalars())
    lot_ids = list(db.execute(sa.select(LotFigures.lot_id)).scalars())
    assert supplier_ids and buyer_ids and lot_ids

    def read() -> Any:
        return (
            {
                i: sorted(
                    (r.buyer_type, r.currency or "", r.count, r.value)
                    for r in queries.contracts_by_buyer_type(db, i).rows
                )
                for i in supplier_ids
            },
            {i: buyer_figures(db, i) for i in buyer_ids},
            lot_spend(db, lot_ids)[0],
        )

    stored = read()
    drop_stored(db)
    live = read()
    assert stored[0] == live[0]
    assert stored[2] == live[2]
    for i in buyer_ids:
        a, b = stored[1][i], live[1][i]
        assert a.computed is not None and b.computed is None
        assert (a.contracts, a.value, a.use) == (b.contracts, b.value, b.use), i
        assert [(g.group_id, g.contracts, g.value, g.suppliers) for g in a.shares] == [
            (g.group_id, g.contracts, g.value, g.suppliers) for g in b.shares
        ], i


def test_publishing_a_contract_on_the_site_shows_at_once(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session, world: dict[str, Any]
) -> None:
    add_contracts(db_session, world, N)
    supplier, buyer, lot = world["suppliers"][0], world["buyers"][0], world["lots"][0]
    draft = ContractFactory.create(
        title="Draft EPR",
        buyer=buyer,
        supplier=supplier,
        lot=lot,
        value_amount=Decimal("4321.09"),
        publication=Publication.draft,
    )
    db_session.commit()
    refresh_all(db_session)
    db_session.commit()
    before = stored_and_live(db_session, world)[0]
    refresh_all(db_session)
    db_session.commit()

    login_as("admin")
    page = webtest_app.get(f"/contracts/{draft.id}/publish").forms[0].submit().follow()
    assert "Contract published" in page.text
    webtest_app.get("/logout").forms[0].submit()

    # Stored, in the publishing transaction, and equal to the live figures.
    stored, live = stored_and_live(db_session, world)
    assert stored["suppliers"][supplier.id][2] and stored["buyers"][buyer.id][4]
    assert without_when(stored) == without_when(live)
    use = stored["suppliers"][supplier.id][1]
    assert use.contracts == before["suppliers"][supplier.id][1].contracts + 1
    assert use.value == before["suppliers"][supplier.id][1].value + Decimal("4321.09")
    assert stored["lots"][0][lot.id][0] == before["lots"][0][lot.id][0] + Decimal("4321.09")
    refresh_all(db_session)  # the stored rows again, as the publishing left them
    db_session.commit()
    text = webtest_app.get(f"/suppliers/{supplier.id}").text
    assert f"{use.contracts} published contracts" in text
    assert "These figures were computed" in text
    buyer_page = webtest_app.get(f"/buyers/{buyer.id}").text
    assert f"{stored['buyers'][buyer.id][0]} published contracts" in buyer_page


def test_a_page_without_stored_figures_works_them_out_now(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    add_contracts(db_session, world, N)
    db_session.commit()
    for path in pages(world)[:-1]:
        assert "These figures are worked out now" in webtest_app.get(path).text, path


def test_a_merge_moves_the_stored_figures(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session, world: dict[str, Any]
) -> None:
    add_contracts(db_session, world, N)
    refresh_all(db_session)
    db_session.commit()
    merged, survivor = world["suppliers"][1], world["suppliers"][0]
    login_as("admin")
    merge_on_site(webtest_app, merged.id, survivor.id)
    stored, live = stored_and_live(db_session, world)
    assert stored["suppliers"][survivor.id][2]
    assert without_when(stored) == without_when(live)
    assert stored["suppliers"][merged.id][1].contracts == 0
