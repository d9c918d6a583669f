"""Products as open data (issue 10): the products and contract_products tables in /data and the
snapshots, and /api/v1/products; retracted products and unpublished contracts never leave."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

import webtest
from sqlalchemy.orm import Session

from registry.opendata.snapshots import write_snapshot
from registry.records import Publication
from tests.common.db.core import ContractFactory, SupplierGroupFactory
from tests.common.db.products import ContractProductFactory, ProductFactory

RETRACTED = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def _products() -> dict[str, object]:
    vendor = SupplierGroupFactory(name="Microsoft Corporation")
    xp = ProductFactory(name="Windows XP", version="SP3", group=vendor)
    server = ProductFactory(name="Windows Server 2012", group=vendor, extended_support_end=None)
    gone = ProductFactory(name="Withdrawn product", retracted_at=RETRACTED)
    public = ContractFactory(title="Desktop estate")
    draft = ContractFactory(title="Draft estate", publication=Publication.draft)
    ContractProductFactory(
        contract=public, product=xp, unit_price=Decimal("12.50"), unit="per device"
    )
    ContractProductFactory(contract=draft, product=xp)
    ContractProductFactory(contract=public, product=gone)
    return {"xp": xp, "server": server, "gone": gone, "public": public, "draft": draft}


def test_products_and_their_links_are_open_data(
    webtest_app: webtest.TestApp, db_session: Session, tmp_path: Path
) -> None:
    made = _products()
    page = webtest_app.get("/data")
    for table in ("products", "contract_products"):
        assert f"/data/{table}.csv" in page.text and f'id="dictionary-{table}"' in page.text

    rows = list(csv.DictReader(io.StringIO(webtest_app.get("/data/products.csv").text)))
    assert [(r["name"], r["version"]) for r in rows] == [
        ("Windows XP", "SP3"),
        ("Windows Server 2012", ""),
    ]
    assert rows[0]["extended_support_end"] == "2014-04-08"
    assert rows[1]["extended_support_end"] == ""
    assert rows[0]["group_id"] == str(made["xp"].group_id)

    links = webtest_app.get("/data/contract_products.json").json
    assert links == [
        {
            "contract_id": made["public"].id,
            "product_id": made["xp"].id,
            "quantity": None,
            "unit_price": "12.50",
            "unit": "per device",
        }
    ]

    snapshot = write_snapshot(db_session, tmp_path)
    assert {"products.csv", "contract_products.csv"} <= {f["name"] for f in snapshot.files}
    text = (tmp_path / snapshot.name / "products.csv").read_text()
    assert "Windows XP" in text and "Withdrawn product" not in text


def test_api_lists_products_page_by_page(webtest_app: webtest.TestApp, db_session: Session) -> None:
    made = _products()
    seen: list[dict[str, object]] = []
    url: str | None = "/api/v1/products?limit=1"
    while url:
        body = webtest_app.get(url).json  # the app checks it against schemas/openapi.yaml
        assert len(body["data"]) <= 1
        seen.extend(body["data"])
        url = body["links"]["next"]
    assert [p["id"] for p in seen] == [made["xp"].id, made["server"].id]
    xp = seen[0]
    assert (xp["label"], xp["vendor"]["name"]) == ("Windows XP SP3", "Microsoft Corporation")
    assert (xp["support_end"], xp["mainstream_support_end"]) == ("2014-04-08", "2009-04-14")
    assert xp["published_contracts"] == 1  # the draft's link is not counted
    assert xp["url"].endswith(f"/products/{made['xp'].id}")
    assert seen[1]["support_end"] == "2009-04-14"  # no extended support: mainstream's end


def test_api_products_refuses_a_bad_cursor_naming_it(webtest_app: webtest.TestApp) -> None:
    body = webtest_app.get("/api/v1/products?cursor=nonsense", status=400).json
    assert body["error"]["fields"][0]["field"] == "query.cursor"
