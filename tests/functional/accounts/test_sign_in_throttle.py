"""Issue 20: sign-in is throttled per client as well as per account, so a stranger's wrong
passwords cannot keep a named auditor out (`registry.accounts.throttle`)."""

from __future__ import annotations

from typing import Any

import webtest

from registry.accounts.throttle import ACCOUNT_CLIENTS, PER_CLIENT, PER_CLIENT_ACCOUNT
from tests.conftest import TEST_PASSWORD, app_on

STRANGER = "203.0.113.5"
AUDITORS_DESK = "198.51.100.7"


def _client(wsgi_app: Any, db_connection: Any, address: str) -> webtest.TestApp:
    app = app_on(wsgi_app, db_connection)
    app.extra_environ["REMOTE_ADDR"] = address
    return app


def _try(app: webtest.TestApp, email: str, password: str, status: int) -> webtest.TestResponse:
    form = app.get("/login").forms[0]
    form["email"], form["password"] = email, password
    return form.submit(status=status)


def test_a_strangers_wrong_passwords_do_not_lock_the_auditor_out(
    wsgi_app: Any, db_connection: Any, make_user: Any
) -> None:
    auditor = make_user("auditor")
    stranger = _client(wsgi_app, db_connection, STRANGER)
    for _ in range(PER_CLIENT_ACCOUNT):
        _try(stranger, auditor.email, "a wrong guess", 400)
    # The stranger is now refused for this account, even with the right password...
    refused = _try(stranger, auditor.email, TEST_PASSWORD, 429)
    assert "from your connection" in refused.text
    # ...but the auditor, from their own desk, signs in.
    desk = _client(wsgi_app, db_connection, AUDITORS_DESK)
    assert "Sign out" in _try(desk, auditor.email, TEST_PASSWORD, 303).follow().text


def test_many_failures_from_one_client_throttle_that_client(
    wsgi_app: Any, db_connection: Any, make_user: Any
) -> None:
    victim = make_user("officer")
    stranger = _client(wsgi_app, db_connection, STRANGER)
    for n in range(PER_CLIENT):  # one guess at each of many addresses
        _try(stranger, f"someone-{n}@example.org", "a wrong guess", 400)
    page = _try(stranger, victim.email, TEST_PASSWORD, 429)
    assert "Too many failed sign-in attempts from your connection" in page.text
    # Another client is not affected.
    desk = _client(wsgi_app, db_connection, AUDITORS_DESK)
    _try(desk, victim.email, TEST_PASSWORD, 303)


def test_the_account_is_locked_only_by_failures_from_many_clients(
    wsgi_app: Any, db_connection: Any, make_user: Any
) -> None:
    auditor = make_user("auditor")
    for n in range(ACCOUNT_CLIENTS - 1):
        _try(_client(wsgi_app, db_connection, f"192.0.2.{n + 1}"), auditor.email, "guess", 400)
    desk = _client(wsgi_app, db_connection, AUDITORS_DESK)
    _try(desk, auditor.email, TEST_PASSWORD, 303)  # one client short: still open
    desk.reset()
    _try(_client(wsgi_app, db_connection, "192.0.2.200"), auditor.email, "guess", 400)
    page = _try(desk, auditor.email, TEST_PASSWORD, 429)  # a distributed guess: locked
    assert "from many places" in page.text
