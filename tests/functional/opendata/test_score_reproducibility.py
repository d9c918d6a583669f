"""Every current supplier score recomputes from the CSV export alone, by the pure method functions;
the exported assessments are the published ones only (no drafts, nothing under review)."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import webtest
from sqlalchemy.orm import Session

from registry.db import create_engine
from registry.scoring.assessments.models import AssessmentStatus, Rating
from registry.scoring.scores import method
from tests.common.cli import run_cli, write_ini
from tests.common.db.core import (
    ContractFactory,
    LotFactory,
    ObligationFactory,
    SupplierFactory,
)
from tests.common.db.scoring import AssessmentFactory, ReplyFactory
from tests.common.scores import aggregates

AS_OF = "2025-06-30"
HIDDEN = "HIDDEN"  # in the KPI of every assessment that must not leave the registry


def _seed(db: Session) -> None:
    """Three suppliers on two frameworks, a contract with no framework, an obligation, mixed
    ratings, weights and periods (one outside the recency window), and assessments that must
    not count or be exported: a draft, submitted, challenged, approved and a retracted one."""
    lot_a, lot_b = LotFactory(), LotFactory()
    alpha, beta, gamma = (SupplierFactory(name=n) for n in ("Alpha Ltd", "Beta Ltd", "Gamma Ltd"))
    on_a = {s: ContractFactory(supplier=s, lot=lot_a) for s in (alpha, beta, gamma)}
    on_b = {s: ContractFactory(supplier=s, lot=lot_b) for s in (alpha, beta)}
    no_framework = ContractFactory(supplier=gamma, lot=None)

    def rate(contract: Any, rating: Rating, end: str, weight: str = "1", **kw: Any) -> Any:
        end_date = datetime.date.fromisoformat(end)
        return AssessmentFactory(
            contract=contract,
            rating=rating,
            period_start=end_date.replace(month=1, day=1),
            period_end=end_date,
            weight=Decimal(weight),
            published_at=datetime.datetime(2025, 1, 15, tzinfo=datetime.UTC),
            **kw,
        )

    replied = rate(on_a[alpha], Rating.good, "2024-12-31")
    ReplyFactory(assessment=replied, text="We agree and thank the buyer.")
    rate(on_a[alpha], Rating.requires_improvement, "2023-06-30", "2.5")
    rate(on_a[alpha], Rating.approaching, "2025-03-31", "0.5")
    rate(on_a[beta], Rating.inadequate, "2024-09-30", "1.75")
    rate(on_a[beta], Rating.good, "2021-12-31")  # counts for 2021 to 2024, not as of mid-2025
    rate(on_a[beta], Rating.other, "2024-12-31")  # not applicable: no points, not counted
    rate(on_b[alpha], Rating.approaching, "2024-06-30", "3")
    rate(on_b[beta], Rating.good, "2022-12-31", "1.25")
    rate(on_a[gamma], Rating.requires_improvement, "2025-05-31")
    rate(no_framework, Rating.good, "2024-03-31", "2")  # overall only
    obligation = ObligationFactory(framework=lot_b.framework, weight=Decimal("1.5"))
    AssessmentFactory(
        contract=None,
        obligation=obligation,
        supplier_id=gamma.id,
        buyer_id=None,
        framework_id=lot_b.framework_id,
        kpi="Open API",
        kpi_key=f"obligation:{obligation.id}",
        rating=Rating.inadequate,
        period_start=datetime.date(2024, 1, 1),
        period_end=datetime.date(2024, 12, 31),
        weight=Decimal("1.5"),
    )
    # Perfect ratings that would move every score if they leaked into it or into the export.
    for status in (
        AssessmentStatus.draft,
        AssessmentStatus.submitted,
        AssessmentStatus.challenged,
        AssessmentStatus.approved,
        AssessmentStatus.adjusted,
    ):
        hidden = rate(on_a[beta], Rating.good, "2025-03-31", "5", status=status, kpi=HIDDEN)
    ReplyFactory(assessment=hidden, text=f"{HIDDEN} reply")
    rate(
        on_a[gamma],
        Rating.good,
        "2025-03-31",
        "5",
        kpi=HIDDEN,
        retracted_at=datetime.datetime(2025, 4, 1, tzinfo=datetime.UTC),
        retraction_reason="entered against the wrong supplier",
    )


@pytest.fixture(scope="module")
def exported(database_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh database, seeded, scored with `registry score` and exported with
    `registry export csv`, as a user would: the CSV directory."""
    tmp = tmp_path_factory.mktemp("scores")
    url = database_factory.fresh()
    engine = create_engine(url)
    with Session(engine) as db, db.begin():
        from tests.common.db import base

        base.bind(db)
        try:
            _seed(db)
        finally:
            base.bind(None)
    engine.dispose()
    ini = write_ini(tmp, url)
    result = run_cli(ini, "score", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    out = tmp / "csv"
    result = run_cli(ini, "export", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


Key = tuple[str, str]  # (supplier id, framework id or "" for overall), as in the CSV


def recompute_from_csv(assessments: list[dict[str, str]], as_of: datetime.date) -> dict:
    """The scores as of one date, from rows of assessments.csv alone (no database)."""
    by_pair: dict[Key, list[tuple[float, Rating]]] = defaultdict(list)
    for row in assessments:
        rating = Rating(row["rating"])
        age = (as_of - datetime.date.fromisoformat(row["period_end"])).days
        recency = method.recency(age)
        if rating == Rating.other or recency == 0.0:
            continue
        by_pair[(row["supplier_id"], row["framework_id"])].append(
            (float(row["weight"]) * recency, rating)
        )
    if not by_pair:
        return {}
    by_framework: dict[str, list[tuple[float, Rating]]] = defaultdict(list)
    by_supplier: dict[str, list[tuple[float, Rating]]] = defaultdict(list)
    for (supplier, framework), counted in by_pair.items():
        by_framework[framework].extend(counted)
        by_supplier[supplier].extend(counted)
    # Method 2.0: each framework's ratings (and those on no framework, together) are shrunk
    # toward their mean; the overall toward the average of its components' means, with the
    # prior weight once per component.
    priors = {f: method.mean_of(aggregates(counted)) for f, counted in by_framework.items()}
    components: dict[str, list[float]] = defaultdict(list)
    results: dict[Key, method.Result] = {}
    for (supplier, framework), counted in by_pair.items():
        components[supplier].append(priors[framework])
        if framework:
            results[(supplier, framework)] = method.compute(
                aggregates(counted), priors[framework], as_of, "framework"
            )
    for supplier, counted in by_supplier.items():
        prior_mean, prior_weight = method.overall_prior(components[supplier])
        results[(supplier, "")] = method.compute(
            aggregates(counted), prior_mean, as_of, "overall", prior_weight
        )
    return results


def test_every_current_score_recomputes_from_the_csv_export_alone(exported: Path) -> None:
    assessments = _read(exported / "assessments.csv")
    scores = _read(exported / "scores.csv")
    by_as_of: dict[str, dict[Key, dict[str, str]]] = defaultdict(dict)
    for row in scores:
        by_as_of[row["period_end"]][(row["supplier_id"], row["framework_id"])] = row
    # One period per year from the earliest published assessment (2021) to the as-of date.
    assert sorted(by_as_of) == ["2021-12-31", "2022-12-31", "2023-12-31", "2024-12-31", AS_OF]
    checked = 0
    for as_of, stored in by_as_of.items():
        recomputed = recompute_from_csv(assessments, datetime.date.fromisoformat(as_of))
        assert set(recomputed) == set(stored), as_of
        for key, row in stored.items():
            result = recomputed[key]
            where = f"supplier {key[0]}, framework {key[1] or 'overall'}, as of {as_of}"
            assert row["method_version"] == method.METHOD_VERSION, where
            assert Decimal(row["score"]) == Decimal(str(result.score)).quantize(Decimal("0.01"))
            assert Decimal(row["band_low"]) == Decimal(str(result.band_low)).quantize(
                Decimal("0.01")
            ), where
            assert Decimal(row["band_high"]) == Decimal(str(result.band_high)).quantize(
                Decimal("0.01")
            ), where
            assert int(row["assessments_count"]) == result.count, where
            inputs = json.loads(row["inputs"])
            assert inputs["ratings"] == result.inputs["ratings"], where
            names = (
                "weight",
                "weighted_points",
                "weighted_points_sq",
                "prior_mean",
                "prior_weight",
            )
            for name in names:
                assert inputs[name] == pytest.approx(result.inputs[name], abs=1e-6), where
            checked += 1
    # As of 2025: each supplier on both frameworks (gamma on B through its obligation), and three
    # overall scores; beta's 2021 rating has aged out of the window.
    assert len(by_as_of[AS_OF]) == 9
    beta = next(r["id"] for r in _read(exported / "suppliers.csv") if r["name"] == "Beta Ltd")
    assert by_as_of[AS_OF][(beta, "")]["assessments_count"] == "2"
    assert checked == len(scores) > 20
    # The numbers are not all alike: the test would notice weights or recency being ignored.
    assert len({row["score"] for row in scores}) > 10


def test_the_export_holds_published_assessments_only(exported: Path) -> None:
    text = (exported / "assessments.csv").read_text(encoding="utf-8")
    assert HIDDEN not in text
    rows = _read(exported / "assessments.csv")
    assert len(rows) == 11
    assert {row["rating"] for row in rows} >= {r.value for r in Rating}
    replies = [row["reply"] for row in rows if row["reply"]]
    assert replies == ["We agree and thank the buyer."]
    obligation = next(row for row in rows if row["obligation_id"])
    assert obligation["contract_id"] == "" and obligation["weight"] == "1.500"
    assert all(row["published_at"] for row in rows if row["contract_id"])
    scores = _read(exported / "scores.csv")
    assert all(json.loads(row["inputs"])["as_of"] == row["period_end"] for row in scores)


def test_data_page_offers_assessments_and_scores(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    published = AssessmentFactory(kpi="Published KPI")
    AssessmentFactory(kpi=f"{HIDDEN} draft", status=AssessmentStatus.draft)
    ReplyFactory(assessment=published, text="Our reply")
    db_session.commit()
    page = webtest_app.get("/data")
    for table in ("assessments", "scores"):
        assert f"/data/{table}.csv" in page.text and f"/data/{table}.json" in page.text
        assert f'id="dictionary-{table}"' in page.text
    assert "Recomputing a supplier\N{RIGHT SINGLE QUOTATION MARK}s score" in page.text
    rows = list(csv.DictReader(io.StringIO(webtest_app.get("/data/assessments.csv").text)))
    assert [(r["kpi"], r["reply"]) for r in rows] == [("Published KPI", "Our reply")]
    data = webtest_app.get("/data/assessments.json").json
    assert [(r["kpi"], r["rating"], r["weight"]) for r in data] == [
        ("Published KPI", "Good", "1.000")
    ]
    assert webtest_app.get("/data/scores.json").json == []
