"""The flag pages and the flag lifecycle through the real app, with CSRF and roles."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.services import events_for
from registry.flags.detectors import load_settings
from registry.flags.models import Flag, FlagStatus
from registry.flags.services import run_detection
from tests.common.db.core import BuyerFactory, ContractFactory, FrameworkFactory, SupplierFactory
from tests.common.db.flags import award_run, market


def _flags(db: Session) -> dict[str, Flag]:
    run_detection(db, load_settings({}))
    db.commit()
    return {f"{f.detector}:{f.subject_key}": f for f in db.execute(sa.select(Flag)).scalars()}


@pytest.fixture
def gpsoc(db_session: Session) -> dict[str, Flag]:
    market({"EMIS": 56, "TPP": 34, "Vision": 9, "Microtest": 1})
    return _flags(db_session)


def test_flag_page_shows_the_numbers_rule_source_and_inputs(
    webtest_app: webtest.TestApp, gpsoc: dict[str, Flag]
) -> None:
    flag = gpsoc["market_concentration:cpv-48814"]
    page = webtest_app.get(f"/flags/{flag.id}")
    text = " ".join(page.text.split())
    # In words: no CR1/HHI abbreviations, no settings' names (issue 19).
    assert "(Herfindahl-Hirschman, 0 to 10,000) of <strong>4,374.0</strong>" in page.text
    assert (
        "the largest supplier group holds 56.0%, the two largest 90.0% and the four largest "
        "100.0%" in text
    )
    assert "is above 1,800" in text
    words = " ".join(page.html.text.split())
    assert (
        "Concentration (Herfindahl-Hirschman index) above which a market is flagged 1,800" in words
    )
    assert "registry.detectors" not in text and "CR1" not in text
    assert "Merger Guidelines 2023" in text
    assert "A flag is a reason to review, not proof of wrongdoing" in text
    assert page.html.find("a", href="/markets/cpv-48814")
    assert "Supplier group: EMIS" in page.text and "Supplier group: TPP" in page.text
    assert "detected" in page.html.select("table")[-1].text  # its history
    assert not page.forms  # the public cannot triage


def test_contract_flags_link_their_contracts(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    buyer, supplier = BuyerFactory(), SupplierFactory()
    runs = award_run(buyer, supplier, ["direct award"] * 3)
    flags = _flags(db_session)
    (flag,) = [f for key, f in flags.items() if key.startswith("repeat_awards:")]
    page = webtest_app.get(f"/flags/{flag.id}")
    for contract in runs:
        assert page.html.find("a", href=f"/contracts/{contract.id}")
    assert page.html.find("a", href=f"/buyers/{buyer.id}")
    assert page.html.find("a", href=f"/suppliers/{supplier.id}")


def test_flag_list_filters(webtest_app: webtest.TestApp, db_session: Session) -> None:
    market({"EMIS": 56, "TPP": 34, "Vision": 9, "Microtest": 1})
    FrameworkFactory(reference="RM0001", end_date=datetime.date(2030, 1, 1))
    _flags(db_session)
    everything = _table(webtest_app.get("/flags"))
    assert "Market concentration" in everything and "RM0001" in everything
    only = _table(webtest_app.get("/flags", {"detector": "over_long_framework"}))
    assert "RM0001" in only and "Market concentration" not in only
    markets = _table(
        webtest_app.get("/flags", {"subject_type": "market", "severity": "high", "status": "open"})
    )
    assert "Medical information systems" in markets and "RM0001" not in markets
    none = webtest_app.get("/flags", {"status": "dismissed"})
    assert "No flags match these filters" in none.text
    bad = webtest_app.get("/flags", {"severity": "apocalyptic"})
    assert "There is no severity called" in bad.text


def test_flag_list_is_paginated(webtest_app: webtest.TestApp, db_session: Session) -> None:
    for i in range(27):
        ContractFactory(
            start_date=datetime.date(2020, 1, 1),
            original_end_date=datetime.date(2021, 1, 1),
            end_date=datetime.date(2022, 1, 1 + i),
        )
    _flags(db_session)
    first = webtest_app.get("/flags", {"detector": "extension_creep"})
    assert "Showing 1 to 25 of 27 flags" in first.text
    second = webtest_app.get("/flags", {"detector": "extension_creep", "page": "2"})
    assert "Showing 26 to 27 of 27 flags" in second.text


def test_empty_flag_list(webtest_app: webtest.TestApp) -> None:
    assert "No flags have been raised" in webtest_app.get("/flags").text
    webtest_app.get("/flags/999999", status=404)


def test_auditor_acknowledges_then_resolves_a_flag(
    webtest_app: webtest.TestApp, db_session: Session, gpsoc: dict[str, Flag], login_as: Any
) -> None:
    flag = gpsoc["monopoly_duopoly:cpv-48814"]
    auditor = login_as("auditor")
    page = webtest_app.get(f"/flags/{flag.id}")
    form = page.forms[0]
    form["status"] = "acknowledged"
    form["reason"] = "Raised with the commissioner"
    page = form.submit().follow()
    assert "The flag is now acknowledged" in page.text

    form = page.forms[0]
    assert [value for value, *_ in form["status"].options] == ["resolved", "dismissed"]
    form["status"] = "resolved"
    form["reason"] = "GP IT Futures opened the market"
    page = form.submit().follow()
    assert "Resolved: GP IT Futures opened the market" in page.text
    assert not page.forms

    db_session.expire_all()
    flag = db_session.get(Flag, flag.id)
    assert flag.status == FlagStatus.resolved
    events = events_for(db_session, "flag", flag.id)
    assert [e.action for e in events][-2:] == ["flag.acknowledged", "flag.resolved"]
    assert events[-1].actor_id == auditor.id
    assert events[-1].reason == "GP IT Futures opened the market"


def test_a_reason_is_required(
    webtest_app: webtest.TestApp, db_session: Session, gpsoc: dict[str, Flag], login_as: Any
) -> None:
    flag = gpsoc["monopoly_duopoly:cpv-48814"]
    login_as("auditor")
    form = webtest_app.get(f"/flags/{flag.id}").forms[0]
    form["status"] = "dismissed"
    form["reason"] = "   "
    page = form.submit(status=400)
    assert "Enter the reason for the change" in page.text
    db_session.expire_all()
    assert db_session.get(Flag, flag.id).status == FlagStatus.open


def test_a_finished_flag_cannot_be_moved(
    webtest_app: webtest.TestApp, db_session: Session, gpsoc: dict[str, Flag], login_as: Any
) -> None:
    flag = gpsoc["monopoly_duopoly:cpv-48814"]
    login_as("auditor")
    form = webtest_app.get(f"/flags/{flag.id}").forms[0]
    form["status"] = "dismissed"
    form["reason"] = "Known"
    form.submit().follow()
    assert not webtest_app.get(f"/flags/{flag.id}").forms  # nothing more is offered
    page = webtest_app.post(
        f"/flags/{flag.id}/status",
        {"status": "resolved", "reason": "Changed my mind", "csrf_token": _token(webtest_app)},
        status=400,
    )
    assert "A flag that is dismissed cannot be changed" in page.text
    db_session.expire_all()
    assert db_session.get(Flag, flag.id).status == FlagStatus.dismissed


@pytest.mark.parametrize("role", ["officer", "supplier"])
def test_other_roles_are_refused(
    webtest_app: webtest.TestApp,
    db_session: Session,
    gpsoc: dict[str, Flag],
    login_as: Any,
    role: str,
) -> None:
    flag = gpsoc["monopoly_duopoly:cpv-48814"]
    kwargs: dict[str, Any] = {}
    if role == "officer":
        kwargs["buyer_id"] = BuyerFactory().id
    else:
        kwargs["supplier_id"] = SupplierFactory().id
    db_session.commit()
    login_as(role, **kwargs)
    page = webtest_app.get(f"/flags/{flag.id}")
    assert not page.forms
    webtest_app.post(
        f"/flags/{flag.id}/status",
        {"status": "dismissed", "reason": "x", "csrf_token": _token(webtest_app)},
        status=403,
    )
    db_session.expire_all()
    assert db_session.get(Flag, flag.id).status == FlagStatus.open


def test_anonymous_post_is_refused_and_csrf_is_required(
    webtest_app: webtest.TestApp, db_session: Session, gpsoc: dict[str, Flag], login_as: Any
) -> None:
    flag = gpsoc["monopoly_duopoly:cpv-48814"]
    webtest_app.post(f"/flags/{flag.id}/status", {"status": "dismissed", "reason": "x"}, status=403)
    login_as("auditor")
    webtest_app.post(f"/flags/{flag.id}/status", {"status": "dismissed", "reason": "x"}, status=400)
    db_session.expire_all()
    assert db_session.get(Flag, flag.id).status == FlagStatus.open


def _table(page: webtest.TestResponse) -> str:
    table = page.html.find("tbody")
    return table.text if table else ""


def _token(app: webtest.TestApp) -> str:
    """The session's CSRF token, from the sign-out confirmation form every user can open."""
    page = app.get("/logout")
    return page.html.find("input", {"name": "csrf_token"})["value"]
