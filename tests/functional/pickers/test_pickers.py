"""Pickers (issue 18): a supplier, buyer, framework or lot chosen by name, other name,
abbreviation or code, with the closest matches when what was typed is not one record; every
problem of a form in one round; a password kept after an unrelated error; the suggestion
endpoints bounded and read-only."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.audit.models import AuditEvent
from registry.contracts.models import Contract
from registry.identifiers import normalise_name
from registry.pickers.services import (
    MAX_SUGGESTIONS,
    NotPicked,
    pick_buyer,
    pick_framework,
    pick_lot,
    pick_supplier,
)
from tests.common.db.core import BuyerFactory, FrameworkFactory, LotFactory, SupplierFactory
from tests.conftest import TEST_PASSWORD


def _supplier(name: str, **kw: Any) -> Any:
    return SupplierFactory.create(name=name, normalised_name=normalise_name(name), **kw)


def _buyer(name: str, **kw: Any) -> Any:
    return BuyerFactory.create(name=name, normalised_name=normalise_name(name), **kw)


@pytest.fixture
def world(db_session: Session) -> dict[str, Any]:
    tpp = _supplier(
        "TPP - The Phoenix Partnership (Leeds) Ltd",
        aliases=["TPP", "The Phoenix Partnership"],
        companies_house_number="04134057",
    )
    emis = _supplier("EMIS Health Ltd")
    emis_two = _supplier("EMIS Health Analytics Ltd")
    buyer = _buyer(
        "HM Revenue and Customs", identifier="HMRC1", also_known_as="HMRC\nInland Revenue"
    )
    leeds = _buyer("Leeds Teaching Hospitals NHS Trust", identifier="RR8")
    gpitf = FrameworkFactory.create(reference="GPITF", title="GP IT Futures", end_date=None)
    lot1 = LotFactory.create(framework=gpitf, number="1", title="Foundation solutions")
    LotFactory.create(framework=gpitf, number="2", title="Additional services")
    db_session.commit()
    return {
        "tpp": tpp,
        "emis": emis,
        "emis_two": emis_two,
        "buyer": buyer,
        "leeds": leeds,
        "gpitf": gpitf,
        "lot1": lot1,
    }


# The service: one function per record type -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("TPP", "tpp"),
        ("tpp", "tpp"),
        ("the phoenix partnership", "tpp"),
        ("TPP - The Phoenix Partnership (Leeds) Limited", "tpp"),
        ("4134057", "tpp"),
        ("emis health", "emis"),
        ("E.M.I.S Health LTD", None),  # punctuation inside a word is not ignored
    ],
)
def test_a_supplier_is_picked_by_name_alias_or_number(
    db_session: Session, world: dict[str, Any], text: str, key: str | None
) -> None:
    if key is None:
        with pytest.raises(NotPicked):
            pick_supplier(db_session, text)
    else:
        assert pick_supplier(db_session, text) is world[key]


def test_a_supplier_by_its_registry_number(db_session: Session, world: dict[str, Any]) -> None:
    assert pick_supplier(db_session, str(world["emis"].id)) is world["emis"]


def test_an_unknown_supplier_lists_the_closest(db_session: Session, world: dict[str, Any]) -> None:
    with pytest.raises(NotPicked) as refused:
        pick_supplier(db_session, "EMIS")
    assert "There is no supplier with number or name “EMIS”" in refused.value.message
    names = [s.value for s in refused.value.suggestions]
    assert names == ["EMIS Health Ltd", "EMIS Health Analytics Ltd"]
    assert "EMIS Health Ltd (registry number" in refused.value.message


def test_two_suppliers_of_one_name_are_ambiguous(db_session: Session) -> None:
    first = _supplier("Same Name Ltd")
    second = _supplier("Same Name Limited")
    with pytest.raises(NotPicked) as refused:
        pick_supplier(db_session, "same name")
    assert "More than one supplier matches “same name”" in refused.value.message
    assert {s.id for s in refused.value.suggestions} == {first.id, second.id}


@pytest.mark.parametrize(
    ("text", "key"),
    [("HMRC", "buyer"), ("inland revenue", "buyer"), ("hmrc1", "buyer"), ("RR8", "leeds")],
)
def test_a_buyer_is_picked_by_name_alias_or_code(
    db_session: Session, world: dict[str, Any], text: str, key: str
) -> None:
    assert pick_buyer(db_session, text) is world[key]
    assert pick_buyer(db_session, world[key].name.upper()) is world[key]


def test_a_framework_and_lot_by_title_reference_or_number(
    db_session: Session, world: dict[str, Any]
) -> None:
    gpitf = world["gpitf"]
    for text in ("GP IT Futures", "gp-it futures", "gpitf"):
        assert pick_framework(db_session, text) is gpitf
    for text in ("Lot 1", "lot1", "1", "foundation solutions"):
        assert pick_lot(db_session, gpitf, text) is world["lot1"]
    with pytest.raises(NotPicked) as refused:
        pick_lot(db_session, gpitf, "Lot 7")
    assert refused.value.message.startswith("Framework GPITF has no lot Lot 7")
    assert "Lot 1: Foundation solutions" in refused.value.message
    with pytest.raises(NotPicked) as refused:
        pick_framework(db_session, "GP IT")
    assert "GP IT Futures (GPITF)" in refused.value.message


# The contract form -------------------------------------------------------------------------


def _submit(app: webtest.TestApp, status: int, **values: str) -> webtest.TestResponse:
    """The contract form, filled with a title and method and `values`, submitted."""
    form = app.get("/contracts/new").forms[0]
    for name, value in {
        "title": "A contract",
        "procurement_method": "direct award",
        **values,
    }.items():
        form[name] = value
    return form.submit(status=status)


def _count(db: Session) -> int:
    return db.execute(sa.select(sa.func.count(Contract.id))).scalar_one()


def test_the_contract_form_takes_tpp_gp_it_futures_and_lot_1(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    login_as("admin")
    _submit(
        webtest_app,
        303,
        buyer="HMRC",
        title="GP clinical system",
        supplier="TPP",
        framework_reference="GP IT Futures",
        lot_number="Lot 1",
    )
    contract = db_session.execute(
        sa.select(Contract).where(Contract.title == "GP clinical system")
    ).scalar_one()
    assert (contract.supplier_id, contract.buyer_id, contract.lot_id) == (
        world["tpp"].id,
        world["buyer"].id,
        world["lot1"].id,
    )


def test_unknown_and_ambiguous_input_name_the_field_and_write_nothing(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    login_as("officer", buyer_id=world["leeds"].id)
    before = _count(db_session)
    page = _submit(webtest_app, 400, supplier="EMIS", framework_reference="Nonexistent Framework")
    supplier_error = page.html.select_one("#supplier-error").text
    assert "There is no supplier with number or name “EMIS”" in supplier_error
    assert "EMIS Health Ltd" in supplier_error and "EMIS Health Analytics Ltd" in supplier_error
    assert (
        "no framework with reference or title"
        in page.html.select_one("#framework_reference-error").text
    )
    assert _count(db_session) == before


def test_a_form_with_three_bad_fields_shows_three_messages(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    """The form's own checks (a date) and the service's (the supplier, the lot) in one round."""
    login_as("officer", buyer_id=world["leeds"].id)
    before = _count(db_session)
    page = _submit(
        webtest_app,
        400,
        supplier="Nobody At All",
        framework_reference="GPITF",
        lot_number="9",
        start_date="2023-02-30",
    )
    summary = [li.text.strip() for li in page.html.select(".govuk-error-summary__list li")]
    assert len(summary) == 3, summary
    assert {a["href"] for a in page.html.select(".govuk-error-summary__list a")} == {
        "#supplier",
        "#lot_number",
        "#start_date",
    }
    assert _count(db_session) == before


def test_the_picker_fields_carry_their_suggestion_lists(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any]
) -> None:
    login_as("admin")
    page = webtest_app.get("/contracts/new")
    supplier = page.html.select_one("input#supplier")
    assert supplier["data-suggest"] == "/api/v1/suggest/suppliers"
    assert page.html.select_one(f"datalist#{supplier['list']}") is not None
    assert page.html.select_one("input#lot_number")["data-suggest-framework"] == (
        "framework_reference"
    )
    scripts = [s.get("src", "") for s in page.html.select("script")]
    assert any(src.startswith("/static/pickers.mjs") for src in scripts)
    assert all(s.get("src") or s.get("nonce") for s in page.html.select("script"))


# The admin's user forms --------------------------------------------------------------------


def _add_user(app: webtest.TestApp, status: int, **values: str) -> webtest.TestResponse:
    """The admin's new-user form with `values` (the test password in both password fields
    unless given), submitted."""
    form = app.get("/admin/users/new").forms[0]
    for name, value in {"password": TEST_PASSWORD, "confirm": TEST_PASSWORD, **values}.items():
        form[name] = value
    return form.submit(status=status)


def test_the_organisation_field_takes_a_name_or_alias(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    login_as("admin")
    _add_user(
        webtest_app,
        303,
        email="officer@example.org",
        name="An Officer",
        role="officer",
        organisation="hmrc",
    )
    user = db_session.execute(
        sa.select(User).where(User.email == "officer@example.org")
    ).scalar_one()
    assert user.buyer_id == world["buyer"].id


def test_an_unrelated_error_keeps_the_password_and_lists_every_problem(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], db_session: Session
) -> None:
    login_as("admin")
    page = _add_user(
        webtest_app, 400, email="not-an-address", name="", role="supplier", organisation="EMIS"
    )
    summary = [li.text.strip() for li in page.html.select(".govuk-error-summary__list li")]
    assert len(summary) == 3, summary
    assert "EMIS Health Ltd" in page.html.select_one("#organisation-error").text
    assert page.html.select_one("input#password")["value"] == TEST_PASSWORD
    assert page.html.select_one("input#confirm")["value"] == TEST_PASSWORD
    assert "no-store" in page.headers["Cache-Control"]
    assert (
        db_session.execute(
            sa.select(User).where(User.email == "not-an-address")
        ).scalar_one_or_none()
        is None
    )


def test_a_refused_password_is_not_shown_again(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any]
) -> None:
    login_as("admin")
    page = _add_user(
        webtest_app,
        400,
        email="someone@example.org",
        name="Someone",
        role="auditor",
        confirm=TEST_PASSWORD + "x",
    )
    assert page.html.select_one("input#password").get("value", "") == ""
    assert page.html.select_one("input#confirm").get("value", "") == ""


def test_change_history_is_a_table_of_before_and_after(
    webtest_app: webtest.TestApp, login_as: Any, world: dict[str, Any], make_user: Any
) -> None:
    login_as("admin")
    user = make_user("auditor", email="history@example.org")
    page = webtest_app.get(f"/admin/users/{user.id}")
    form = page.forms[0]
    form["role-role"] = "officer"
    form["role-organisation"] = "leeds teaching hospitals nhs trust"
    form["role-reason"] = "Moved to Leeds"
    page = form.submit().follow()
    newest = page.html.select("table table")[0]  # the role change: events newest first
    rows = {
        row.th.text.strip(): [td.text.strip() for td in row.select("td")]
        for row in newest.select("tbody tr")
    }
    assert rows["Role"] == ["auditor", "→", "officer"]
    assert rows["Buyer id"] == ["—", "→", str(world["leeds"].id)]
    assert "{" not in page.html.select_one("table table").text


def test_the_users_page_links_the_import_ledger(
    webtest_app: webtest.TestApp, login_as: Any
) -> None:
    login_as("admin")
    page = webtest_app.get("/admin/users")
    assert page.html.select_one("a[href='/data/imports']") is not None


# The suggestion endpoints ------------------------------------------------------------------


def test_suggestions_are_bounded_and_public(
    webtest_app: webtest.TestApp, world: dict[str, Any], db_session: Session
) -> None:
    for n in range(MAX_SUGGESTIONS + 5):
        _supplier(f"Widget Makers {n} Ltd")
    db_session.commit()
    body = webtest_app.get("/api/v1/suggest/suppliers", {"q": "widget"}).json
    assert len(body["suggestions"]) == MAX_SUGGESTIONS
    assert all(s["label"].startswith("Widget Makers") for s in body["suggestions"])
    body = webtest_app.get("/api/v1/suggest/suppliers", {"q": "tpp"}).json
    assert [s["id"] for s in body["suggestions"]] == [world["tpp"].id]
    assert webtest_app.get("/api/v1/suggest/suppliers", {"q": "t"}).json["suggestions"] == []
    frameworks = webtest_app.get("/api/v1/suggest/frameworks", {"q": "gp it"}).json
    assert [s["value"] for s in frameworks["suggestions"]] == ["GPITF"]
    lots = webtest_app.get("/api/v1/suggest/lots", {"framework": "GP IT Futures", "q": ""}).json
    assert [s["value"] for s in lots["suggestions"]] == ["1", "2"]
    buyers = webtest_app.get("/api/v1/suggest/buyers", {"q": "hmrc"}).json
    assert [s["id"] for s in buyers["suggestions"]] == [world["buyer"].id]
    response = webtest_app.get("/api/v1/suggest/buyers", {"q": "x" * 5000})
    assert response.json["query"] == "x" * 100
    assert "Set-Cookie" not in response.headers


def test_suggestions_are_read_only(
    webtest_app: webtest.TestApp, world: dict[str, Any], db_session: Session
) -> None:
    events = db_session.execute(sa.select(sa.func.count(AuditEvent.seq))).scalar_one()
    webtest_app.get("/api/v1/suggest/suppliers", {"q": "emis"})
    webtest_app.post("/api/v1/suggest/suppliers", {"q": "emis"}, status=404)
    assert db_session.execute(sa.select(sa.func.count(AuditEvent.seq))).scalar_one() == events
