"""The URL map: every route of the registry, in one place. Each feature keeps to its section."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.add_route("home", "/")

    # Accounts
    config.add_route("accounts.login", "/login")
    config.add_route("accounts.logout", "/logout")

    # Audit trail
    config.add_route("audit.trail", "/audit")

    # Frameworks, lots, obligations and memberships
    config.add_route("frameworks.list", "/frameworks")
    config.add_route("frameworks.detail", "/frameworks/{reference}")

    # Suppliers and groups
    config.add_route("suppliers.list", "/suppliers")
    config.add_route("suppliers.detail", "/suppliers/{id:\\d+}")

    # Buyers
    config.add_route("buyers.list", "/buyers")
    config.add_route("buyers.detail", "/buyers/{id:\\d+}")

    # Contracts
    config.add_route("contracts.list", "/contracts")
    config.add_route("contracts.detail", "/contracts/{id:\\d+}")

    # Scoring: assessments, review queue, replies, methodology
    config.add_route("review.queue", "/review")
    config.add_route("methodology", "/methodology")

    # Markets and lock-in flags
    config.add_route("markets.list", "/markets")
    config.add_route("markets.detail", "/markets/{key}")
    config.add_route("flags.list", "/flags")
    config.add_route("flags.detail", "/flags/{id:\\d+}")

    # Open data
    config.add_route("data", "/data")

    # Search and comparison
    config.add_route("search", "/search")
    config.add_route("compare", "/compare")

    # JSON API (token-authenticated writes; no CSRF)
    config.add_route("api.openapi", "/api/v1/openapi.json")
