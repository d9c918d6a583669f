from __future__ import annotations

import pytest
from pyramid.config import Configurator
from pyramid.interfaces import ISecurityPolicy
from pyramid.request import Request, apply_request_extensions
from sqlalchemy.orm import Session
from zope.interface.verify import verifyClass

from registry.accounts import includeme
from registry.accounts.interfaces import IUserService
from registry.accounts.security_policy import RegistrySecurityPolicy
from registry.accounts.services import AccountError, DatabaseUserService
from tests.conftest import TEST_PASSWORD


def test_verify_service() -> None:
    assert verifyClass(IUserService, DatabaseUserService)


def test_includeme_registers_the_service_and_the_security_policy() -> None:
    config = Configurator()
    config.include("pyramid_services")
    includeme(config)
    config.commit()
    assert isinstance(config.registry.queryUtility(ISecurityPolicy), RegistrySecurityPolicy)
    request = Request.blank("/")
    request.registry = config.registry
    apply_request_extensions(request)
    request.db = None
    assert isinstance(request.find_service(IUserService, context=None), DatabaseUserService)


def test_password_is_stored_as_argon2(db_session: Session) -> None:
    user = DatabaseUserService(db_session).create_user("A@Example.org", TEST_PASSWORD, "auditor")
    assert user.email == "a@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert TEST_PASSWORD not in user.password_hash


def test_authenticate(db_session: Session) -> None:
    service = DatabaseUserService(db_session)
    service.create_user("a@example.org", TEST_PASSWORD, "auditor")
    assert service.authenticate("A@example.org", TEST_PASSWORD) is not None
    assert service.authenticate("a@example.org", TEST_PASSWORD + "x") is None
    assert service.authenticate("b@example.org", TEST_PASSWORD) is None


@pytest.mark.parametrize(
    ("email", "password", "role", "message"),
    [
        ("not-an-email", TEST_PASSWORD, "admin", "is not an e-mail address"),
        ("a@example.org", "short", "admin", "at least 12"),
        ("a@example.org", TEST_PASSWORD, "king", "is not a role"),
    ],
)
def test_create_user_refuses(
    db_session: Session, email: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        DatabaseUserService(db_session).create_user(email, password, role)


def test_duplicate_email_is_refused(db_session: Session) -> None:
    service = DatabaseUserService(db_session)
    service.create_user("a@example.org", TEST_PASSWORD, "admin")
    with pytest.raises(AccountError, match="already exists"):
        service.create_user("A@EXAMPLE.ORG", TEST_PASSWORD, "admin")
