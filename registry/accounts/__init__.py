"""Accounts: users with roles, login and logout, and the security policy."""

from pyramid.config import Configurator

from registry.accounts.interfaces import IUserService
from registry.accounts.security_policy import RegistrySecurityPolicy
from registry.accounts.services import database_user_service_factory


def includeme(config: Configurator) -> None:
    config.register_service_factory(database_user_service_factory, IUserService)
    config.set_security_policy(RegistrySecurityPolicy())
