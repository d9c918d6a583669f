"""A flag's page names its currency and its market's classification (issue 17): amounts in the
flag's currency (drams here, never £), counts never shown as money, readers' labels rather than
metric keys."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.flags.detectors import load_settings
from registry.flags.models import Flag
from registry.flags.services import run_detection
from tests.common.db.core import (
    BuyerFactory,
    ClassificationFactory,
    ContractFactory,
    SupplierFactory,
    SupplierGroupFactory,
)


def _run(db: Session, detector: str) -> list[Flag]:
    run_detection(db, load_settings({}), [detector])
    db.commit()
    return list(db.execute(sa.select(Flag).where(Flag.detector == detector)).scalars())


def test_a_flag_in_drams_in_a_classification_market_says_so(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    cls = ClassificationFactory(scheme="UNSPSC", label="Medical equipment and supplies")
    buyer = BuyerFactory(name="Ministry of Diaspora")
    dominant = SupplierGroupFactory(name="Dominant LLC")
    for amount in ("7526000", "1000000"):
        ContractFactory(
            buyer=buyer,
            supplier=SupplierFactory(group=dominant),
            cpv_code=None,
            classification=cls,
            value_amount=Decimal(amount),
            currency="AMD",
        )
    ContractFactory(
        buyer=buyer,
        cpv_code=None,
        classification=cls,
        value_amount=Decimal("1000000"),
        currency="AMD",
    )
    ContractFactory(
        buyer=buyer, cpv_code=None, classification=cls, value_amount=Decimal(99), currency="GBP"
    )
    (flag,) = _run(db_session, "buyer_dependency")
    page = webtest_app.get(f"/flags/{flag.id}")
    text = " ".join(page.html.get_text(" ").split())
    assert "8,526,000 AMD" in text  # the group's value, in drams
    assert "9,526,000 AMD" in text  # the buyer's, in drams
    assert "Medical equipment and supplies" in text
    assert "Market: Medical equipment and supplies" in text  # the market's link
    assert "Judged by value in AMD" in text
    # Counts are counts: four contracts, three valued in drams, one in pounds left out.
    assert "Contracts with a value in that currency 3" in text
    assert "Contracts in other currencies, left out of the value figures 1" in text
    assert "£" not in page.html.select_one("dl.govuk-summary-list:not(:first-of-type)").text
    # No raw metric keys as labels.
    for key in ("Buyer value", "Group contracts", "Other currency contracts", "Window from"):
        assert key not in text
    # The group's contracts with the buyer are listed, in their own currency.
    assert "7,526,000 AMD" in text and "£99.00" not in text
    # The flags of a classification market, as of any market.
    listed = webtest_app.get("/flags", {"market_key": f"cls-{cls.id}"})
    assert listed.html.find("a", href=f"/flags/{flag.id}")
    assert "There is no market" not in listed.text


def test_the_flags_of_a_buyer_wide_market_are_listed(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    buyer, group = BuyerFactory(), SupplierGroupFactory()
    for cpv in ("48000000", "72000000"):  # two markets, one group: dependent buyer-wide
        ContractFactory(buyer=buyer, supplier=SupplierFactory(group=group), cpv_code=cpv)
    ContractFactory(buyer=buyer, cpv_code=None, value_amount=Decimal(1))
    (flag,) = [f for f in _run(db_session, "buyer_dependency") if f.market_key.startswith("buyer-")]
    listed = webtest_app.get("/flags", {"market_key": f"buyer-{buyer.id}"})
    assert listed.html.find("a", href=f"/flags/{flag.id}")
    page = webtest_app.get(f"/flags/{flag.id}")
    assert "Market: All contracts of Buyer" in page.html.get_text(" ")


def test_a_buyer_awarding_without_competition_shows_its_share_and_currency(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    buyer = BuyerFactory(name="Ministry of Labour")
    for amount, method in (("600", "limited"), ("500", "direct award"), ("400", "open")):
        ContractFactory(
            buyer=buyer, value_amount=Decimal(amount), currency="AMD", procurement_method=method
        )
    flags = [f for f in _run(db_session, "non_competitive_share") if f.buyer_id == buyer.id]
    (flag,) = flags
    page = webtest_app.get(f"/flags/{flag.id}")
    text = " ".join(page.html.get_text(" ").split())
    assert "Flag" in text and "buyer" in text
    assert "Ministry of Labour (by value in AMD)" in text
    assert "Value awarded without competition 1,100 AMD" in text
    assert "Contracts awarded without competition 2" in text
    assert "Share that raised the flag 73.3%" in text
    assert "£" not in page.html.select_one("dl.govuk-summary-list:not(:first-of-type)").text
    # Its evidence: the buyer and the uncompeted contracts it awarded.
    assert page.html.find("a", href=f"/buyers/{buyer.id}")
    contracts = page.html.select("a[href^='/contracts/']")
    assert len(contracts) == 2
    # Listed among the buyers' flags, and on the buyer's own page.
    listed = webtest_app.get("/flags", {"subject_type": "buyer"})
    assert listed.html.find("a", href=f"/flags/{flag.id}")
    assert webtest_app.get(f"/buyers/{buyer.id}").html.find("a", href=f"/flags/{flag.id}")
