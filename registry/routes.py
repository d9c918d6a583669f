"""The URL map: every route of the registry, in one place."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.add_route("home", "/")

    # Accounts
    config.add_route("accounts.login", "/login")
    config.add_route("accounts.logout", "/logout")

    # Audit trail
    config.add_route("audit.trail", "/audit")
