"""Supplier, buyer and framework pages list the flags about them."""

from __future__ import annotations

import datetime

import webtest
from sqlalchemy.orm import Session

from registry.flags.detectors import load_settings
from registry.flags.services import run_detection
from tests.common.db.core import BuyerFactory, FrameworkFactory, SupplierFactory
from tests.common.db.flags import award_run, market


def test_supplier_page_shows_its_groups_flags(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    groups = market({"EMIS": 4, "TPP": 4, "Vision": 1, "Microtest": 1})
    run_detection(db_session, load_settings({}), ["monopoly_duopoly"])
    for name in ("EMIS", "TPP"):
        supplier = groups[name].suppliers[0]
        page = webtest_app.get(f"/suppliers/{supplier.id}")
        section = page.html.find(id="flags").find_next("table")
        assert "Monopoly or duopoly (duopoly)" in section.text
        assert section.find("a")["href"].startswith("/flags/")
    vision = groups["Vision"].suppliers[0]
    assert (
        "No lock-in flags have been raised here" in webtest_app.get(f"/suppliers/{vision.id}").text
    )


def test_buyer_page_shows_its_flags(webtest_app: webtest.TestApp, db_session: Session) -> None:
    buyer = BuyerFactory()
    award_run(buyer, SupplierFactory(), ["direct award"] * 3)
    run_detection(db_session, load_settings({}), ["repeat_awards"])
    page = webtest_app.get(f"/buyers/{buyer.id}")
    assert "Repeat awards without competition" in page.html.find(id="flags").find_next("table").text


def test_framework_page_shows_its_flags(webtest_app: webtest.TestApp, db_session: Session) -> None:
    framework = FrameworkFactory(end_date=datetime.date(2030, 1, 1))
    run_detection(db_session, load_settings({}), ["over_long_framework"])
    page = webtest_app.get(f"/frameworks/{framework.reference}")
    assert "Over-long framework" in page.html.find(id="flags").find_next("table").text
