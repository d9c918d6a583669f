"""One rule for a sign-in address: an address the sign-in form refuses (a reserved domain such
as .test, no domain dot, past 320 characters) is refused the same way by the admin's new-user
form and by `registry user add`, and no account is made that could never sign in."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.db import create_engine
from tests.common.cli import run_cli, write_ini
from tests.conftest import TEST_PASSWORD

REFUSED = {
    "reserved_test_domain": "new.officer@example.test",
    "no_dot_in_the_domain": "new.officer@localhost",
    "too_long": "a" * 64 + "@" + ".".join(["b" * 60] * 5) + ".org",
}


def sign_in_refuses(app: webtest.TestApp, email: str) -> bool:
    form = app.get("/login").forms[0]
    form["email"], form["password"] = email, TEST_PASSWORD
    page = form.submit(status="*")
    refused = "right form" in page.text or "characters or fewer" in page.text
    return page.status_int in (200, 400) and refused


@pytest.fixture(scope="module")
def cli_database(database_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    url = database_factory.fresh()
    engine = create_engine(url)
    yield write_ini(tmp_path_factory.mktemp("useradd"), url), engine
    engine.dispose()


def users(engine: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM users")).scalar_one())


@pytest.mark.parametrize("kind", list(REFUSED))
def test_an_address_sign_in_refuses_is_refused_everywhere(
    webtest_app: webtest.TestApp,
    login_as: Any,
    db_session: Session,
    cli_database: Any,
    kind: str,
) -> None:
    email = REFUSED[kind]
    assert sign_in_refuses(webtest_app, email)

    login_as("admin")
    before = db_session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one()
    page = webtest_app.get("/admin/users/new")
    form = next(f for f in page.forms.values() if f.action.endswith("/admin/users/new"))
    form["email"], form["name"], form["role"] = email, "New Auditor", "auditor"
    form["password"] = form["confirm"] = "pigeon lantern oboe drift"
    refused = form.submit(status=400)
    assert 'href="#email"' in refused.text
    assert db_session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == before

    ini, engine = cli_database
    before = users(engine)
    result = run_cli(
        ini,
        "user",
        "add",
        "--email",
        email,
        "--role",
        "auditor",
        "--password-stdin",
        input="pigeon lantern oboe drift\n",
    )
    assert result.exit_code == 1, result.output
    assert "--email" in result.output and "not an e-mail address anyone can sign in with" in (
        result.output
    )
    assert len(result.output.strip().splitlines()) == 1
    assert users(engine) == before


def test_an_address_sign_in_takes_is_added(cli_database: Any) -> None:
    ini, engine = cli_database
    result = run_cli(
        ini,
        "user",
        "add",
        "--email",
        " Auditor@Example.ORG ",
        "--role",
        "auditor",
        "--password-stdin",
        input="pigeon lantern oboe drift\n",
    )
    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        emails = connection.execute(sa.text("SELECT email FROM users")).scalars().all()
    assert "auditor@example.org" in emails
