"""Scores that follow their inputs (issue 19): an auditor publishing a rating through the web
moves the supplier's scores before the response returns, retracting it moves them back, and
`registry score --verify` agrees throughout; the page and the API say how much of each score is
the supplier's own ratings; the trend chart and its table show the same figures."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.scoring.assessments.models import Assessment, AssessmentStatus, Rating
from registry.scoring.scores import method
from registry.scoring.scores import services as scores
from registry.scoring.scores.models import Score
from tests.common.db.core import ContractFactory, FrameworkFactory, LotFactory, SupplierFactory
from tests.common.db.scoring import AssessmentFactory, ScoreFactory
from tests.common.site import form_posting_to
from tests.conftest import login

AS_OF = datetime.date(2024, 12, 31)
PENDING_END = datetime.date(2024, 6, 30)


@pytest.fixture
def world(db_session: Session, make_user: Any) -> dict[str, Any]:
    """Acme: one Inadequate on RM6221, and an approved Good waiting to be published. Other Ltd:
    two Goods on RM6221 and one on RM1000. Scored by a full run as of the end of 2024."""
    rm6221 = FrameworkFactory.create(reference="RM6221")
    rm1000 = FrameworkFactory.create(reference="RM1000")
    lot, other_lot = LotFactory.create(framework=rm6221), LotFactory.create(framework=rm1000)
    acme, other = SupplierFactory.create(name="Acme Health Ltd"), SupplierFactory.create()
    acme_contract = ContractFactory.create(supplier=acme, lot=lot)
    AssessmentFactory.create(contract=acme_contract, rating=Rating.inadequate, period_end=AS_OF)
    for contract in (
        ContractFactory.create(supplier=other, lot=lot),
        ContractFactory.create(supplier=other, lot=lot),
        ContractFactory.create(supplier=other, lot=other_lot),
    ):
        AssessmentFactory.create(contract=contract, rating=Rating.good, period_end=AS_OF)
    pending = AssessmentFactory.create(
        contract=acme_contract,
        kpi="Availability",
        rating=Rating.good,
        period_start=datetime.date(2024, 6, 1),
        period_end=PENDING_END,
        status=AssessmentStatus.approved,
    )
    scores.recompute(db_session, AS_OF)
    db_session.commit()
    return {
        "acme": acme,
        "other": other,
        "rm6221": rm6221,
        "pending": pending,
        "auditor": make_user("auditor"),
        "officer": make_user("officer", buyer_id=acme_contract.buyer_id),
    }


def _current(db: Session, supplier_id: int) -> dict[int | None, Score]:
    db.expire_all()
    rows = db.scalars(
        sa.select(Score).where(
            Score.supplier_id == supplier_id,
            Score.current.is_(True),
            Score.period_end == AS_OF,
        )
    )
    return {row.framework_id: row for row in rows}


def _expected(db: Session, supplier_id: int) -> dict[int | None, float]:
    """What `registry score` computes for the supplier now, against the last full run's priors
    (the path `--verify` re-derives by, assessment by assessment)."""
    run = scores.last_run(db)
    assert run is not None
    results = scores.compute_period(db, AS_OF, run.priors[AS_OF], run.computed_at)
    return {f: r.score for (s, f), r in results.items() if s == supplier_id}


def test_publishing_moves_the_score_at_once_and_retracting_moves_it_back(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    acme, a = world["acme"], world["pending"]
    before = {f: s.score for f, s in _current(db_session, acme.id).items()}
    others_before = {f: s.id for f, s in _current(db_session, world["other"].id).items()}
    assert before[None] == before[world["rm6221"].id]  # one framework: overall equals it

    login(webtest_app, world["auditor"].email)
    page = form_posting_to(webtest_app.get(f"/review/{a.id}"), f"/review/{a.id}").submit(
        "action", value="publish"
    )
    assert "scores have been recalculated" in page.follow().text
    after = {f: s.score for f, s in _current(db_session, acme.id).items()}
    assert after[None] > before[None] and after[world["rm6221"].id] > before[world["rm6221"].id]
    assert {f: float(s) for f, s in after.items()} == _expected(db_session, acme.id)
    assert after[None] == after[world["rm6221"].id]
    # Only the publishing supplier was rescored: the other's rows are the same rows.
    assert {f: s.id for f, s in _current(db_session, world["other"].id).items()} == others_before
    assert scores.verify(db_session) == []
    # The superseded scores are kept, and the change is in the audit trail with its reason.
    old = db_session.scalars(
        sa.select(Score).where(Score.supplier_id == acme.id, Score.current.is_(False))
    ).all()
    assert {(s.framework_id, s.score) for s in old if s.period_end == AS_OF} == set(before.items())
    event = db_session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "scores.update")
        .order_by(AuditEvent.seq.desc())
    ).first()
    assert event is not None and event.reason == f"assessment.publish of assessment {a.id}"
    assert event.after is not None and event.after["written"] >= 2
    # The supplier's page shows the new figure at once.
    supplier_page = webtest_app.get(f"/suppliers/{acme.id}")
    shown = supplier_page.html.select_one("#scores-table tbody tr td").text.strip()
    assert shown == str(after[None].quantize(Decimal("0.1")))

    login(webtest_app, world["officer"].email)
    form = form_posting_to(webtest_app.get(f"/assessments/{a.id}/retract"), "/retract")
    form["reason"] = "Entered against the wrong contract"
    form.submit().follow()
    back = {f: s.score for f, s in _current(db_session, acme.id).items()}
    assert db_session.get(Assessment, a.id).status == AssessmentStatus.retracted
    assert back == before  # the priors are the run's, so the score returns exactly
    assert scores.verify(db_session) == []

    # A full run takes the priors afresh: verify still passes and nothing is left to change.
    scores.recompute(db_session, AS_OF)
    assert scores.verify(db_session) == []


def test_verify_still_checks_the_priors_and_the_scores_after_a_publish(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    login(webtest_app, world["auditor"].email)
    a = world["pending"]
    form_posting_to(webtest_app.get(f"/review/{a.id}"), f"/review/{a.id}").submit(
        "action", value="publish"
    )
    row = _current(db_session, world["acme"].id)[None]
    db_session.execute(sa.update(Score).where(Score.id == row.id).values(score=Decimal("12.5")))
    problems = scores.verify(db_session)
    assert any(f"score {row.id} " in p and "stored 12.50" in p for p in problems), problems


def test_every_score_says_how_much_is_the_suppliers_own(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    acme = world["acme"]
    # One Inadequate ending on the date scored: weight 1 against the prior's 3, a quarter own.
    page = webtest_app.get(f"/suppliers/{acme.id}")
    share = page.html.select_one("#overall-share").text
    assert "Based on 1 rating (weight 1.00)" in share
    assert "25% from this supplier's own ratings, 75% from the average" in share
    cells = [td.text.strip() for td in page.html.select("#scores-table tbody tr td")]
    assert cells[3] == "25%"
    headers = [th.text.strip() for th in page.html.select("#scores-table thead th")]
    assert "Ratings counted (last 36 months)" in headers
    body = webtest_app.get(f"/api/v1/suppliers/{acme.id}/scores").json
    overall = next(s for s in body["data"] if s["framework"] is None and s["period"] == "2024")
    assert overall["own_ratings_share"] == 0.25
    assert "25% from this supplier's own ratings" in overall["own_ratings_share_text"]
    assert "25% from this supplier's own ratings" in overall["breakdown"]

    # After publishing a Good whose period ended 184 days earlier (recency 1 - 184/1096).
    login(webtest_app, world["auditor"].email)
    a = world["pending"]
    form_posting_to(webtest_app.get(f"/review/{a.id}"), f"/review/{a.id}").submit(
        "action", value="publish"
    )
    weight = 1 + (1 - (AS_OF - PENDING_END).days / method.WINDOW_DAYS)
    body = webtest_app.get(f"/api/v1/suppliers/{acme.id}/scores").json
    overall = next(s for s in body["data"] if s["framework"] is None and s["period"] == "2024")
    assert overall["own_ratings_share"] == pytest.approx(weight / (weight + 3), abs=1e-4)
    assert f"{weight / (weight + 3) * 100:.0f}% from this supplier" in overall["breakdown"]


def test_the_trend_chart_and_its_table_show_the_same_figures(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    """91.65 was 91.7 in the chart (float) and 91.6 in the table (Decimal, half to even)."""
    supplier = SupplierFactory.create()
    for year, value in ((2022, "80.25"), (2023, "91.65"), (2024, "70.35")):
        ScoreFactory.create(
            supplier_id=supplier.id, period_end=datetime.date(year, 12, 31), score=Decimal(value)
        )
    db_session.commit()
    page = webtest_app.get(f"/suppliers/{supplier.id}")
    desc = page.html.select_one("#trend-desc").text
    chart = dict(re.findall(r"(\d{4}): (\d+\.\d)", desc))
    rows = page.html.select("#trend-table tbody tr")
    table = {r.select("td")[0].text.strip(): r.select("td")[1].text.strip() for r in rows}
    assert chart == table == {"2022": "80.3", "2023": "91.7", "2024": "70.4"}
    headers = [th.text.strip() for th in page.html.select("#trend-table thead th")]
    assert headers[-1] == "Ratings counted (36 months to the year's end)"


def test_the_first_publication_scores_everyone_when_no_full_run_is_on_record(
    webtest_app: webtest.TestApp, db_session: Session, make_user: Any
) -> None:
    lot = LotFactory.create(framework=FrameworkFactory.create())
    contract = ContractFactory.create(supplier=SupplierFactory.create(), lot=lot)
    a = AssessmentFactory.create(contract=contract, status=AssessmentStatus.approved)
    other = ContractFactory.create(lot=lot)
    AssessmentFactory.create(contract=other, rating=Rating.inadequate)
    db_session.commit()
    assert scores.last_run(db_session) is None
    login(webtest_app, make_user("auditor").email)
    form_posting_to(webtest_app.get(f"/review/{a.id}"), f"/review/{a.id}").submit(
        "action", value="publish"
    )
    db_session.expire_all()
    run = scores.last_run(db_session)
    assert run is not None  # a full run, its priors recorded for the updates that follow
    current = db_session.scalars(sa.select(Score).where(Score.current.is_(True))).all()
    scored = {s.supplier_id for s in current}
    assert scored == {a.supplier_id, other.supplier_id}  # everyone, not only the one
    assert scores.verify(db_session) == []
