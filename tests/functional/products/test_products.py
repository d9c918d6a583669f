"""Products: the admin forms (bad input refused, nothing written), links to contracts and
obligations (an obligation covering the product ends the exposure), and the public pages."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry import clock
from registry.audit.models import AuditEvent
from registry.products.models import Product
from tests.common.db.core import (
    ContractFactory,
    LotFactory,
    ObligationFactory,
    SupplierGroupFactory,
)
from tests.common.db.products import ContractProductFactory, ProductFactory

TODAY = clock.today()


def _count(db: Session) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Product)) or 0


def _form_for(page: webtest.TestResponse, action: str) -> webtest.Form:
    (form,) = [f for f in page.forms.values() if f.action.endswith(action)]
    return form


def _form(app: webtest.TestApp, **values: str) -> webtest.TestResponse:
    form = _form_for(app.get("/products/new"), "/products/new")
    for name, value in values.items():
        form[name] = value
    return form.submit(expect_errors=True)


def test_admin_adds_a_product_and_it_is_audited(
    webtest_app: webtest.TestApp, db_session: Session, login_as: object
) -> None:
    group = SupplierGroupFactory(name="Microsoft Corporation")
    login_as("admin")  # type: ignore[operator]
    result = _form(
        webtest_app,
        name="Windows XP",
        version="SP3",
        vendor="microsoft corporation",
        mainstream_support_end="2009-04-14",
        extended_support_end="2014-04-08",
        source_url="https://learn.microsoft.com/en-us/lifecycle/products/windows-xp",
    )
    assert result.status_int == 303
    product = db_session.execute(sa.select(Product)).scalar_one()
    assert (product.group_id, product.extended_support_end) == (group.id, datetime.date(2014, 4, 8))
    assert db_session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "product.created")
    ).scalar_one()
    page = webtest_app.get(result.location)
    assert "Unsupported for" in page.text and "Windows XP SP3" in page.text


def test_dates_out_of_order_and_unknown_vendors_are_refused(
    webtest_app: webtest.TestApp, db_session: Session, login_as: object
) -> None:
    SupplierGroupFactory(name="Microsoft Corporation")
    login_as("admin")  # type: ignore[operator]
    reversed_dates = _form(
        webtest_app,
        name="Windows XP",
        vendor="Microsoft Corporation",
        mainstream_support_end="2014-04-08",
        extended_support_end="2009-04-14",
    )
    assert reversed_dates.status_int == 400
    assert "must be on or after the end of mainstream support" in reversed_dates.text
    unknown = _form(webtest_app, name="Windows XP", vendor="Microsloth")
    assert unknown.status_int == 400
    assert "There is no supplier group called &#39;Microsloth&#39;" in unknown.text
    not_a_date = _form(
        webtest_app,
        name="Windows XP",
        vendor="Microsoft Corporation",
        mainstream_support_end="soon",
    )
    assert "End of mainstream support must be a real date" in not_a_date.text
    assert _count(db_session) == 0


def test_an_obligation_covering_the_product_ends_the_exposure(
    webtest_app: webtest.TestApp, db_session: Session, login_as: object
) -> None:
    lot = LotFactory()
    product = ProductFactory(name="Windows XP")
    contract = ContractFactory(
        lot=lot, reference="XP-1", end_date=TODAY + datetime.timedelta(days=30)
    )
    login_as("admin")  # type: ignore[operator]
    page = webtest_app.get(f"/products/{product.id}")
    link = _form_for(page, "/contracts")
    link["contract"] = "XP-1"
    link["unit_price"] = "£12.50"
    assert link.submit().status_int == 303
    exposure = webtest_app.get("/exposure")
    assert contract.buyer.name in exposure.text
    unknown = _form_for(webtest_app.get(f"/products/{product.id}"), "/contracts")
    unknown["contract"] = "NO-SUCH"
    refused = unknown.submit(expect_errors=True)
    assert refused.status_int == 400 and "There is no contract with reference" in refused.text

    obligation = ObligationFactory(framework=lot.framework)
    cover = _form_for(webtest_app.get(f"/products/{product.id}"), "/obligations")
    cover["obligation"] = str(obligation.id)
    cover["cover"] = "upgrade"
    assert cover.submit().status_int == 303
    assert "No live published contract depends on" in webtest_app.get("/exposure").text
    detail = webtest_app.get(f"/products/{product.id}")
    assert "£12.50" in detail.text and "(upgrade)" in detail.text


def test_public_product_pages_list_support_dates_without_admin_forms(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    product = ProductFactory(name="Windows XP")
    ContractProductFactory(product=product)
    listing = webtest_app.get("/products")
    assert "Windows XP" in listing.text and "8 April 2014" in listing.text
    detail = webtest_app.get(f"/products/{product.id}")
    assert "Link a contract" not in detail.text
    assert len(detail.html.select("a[href^='/contracts/']")) == 1
