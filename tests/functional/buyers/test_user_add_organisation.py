"""`registry user add --organisation`: officers belong to a buyer, supplier users to a supplier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.buyers.models import Buyer, BuyerType
from registry.db import create_engine
from registry.suppliers.models import Supplier, SupplierGroup
from tests.common.cli import run_cli, write_ini
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def cli_db(database_factory: Any, tmp_path: Path) -> Any:
    url = database_factory.fresh()
    engine = create_engine(url)
    with Session(engine) as db, db.begin():
        db.add(
            Buyer(
                name="Leeds Teaching Hospitals",
                normalised_name="leeds teaching hospitals",
                buyer_type=BuyerType.nhs_trust,
                identifier_scheme="GB-NHS-ODS",
                identifier="RR8",
            )
        )
        group = SupplierGroup(name="EMIS Group")
        db.add_all(
            [
                Supplier(
                    name="EMIS Health Ltd",
                    normalised_name="emis health",
                    companies_house_number="03113109",
                    party_id="GB-PPON-PXYZ-1234",
                    group=group,
                ),
                Supplier(name="Old EMIS", normalised_name="old emis", group=group),
            ]
        )
    with Session(engine) as db, db.begin():
        emis, old = db.execute(sa.select(Supplier).order_by(Supplier.id)).scalars().all()
        old.merged_into_id = emis.id
    ini = write_ini(tmp_path, url)
    yield ini, engine
    engine.dispose()


def _user(engine: Any, email: str) -> User | None:
    with Session(engine) as db:
        return db.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()


def _ids(engine: Any) -> tuple[int, int, int]:
    with Session(engine) as db:
        buyer = db.execute(sa.select(Buyer.id)).scalar_one()
        emis, old = db.execute(sa.select(Supplier.id).order_by(Supplier.id)).scalars().all()
    return buyer, emis, old


@pytest.mark.parametrize(
    ("role", "organisation", "attribute", "which"),
    [
        ("officer", "RR8", "buyer_id", 0),
        ("officer", "rr8", "buyer_id", 0),
        ("officer", "{buyer}", "buyer_id", 0),
        ("supplier", "3113109", "supplier_id", 1),
        ("supplier", "03113109", "supplier_id", 1),
        ("supplier", "GB-PPON-PXYZ-1234", "supplier_id", 1),
        ("supplier", "{emis}", "supplier_id", 1),
    ],
)
def test_user_add_finds_the_organisation(
    cli_db: Any, role: str, organisation: str, attribute: str, which: int
) -> None:
    ini, engine = cli_db
    ids = _ids(engine)
    organisation = organisation.format(buyer=ids[0], emis=ids[1])
    result = run_cli(
        ini,
        "user",
        "add",
        "--email",
        "u@example.org",
        "--role",
        role,
        "--organisation",
        organisation,
        "--password-stdin",
        input=TEST_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    user = _user(engine, "u@example.org")
    assert user is not None and getattr(user, attribute) == ids[which]


@pytest.mark.parametrize(
    ("role", "organisation", "message"),
    [
        ("officer", "ZZZ99", "There is no buyer with name, identifier or registry number “ZZZ99”"),
        ("supplier", "09999999", "There is no supplier with number or name"),
        ("supplier", "{old}", "was merged into supplier"),
        ("auditor", "RR8", "does not act for an organisation"),
        ("officer", None, "A officer needs --organisation"),
    ],
)
def test_user_add_refuses_unknown_organisations(
    cli_db: Any, role: str, organisation: str | None, message: str
) -> None:
    ini, engine = cli_db
    args = ["user", "add", "--email", "u@example.org", "--role", role, "--password-stdin"]
    if organisation is not None:
        args += ["--organisation", organisation.format(old=_ids(engine)[2])]
    result = run_cli(ini, *args, input=TEST_PASSWORD + "\n")
    assert result.exit_code == 1
    assert message in result.output
    assert _user(engine, "u@example.org") is None
