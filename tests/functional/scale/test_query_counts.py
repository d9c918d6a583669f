"""No N+1: each main public page runs the same number of SQL queries however much data it shows.

Each page is loaded once on a little data, then again after more of what it lists was added
(contracts, buyers, members, obligations, flags); the statements are counted by a listener on the
test's connection, which every request of the app uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import webtest
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from registry.flags.detectors import load_settings
from registry.flags.models import Flag
from registry.flags.services import run_detection
from registry.markets.figures import refresh_market_figures
from tests.common.db.core import (
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    ObligationFactory,
    SupplierFactory,
)
from tests.common.db.flags import market
from tests.common.search import IndexHelper

CPV = "48814000"


@contextmanager
def counting(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


def _content(response: webtest.TestResponse) -> str:
    return re.sub(r'nonce="[^"]*"', "", response.text)  # the CSP nonce changes on every request


class Registry:
    """A market with a duopoly flag, a framework whose lot the leading supplier is on."""

    def __init__(self, db: Session, stored_figures: bool = False) -> None:
        self.db = db
        self.stored_figures = stored_figures
        groups = market({"EMIS": 4, "TPP": 4, "Vision": 1, "Microtest": 1}, cpv=CPV)
        self.supplier = groups["EMIS"].suppliers[0]
        self.framework = FrameworkFactory()
        self.lot = LotFactory(framework=self.framework)
        MembershipFactory(supplier=self.supplier, lot=self.lot)
        ObligationFactory(framework=self.framework)
        self.detect()
        self.flag = db.query(Flag).order_by(Flag.id).first()
        db.flush()

    def detect(self) -> None:
        run_detection(self.db, load_settings({}), ["monopoly_duopoly", "buyer_dependency"])
        if self.stored_figures:
            refresh_market_figures(self.db, 5)

    def grow(self, n: int = 6) -> None:
        """More of everything the pages list: contracts, buyers, members, obligations, flags."""
        for _ in range(n):
            ContractFactory(supplier=self.supplier, cpv_code=CPV, lot=self.lot)
            MembershipFactory(supplier=SupplierFactory(), lot=self.lot)
            ObligationFactory(framework=self.framework)
        self.detect()
        self.db.flush()


PAGES: dict[str, Callable[[Registry], str]] = {
    "supplier": lambda r: f"/suppliers/{r.supplier.id}",
    "market": lambda r: f"/markets/cpv-{CPV[:5]}",
    "market, stored figures": lambda r: f"/markets/cpv-{CPV[:5]}",
    "flag": lambda r: f"/flags/{r.flag.id}",
    "framework": lambda r: f"/frameworks/{r.framework.reference}",
    "lot": lambda r: f"/frameworks/{r.framework.reference}/lots/{r.lot.number}",
    "search": lambda r: "/search?q=Ltd",
}


@pytest.mark.parametrize("page", list(PAGES))
def test_query_count_does_not_grow_with_the_data(
    page: str,
    webtest_app: webtest.TestApp,
    db_session: Session,
    db_connection: Connection,
    app_settings: dict[str, Any],
) -> None:
    registry = Registry(db_session, stored_figures=page == "market, stored figures")
    index = IndexHelper(app_settings, db_session)
    index.rebuild()
    path = PAGES[page](registry)
    webtest_app.get(path)  # warm: first-request work (caches, lazy configuration) is not counted
    with counting(db_connection) as before:
        small = webtest_app.get(path)
    registry.grow()
    index.rebuild()
    with counting(db_connection) as after:
        large = webtest_app.get(path)
    # The search page reads the index alone (and the data version its ETag is made from, issue
    # 21); every other page reads the database.
    own = [s for s in before if "SAVEPOINT" not in s and "FROM data_version" not in s]
    assert bool(own) == (page != "search"), "the listener sees the page's queries"
    assert _content(large) != _content(small), "the page shows the added data"
    assert len(after) == len(before), (
        f"{path}: {len(before)} queries, then {len(after)} with more data:\n" + "\n".join(after)
    )
