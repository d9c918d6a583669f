"""On the seeded registry: RM6068 (recorded live, ended 31 July 2025) is shown expired; the
closed-framework detector judges only GP Systems of Choice lot 1, the one lot whose membership
list is complete; figures built on the illustrative GP practices say so; and no public page
carries an internal issue reference."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.flags.detectors import DETECTORS, load_settings
from registry.flags.models import Flag, FlagStatus
from registry.flags.services import active_flags, run_detection
from registry.frameworks.models import Framework, Lot
from tests.common.db.core import ContractFactory, SupplierFactory

pytestmark = pytest.mark.slow

INTERNAL_REFERENCE = re.compile(r"\bissues? \d+", re.IGNORECASE)


def _words(page: webtest.TestResponse) -> str:
    return " ".join(page.html.get_text(" ").split())


def _gpsoc_lot(db: Session, number: str) -> Lot:
    return db.execute(
        sa.select(Lot)
        .join(Framework, Framework.id == Lot.framework_id)
        .where(Framework.reference == "GPSoC", Lot.number == number)
    ).scalar_one()


def test_rm6068_recorded_live_is_shown_expired(seeded_webtest_app: webtest.TestApp) -> None:
    row = seeded_webtest_app.get("/frameworks").html.find("a", string="RM6068").find_parent("tr")
    assert "Expired" in row.text and "Live" not in row.text
    page = _words(seeded_webtest_app.get("/frameworks/RM6068"))
    assert "Status Expired" in page and "expired on 31 July 2025" in page
    # Its suppliers' memberships ended with it.
    assert "Ended 31 July 2025" in page and ">Active<" not in seeded_webtest_app.get(
        "/frameworks/RM6068"
    ).text.replace(" ", "")


def test_only_the_complete_lot_is_judged_and_the_others_flags_are_resolved(
    seeded_db_session: Session,
) -> None:
    db = seeded_db_session
    lots = list(db.execute(sa.select(Lot)).scalars())
    complete = {lot.id for lot in lots if lot.membership_complete}
    assert complete == {_gpsoc_lot(db, "1").id}  # as seeded
    settings = load_settings({})
    # Were every lot's list complete, the detector would judge them all.
    for lot in lots:
        lot.membership_complete = True
    db.flush()
    run_detection(db, settings)
    every = len(active_flags(db))
    judged_all = {f.subject_key for f in active_flags(db, "closed_framework")}
    assert len(judged_all) > 1 and "GPSoC/lot-1" in judged_all
    # As seeded: the incomplete lots' flags are resolved, saying why, and the count drops by them.
    for lot in lots:
        lot.membership_complete = lot.id in complete
    db.flush()
    run_detection(db, settings, ["closed_framework"])
    assert {f.subject_key for f in active_flags(db, "closed_framework")} == {"GPSoC/lot-1"}
    assert len(active_flags(db)) == every - (len(judged_all) - 1)
    resolved = db.execute(
        sa.select(Flag).where(
            Flag.detector == "closed_framework", Flag.status == FlagStatus.resolved
        )
    ).scalars()
    assert {f.subject_key: f.status_reason for f in resolved} == {
        key: "not applicable: membership list incomplete" for key in judged_all - {"GPSoC/lot-1"}
    }


def test_figures_built_on_the_illustrative_practices_carry_the_mark(
    seeded_webtest_app: webtest.TestApp, seeded_db_session: Session
) -> None:
    run_detection(seeded_db_session, load_settings({}))
    seeded_db_session.flush()
    lot = _gpsoc_lot(seeded_db_session, "1")
    for url in ("/markets/cpv-48814", f"/markets/lot-{lot.id}"):
        notice = seeded_webtest_app.get(url).html.find(id="illustrative")
        assert notice is not None, url
        assert "Illustrative" in notice.text and "7,526" in notice.text
    flag = seeded_db_session.execute(
        sa.select(Flag).where(Flag.detector == "monopoly_duopoly", Flag.subject_key == "cpv-48814")
    ).scalar_one()
    notice = seeded_webtest_app.get(f"/flags/{flag.id}").html.find(id="illustrative")
    assert notice is not None and "contracts counted are illustrative" in notice.text


def test_a_market_of_official_records_carries_no_mark(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    supplier = SupplierFactory()
    for _ in range(3):
        ContractFactory(supplier=supplier, cpv_code="79000000")
    db_session.commit()
    assert webtest_app.get("/markets/cpv-79000").html.find(id="illustrative") is None
    ContractFactory(supplier=supplier, cpv_code="79000000", illustrative=True)
    db_session.commit()
    notice = webtest_app.get("/markets/cpv-79000").html.find(id="illustrative")
    assert notice is not None and "1 of 4 contracts counted is illustrative" in " ".join(
        notice.text.split()
    )


def _public_pages(app: webtest.TestApp, db: Session) -> list[str]:
    pages = [
        "/",
        "/frameworks",
        "/suppliers",
        "/suppliers/groups",
        "/buyers",
        "/contracts",
        "/methodology",
        "/assessment-clocks",
        "/assessments",
        "/markets",
        "/flags",
        "/opportunities",
        "/exposure",
        "/products",
        "/data",
        "/data/imports",
        "/api/v1/openapi.json",
    ]
    pages += [f"/frameworks/{ref}" for ref in db.execute(sa.select(Framework.reference)).scalars()]
    pages += [f"/flags/detectors/{detector}" for detector in DETECTORS]
    first_flags = db.execute(sa.select(sa.func.min(Flag.id)).group_by(Flag.detector)).scalars()
    pages += [f"/flags/{flag_id}" for flag_id in first_flags]
    lot = _gpsoc_lot(db, "1")
    pages += [f"/markets/lot-{lot.id}", "/markets/cpv-48814", "/frameworks/GPSoC/lots/1"]
    for href in app.get("/suppliers").html.select("tbody a[href^='/suppliers/']")[:3]:
        pages.append(href["href"])
    return pages


def test_no_public_page_carries_an_internal_issue_reference(
    seeded_webtest_app: webtest.TestApp, seeded_db_session: Session
) -> None:
    run_detection(seeded_db_session, load_settings({}))
    seeded_db_session.flush()
    found: dict[str, Any] = {}
    pages = _public_pages(seeded_webtest_app, seeded_db_session)
    assert len(pages) > 40
    for url in pages:
        text = seeded_webtest_app.get(url).text
        if match := INTERNAL_REFERENCE.search(text):
            found[url] = match.group(0)
    assert found == {}
