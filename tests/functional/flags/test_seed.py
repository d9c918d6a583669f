"""On the seed data, the GP Systems of Choice case: a highly concentrated market (HHI about
4,374 on buyer count) held by an EMIS and TPP duopoly, reported by the CLI and shown on the pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.flags.detectors import load_settings
from registry.flags.models import Flag
from registry.flags.services import run_detection
from tests.common.cli import run_cli, write_ini

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def detected(
    database_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> list[dict[str, Any]]:
    # A seeded database of this module's own: `detect` commits, and the shared seeded database
    # must stay as the seed left it for other tests.
    ini = write_ini(tmp_path_factory.mktemp("detect-seed"), database_factory.seeded())
    result = run_cli(ini, "detect", "--json")
    assert result.exit_code == 0, result.output
    flags: list[dict[str, Any]] = json.loads(result.output)
    again = run_cli(ini, "detect", "--json")
    assert json.loads(again.output) == flags  # idempotent on the real data too
    return flags


def test_cli_reports_gp_clinical_systems_highly_concentrated(
    detected: list[dict[str, Any]],
) -> None:
    (cpv,) = [
        f
        for f in detected
        if f["detector"] == "market_concentration" and f["subject"] == "cpv-48814"
    ]
    metrics = cpv["metrics"]
    assert cpv["subject_type"] == "market" and cpv["severity"] == "high"
    assert metrics["basis"] == "buyers"
    assert metrics["hhi"] == pytest.approx(4374, abs=1)  # 56² + 34² + 9² + 1²
    assert metrics["cr2"] == pytest.approx(0.90, abs=0.001)
    assert metrics["market"] == "cpv-48814"
    assert metrics["contracts"] >= 7526
    # The GPSoC lot is a market of its own, with the same figures.
    lots = [
        f
        for f in detected
        if f["detector"] == "market_concentration"
        and f["subject"].startswith("lot-")
        and f["subject_label"].startswith("GPSoC")
    ]
    assert lots and lots[0]["metrics"]["hhi"] == pytest.approx(4374, abs=1)


def test_cli_reports_the_emis_tpp_duopoly(detected: list[dict[str, Any]]) -> None:
    (duopoly,) = [
        f for f in detected if f["detector"] == "monopoly_duopoly" and f["subject"] == "cpv-48814"
    ]
    assert duopoly["metrics"]["pattern"] == "duopoly"
    emis, tpp = duopoly["metrics"]["holders"]
    assert "EMIS" in emis and ("TPP" in tpp or "Phoenix" in tpp)
    assert duopoly["metrics"]["holders_share"] == pytest.approx(0.90, abs=0.001)


def test_pages_show_the_concentration_and_the_duopoly(
    seeded_webtest_app: webtest.TestApp, seeded_db_session: Session
) -> None:
    run_detection(seeded_db_session, load_settings({}))
    seeded_db_session.flush()
    market = seeded_webtest_app.get("/markets/cpv-48814")
    text = " ".join(market.text.split())
    assert "HHI 4,375 (highly concentrated)" in text  # 4,374.7, shown whole
    assert "CR2 90.0%" in text
    assert "(duopoly): EMIS" in text
    listing = seeded_webtest_app.get("/markets")
    rows = listing.html.select("tbody tr")
    # First, the trusts' Microsoft 365 licences (issue 10's seed): one vendor, HHI 10,000.
    assert "(CPV 48300)" in rows[0].text and "Microsoft" in rows[0].text
    top_two = " ".join(row.text for row in rows[1:3])
    assert "Medical information systems (CPV 48814)" in top_two and "GPSoC lot 1" in top_two

    flag = seeded_db_session.execute(
        sa.select(Flag).where(Flag.detector == "monopoly_duopoly", Flag.subject_key == "cpv-48814")
    ).scalar_one()
    page = seeded_webtest_app.get(f"/flags/{flag.id}")
    page_text = " ".join(page.text.split())
    assert "Monopoly or duopoly (duopoly)" in page_text
    assert "(Herfindahl-Hirschman, 0 to 10,000) of <strong>4,374.7</strong>" in page.text
    assert "GP Systems of Choice" in page_text  # the source
    assert page.html.find("a", href="/markets/cpv-48814")
    flags = seeded_webtest_app.get("/flags", {"subject_type": "market"})
    assert "Medical information systems" in flags.html.find("tbody").text


def test_cli_reports_issue_10s_flags_on_the_seed(detected: list[dict[str, Any]]) -> None:
    by_detector: dict[str, list[dict[str, Any]]] = {}
    for flag in detected:
        by_detector.setdefault(flag["detector"], []).append(flag)
    (licences,) = by_detector["aggregation_opportunity"]
    assert licences["subject"].startswith("cpv-48300/group-")
    assert (licences["metrics"]["buyers"], licences["metrics"]["year"]) == (24, 2024)
    xp = by_detector["end_of_support"]
    assert len(xp) == 3 and all(f["metrics"]["support_end"] == "2014-04-08" for f in xp)
    assert all(f["metrics"]["days_past_support"] > 4000 for f in xp)
    # Only GP Systems of Choice lot 1's membership list is recorded as complete (issue 19).
    closed = {f["subject"] for f in by_detector["closed_framework"]}
    assert closed == {"GPSoC/lot-1"}
