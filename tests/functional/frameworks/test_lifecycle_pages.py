"""Lifecycles that follow their dates: a framework recorded live whose end has passed is shown
expired on its pages, the list (filtered and sorted), the API and the open data; its memberships
are shown ended with the date; an admin is told which recorded statuses disagree with their dates."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import webtest
from sqlalchemy.orm import Session

from registry.frameworks.lifecycle import membership_state, shown_status
from registry.frameworks.models import FrameworkStatus, MembershipStatus
from tests.common.db.core import (
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    SupplierFactory,
)


def _words(page: webtest.TestResponse) -> str:
    return " ".join(page.html.get_text(" ").split())


def _status_cells(page: webtest.TestResponse) -> dict[str, str]:
    return {
        row.select("td")[0].text.strip(): row.select("td")[3].text.strip()
        for row in page.html.select("tbody tr")
    }


def _past_its_end(db_session: Session) -> Any:
    lapsed = FrameworkFactory.create(
        reference="RM6068",
        title="Technology Products and Associated Services",
        status=FrameworkStatus.live,
        start_date=datetime.date(2019, 8, 1),
        end_date=datetime.date(2025, 7, 31),
    )
    FrameworkFactory.create(reference="RM7000", status=FrameworkStatus.live, end_date=None)
    lot = LotFactory.create(framework=lapsed, number="1", title="Hardware")
    supplier = SupplierFactory.create(name="Acme Devices Ltd")
    MembershipFactory.create(lot=lot, supplier=supplier, status=MembershipStatus.active)
    db_session.commit()
    return supplier


def test_a_live_framework_past_its_end_is_shown_expired_everywhere(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    _past_its_end(db_session)
    assert _status_cells(webtest_app.get("/frameworks")) == {"RM6068": "Expired", "RM7000": "Live"}
    # Filtered and sorted by the status shown, not the one recorded.
    assert list(_status_cells(webtest_app.get("/frameworks?status=expired"))) == ["RM6068"]
    assert list(_status_cells(webtest_app.get("/frameworks?status=live"))) == ["RM7000"]
    assert list(_status_cells(webtest_app.get("/frameworks?sort=status"))) == ["RM7000", "RM6068"]
    detail = _words(webtest_app.get("/frameworks/RM6068"))
    assert "Status Expired" in detail
    assert "This framework expired on 31 July 2025" in detail
    # Nothing for the public about the recorded status.
    assert "recorded as" not in detail
    api = {f["reference"]: f for f in webtest_app.get("/api/v1/frameworks").json["data"]}
    assert (api["RM6068"]["status"], api["RM6068"]["recorded_status"]) == ("expired", "live")
    assert api["RM7000"]["status"] == "live"
    rows = {
        row["reference"]: row
        for row in csv.DictReader(io.StringIO(webtest_app.get("/data/frameworks.csv").text))
    }
    assert rows["RM6068"]["status"] == "expired" and rows["RM7000"]["status"] == "live"


def test_a_membership_of_an_expired_framework_is_shown_ended_with_the_date(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    supplier = _past_its_end(db_session)
    supplier_page = webtest_app.get(f"/suppliers/{supplier.id}")
    row = supplier_page.html.find("a", string=lambda s: bool(s and "RM6068" in s)).find_parent("tr")
    assert "Ended 31 July 2025" in row.text and "Active" not in row.text
    lot_page = _words(webtest_app.get("/frameworks/RM6068/lots/1"))
    assert "Status Ended 31 July 2025" in lot_page
    framework_page = webtest_app.get("/frameworks/RM6068")
    assert "Ended 31 July 2025" in framework_page.html.select_one("#lots ~ table").text
    rows = list(csv.DictReader(io.StringIO(webtest_app.get("/data/memberships.csv").text)))
    assert [r["status"] for r in rows] == ["ended"]


def test_an_admin_is_told_which_recorded_statuses_disagree_with_their_dates(
    webtest_app: webtest.TestApp, db_session: Session, login_as: Any
) -> None:
    _past_its_end(db_session)
    assert webtest_app.get("/frameworks").html.find(id="status-disagreements") is None
    login_as("admin")
    notice = webtest_app.get("/frameworks").html.find(id="status-disagreements")
    text = " ".join(notice.get_text(" ").split())
    assert "RM6068 : recorded as Live, but it ended on 31 July 2025: shown as Expired" in text
    assert "RM7000" not in text
    detail = _words(webtest_app.get("/frameworks/RM6068"))
    assert "(recorded as Live: its end date has passed)" in detail


def test_state_rules_on_the_day(db_session: Session) -> None:
    framework = FrameworkFactory.build(
        status=FrameworkStatus.live,
        end_date=datetime.date(2024, 3, 31),
        extended_end_date=datetime.date(2025, 3, 31),
    )
    member = MembershipFactory.build(status=MembershipStatus.in_remediation, end_date=None)
    # The extended end counts: live until then, expired the day after.
    assert shown_status(framework, datetime.date(2025, 3, 31)) == FrameworkStatus.live
    assert shown_status(framework, datetime.date(2025, 4, 1)) == FrameworkStatus.expired
    assert membership_state(member, framework, datetime.date(2025, 3, 31)).text == (
        "In remediation"
    )
    assert membership_state(member, framework, datetime.date(2025, 4, 1)).text == (
        "Ended 31 March 2025"
    )
    removed = MembershipFactory.build(
        status=MembershipStatus.removed, end_date=datetime.date(2020, 5, 1)
    )
    assert membership_state(removed, framework, datetime.date(2025, 4, 1)).text == (
        "Removed 1 May 2020"
    )
