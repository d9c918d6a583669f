"""Data quality in the ledger (issue 17): each import's findings and transparency indicators, and
each source's sums, on the pages, in the API and in the downloads."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import webtest
from sqlalchemy.orm import Session

from registry.opendata.findings import rule_title
from registry.opendata.models import ImportOutcome
from tests.common.db.opendata import ImportFindingFactory, ImportRunFactory

HOSTILE = '<script>alert("x")</script>'


def _text(node: Any) -> str:
    return " ".join(node.get_text().split())


# (rule, path, count, example, where): wrong-type is the most frequent rule (9 in all), though
# empty-string's one path (7) is found more often than either of wrong-type's.
FINDINGS = [
    (
        "wrong-type",
        "releases[].tender.numberOfTenderers",
        5,
        "three",
        "releases[4].tender.numberOfTenderers in ocds-abc-4",
    ),
    (
        "wrong-type",
        "releases[].awards[].value.amount",
        4,
        HOSTILE,
        "releases[2].awards[0].value.amount in ocds-abc-2",
    ),
    (
        "empty-string",
        "releases[].tender.value.amount",
        7,
        "",
        "releases[0].tender.value.amount in ocds-abc-0",
    ),
]


def _findings(run: Any) -> None:
    for rule, path, count, example, where in FINDINGS:
        ImportFindingFactory(
            run=run, rule=rule, path=path, count=count, example=example, example_where=where
        )


def test_an_import_page_lists_its_findings_by_rule_and_its_indicators(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    run = ImportRunFactory()
    _findings(run)
    page = webtest_app.get(f"/data/imports/{run.id}")

    # The publisher's value is shown as text, never run.
    assert HOSTILE not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert not page.html.find("script", string=lambda s: s is not None and "alert" in s)

    section = page.html.find(id="data-quality").find_all_next("h4")
    assert [h.text for h in section] == [rule_title("wrong-type"), rule_title("empty-string")]
    assert "Rule wrong-type: found 9 times." in _text(page.html)
    assert "Rule empty-string: found 7 times." in _text(page.html)
    tables = page.html.select("table.registry-table--compact")
    rows = [
        [c.get_text(" ", strip=True) for c in tr.select("th, td")]
        for tr in tables[0].tbody.select("tr")
    ]
    assert rows[0][:2] == ["releases[].tender.numberOfTenderers", "5"]
    assert "three" in rows[0][2] and "in ocds-abc-4" in rows[0][2]
    assert rows[1][:2] == ["releases[].awards[].value.amount", "4"]
    assert HOSTILE in rows[1][2]
    assert "No value recorded" in tables[1].text  # the empty string found

    # Indicators: shares of releases read (4), the supplier identifier of those naming one (2).
    text = " ".join(page.html.find(id="data-quality").find_next("dl").get_text(" ").split())
    assert "Classification 75% of 4 releases read (3)" in text
    assert "Procurement method 0% of 4 releases read (0)" in text
    assert "Supplier identifier 50% of 2 releases naming a supplier (1)" in text
    assert "opentender.eu" in page.text
    assert "No findings" not in page.text


def test_an_import_without_findings_says_so(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    run = ImportRunFactory(with_suppliers=0, with_supplier_identifier=0)
    page = webtest_app.get(f"/data/imports/{run.id}")
    assert (
        "No findings: every release matched the OCDS schema as far as the registry checks it."
        in page.text
    )
    text = " ".join(page.html.find(id="data-quality").find_next("dl").get_text(" ").split())
    assert "Supplier identifier No releases naming a supplier" in text

    # A refused file, or a CSV import, has no releases to measure: no section at all.
    refused = ImportRunFactory(outcome=ImportOutcome.refused, releases_read=0)
    csv_run = ImportRunFactory(kind="csv suppliers")
    for other in (refused, csv_run):
        page = webtest_app.get(f"/data/imports/{other.id}")
        assert page.html.find(id="data-quality") is None
        assert "No findings" not in page.text


def _source_rows(page: webtest.TestResponse) -> dict[str, list[str]]:
    table = page.html.find(id="data-quality").find_next("table")
    headers = [th.get_text(" ", strip=True) for th in table.thead.select("th")]
    assert headers == [
        "Publisher or source",
        "Releases read",
        "Findings (rules)",
        "Classification",
        "Value",
        "Supplier identifier",
        "Procurement method",
        "Tender period",
    ]
    return {
        tr.th.get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in table.tbody.select("tr")
    }


def test_the_ledger_sums_each_sources_good_imports(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    first = ImportRunFactory(publisher="Jalisco")
    _findings(first)
    second = ImportRunFactory(
        publisher="Jalisco",
        releases_read=4,
        with_classification=1,
        with_value=0,
        with_suppliers=2,
        with_supplier_identifier=2,
        with_procurement_method=4,
        with_tender_period=0,
    )
    ImportFindingFactory(run=second, rule="derived-award-id", count=10)
    # A refused import of the same source counts for nothing, whatever its columns say.
    refused = ImportRunFactory(publisher="Jalisco", outcome=ImportOutcome.refused)
    ImportFindingFactory(run=refused, rule="not-an-object", count=100)
    ImportRunFactory(publisher="Only refused", outcome=ImportOutcome.refused)

    page = webtest_app.get("/data/imports")
    rows = _source_rows(page)
    assert rows["ocds: Jalisco"] == [
        "8",
        "26 (3)",
        "50% 4 of 8",  # (3 + 1) of (4 + 4)
        "50% 4 of 8",
        "75% 3 of 4",  # (1 + 2) of the (2 + 2) releases naming a supplier
        "50% 4 of 8",
        "25% 2 of 8",
    ]
    assert rows["ocds: Only refused"] == ["No good OCDS import: nothing to measure"]
    assert "transparency indicators" in page.text and "opentender.eu" in page.text
    assert page.html.find("a", string="ocds: Jalisco")["href"] == (
        "/data/imports?source=ocds%3A+Jalisco"
    )


def test_a_source_without_suppliers_has_no_supplier_identifier_share(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    ImportRunFactory(publisher="Planning only", with_suppliers=0, with_supplier_identifier=0)
    rows = _source_rows(webtest_app.get("/data/imports"))
    assert rows["ocds: Planning only"][4] == "— : no releases naming a supplier"


def test_a_share_rounds_to_0_or_100_percent_only_when_it_is(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    run = ImportRunFactory(
        publisher="Almost",
        releases_read=1000,
        with_classification=999,
        with_value=1000,
        with_suppliers=1000,
        with_supplier_identifier=1,
        with_procurement_method=0,
        with_tender_period=825,
    )
    shares = [
        cell.split(" ")[0]
        for cell in _source_rows(webtest_app.get("/data/imports"))["ocds: Almost"][2:]
    ]
    assert shares == [">99%", "100%", "<1%", "0%", "83%"]
    text = _text(webtest_app.get(f"/data/imports/{run.id}").html)
    assert "Classification >99% of 1,000 releases read (999)" in text


def test_the_api_carries_findings_and_indicators(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    run = ImportRunFactory()
    _findings(run)
    entry = webtest_app.get(f"/api/v1/imports/{run.id}").json
    assert [(f["rule"], f["path"], f["count"]) for f in entry["findings"]] == [
        ("empty-string", "releases[].tender.value.amount", 7),
        ("wrong-type", "releases[].tender.numberOfTenderers", 5),
        ("wrong-type", "releases[].awards[].value.amount", 4),
    ]
    assert entry["findings"][2] == {
        "rule": "wrong-type",
        "title": rule_title("wrong-type"),
        "path": "releases[].awards[].value.amount",
        "count": 4,
        "example": HOSTILE,
        "example_where": "releases[2].awards[0].value.amount in ocds-abc-2",
    }
    shares = {i["name"]: (i["count"], i["base"], i["share"]) for i in entry["indicators"]}
    assert shares == {
        "classification": (3, 4, 0.75),
        "value": (4, 4, 1.0),
        "supplier_identifier": (1, 2, 0.5),
        "procurement_method": (0, 4, 0.0),
        "tender_period": (2, 4, 0.5),
    }

    refused = ImportRunFactory(outcome=ImportOutcome.refused)
    body = webtest_app.get("/api/v1/imports").json
    listed = {e["id"]: e for e in body["data"]}
    assert listed[run.id]["findings"] == entry["findings"]
    assert listed[refused.id]["findings"] == [] and listed[refused.id]["indicators"] == []


def test_the_api_pages_through_sources_with_their_quality(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    first = ImportRunFactory(publisher="A")
    _findings(first)
    ImportRunFactory(publisher="B", outcome=ImportOutcome.refused)
    ImportRunFactory(publisher="A", with_classification=1)  # A imported again: A stays first

    body = webtest_app.get("/api/v1/imports/sources?limit=1").json
    [a] = body["data"]
    assert (a["source_key"], a["imports"], a["refused"]) == ("ocds: A", 2, 0)
    assert (a["releases_read"], a["findings"], a["rules"]) == (8, 16, 2)
    classification = next(i for i in a["indicators"] if i["name"] == "classification")
    assert (classification["count"], classification["base"], classification["share"]) == (
        4,
        8,
        0.5,
    )
    assert a["url"].endswith("/data/imports?source=ocds%3A+A")

    body = webtest_app.get(body["links"]["next"]).json
    [b] = body["data"]
    assert (b["source_key"], b["refused"], b["releases_read"], b["indicators"]) == (
        "ocds: B",
        1,
        0,
        [],
    )
    assert body["links"]["next"] is None
    webtest_app.get("/api/v1/imports/sources?cursor=nonsense", status=400)


def test_the_downloads_carry_the_indicators_and_the_findings(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    run = ImportRunFactory(publisher="Jalisco")
    _findings(run)

    data = webtest_app.get("/data")
    assert data.html.find("a", href="/data/import_findings.csv") is not None
    assert data.html.find(id="dictionary-import_findings") is not None

    [imported] = list(csv.DictReader(io.StringIO(webtest_app.get("/data/imports.csv").text)))
    assert (imported["with_classification"], imported["with_suppliers"]) == ("3", "2")
    assert imported["with_supplier_identifier"] == "1"

    text = webtest_app.get("/data/import_findings.csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "import_id",
        "source",
        "rule",
        "title",
        "path",
        "count",
        "example",
        "example_where",
    ]
    assert [(r["rule"], r["count"]) for r in rows] == [
        ("empty-string", "7"),
        ("wrong-type", "5"),
        ("wrong-type", "4"),
    ]
    assert rows[2] == {
        "import_id": str(run.id),
        "source": "ocds: Jalisco",
        "rule": "wrong-type",
        "title": rule_title("wrong-type"),
        "path": "releases[].awards[].value.amount",
        "count": "4",
        "example": HOSTILE,
        "example_where": "releases[2].awards[0].value.amount in ocds-abc-2",
    }
    as_json = json.loads(webtest_app.get("/data/import_findings.json").text)
    assert as_json[0]["title"] == rule_title("empty-string")
    assert as_json[2]["example"] == HOSTILE


def test_an_import_made_before_quality_was_measured_says_so_and_counts_for_nothing(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    measured = ImportRunFactory(publisher="Armeps")
    unmeasured = {f"with_{name}": None for name in UNMEASURED}
    old = ImportRunFactory(publisher="Armeps", releases_read=96, **unmeasured)

    page = webtest_app.get(f"/data/imports/{old.id}")
    text = _text(page.html)
    assert "Not measured: this file was imported before the registry recorded" in text
    assert "No findings" not in text  # it never looked: it must not say the file is clean
    assert webtest_app.get(f"/api/v1/imports/{old.id}").json["indicators"] == []

    # The source's shares are those of the measured import alone, not diluted by the old one.
    rows = _source_rows(webtest_app.get("/data/imports"))
    assert rows["ocds: Armeps"][0] == str(measured.releases_read)
    assert rows["ocds: Armeps"][2] == "75% 3 of 4"


UNMEASURED = (
    "classification",
    "value",
    "suppliers",
    "supplier_identifier",
    "procurement_method",
    "tender_period",
)
