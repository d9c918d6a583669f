"""The URL map: every route of the registry, in one place. Each feature keeps to its section."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.add_route("home", "/")

    # Accounts
    config.add_route("accounts.login", "/login")
    config.add_route("accounts.logout", "/logout")
    config.add_route("accounts.users", "/admin/users")
    config.add_route("accounts.user_new", "/admin/users/new")
    config.add_route("accounts.user_detail", "/admin/users/{id:\\d+}")
    config.add_route("accounts.user_role", "/admin/users/{id:\\d+}/role")
    config.add_route("accounts.user_deactivate", "/admin/users/{id:\\d+}/deactivate")
    config.add_route("accounts.user_reactivate", "/admin/users/{id:\\d+}/reactivate")
    config.add_route("accounts.user_password", "/admin/users/{id:\\d+}/password")

    # Audit trail
    config.add_route("audit.trail", "/audit")

    # Frameworks, lots, obligations and memberships
    # (/frameworks/new before the parametrised routes, which Pyramid would match first)
    framework = "/frameworks/{reference}"
    config.add_route("frameworks.list", "/frameworks")
    config.add_route("frameworks.new", "/frameworks/new")
    config.add_route("frameworks.detail", framework)
    config.add_route("frameworks.edit", framework + "/edit")
    config.add_route("frameworks.status", framework + "/status")
    config.add_route("frameworks.retract", framework + "/retract")
    config.add_route("frameworks.lots.new", framework + "/lots/new")
    config.add_route("frameworks.lots.detail", framework + "/lots/{number}")
    config.add_route("frameworks.lots.edit", framework + "/lots/{number}/edit")
    config.add_route("frameworks.lots.retract", framework + "/lots/{number}/retract")
    config.add_route("frameworks.memberships.new", framework + "/lots/{number}/suppliers/new")
    config.add_route("frameworks.memberships.status", framework + "/memberships/{id:\\d+}/status")
    config.add_route("frameworks.obligations.new", framework + "/obligations/new")
    config.add_route("frameworks.obligations.edit", framework + "/obligations/{id:\\d+}/edit")
    config.add_route("frameworks.obligations.retract", framework + "/obligations/{id:\\d+}/retract")

    # Suppliers and groups (literal paths before the parametrised ones)
    config.add_route("suppliers.list", "/suppliers")
    config.add_route("suppliers.new", "/suppliers/new")
    config.add_route("suppliers.groups.list", "/suppliers/groups")
    config.add_route("suppliers.groups.new", "/suppliers/groups/new")
    config.add_route("suppliers.groups.detail", "/suppliers/groups/{id:\\d+}")
    config.add_route("suppliers.groups.edit", "/suppliers/groups/{id:\\d+}/edit")
    config.add_route("suppliers.merges.reverse", "/suppliers/merges/{id:\\d+}/reverse")
    config.add_route("suppliers.detail", "/suppliers/{id:\\d+}")
    config.add_route("suppliers.edit", "/suppliers/{id:\\d+}/edit")
    config.add_route("suppliers.group", "/suppliers/{id:\\d+}/group")
    config.add_route("suppliers.merge", "/suppliers/{id:\\d+}/merge")

    # Buyers
    config.add_route("buyers.list", "/buyers")
    config.add_route("buyers.new", "/buyers/new")
    config.add_route("buyers.detail", "/buyers/{id:\\d+}")
    config.add_route("buyers.edit", "/buyers/{id:\\d+}/edit")

    # Contracts (/contracts/new before the parametrised routes; those load the contract and its ACL)
    contract = "registry.contracts.resources.ContractContext"
    config.add_route("contracts.list", "/contracts")
    config.add_route("contracts.new", "/contracts/new")
    config.add_route("contracts.detail", "/contracts/{id:\\d+}", factory=contract)
    config.add_route("contracts.edit", "/contracts/{id:\\d+}/edit", factory=contract)
    config.add_route("contracts.publish", "/contracts/{id:\\d+}/publish", factory=contract)
    config.add_route("contracts.retract", "/contracts/{id:\\d+}/retract", factory=contract)
    config.add_route("contracts.extend", "/contracts/{id:\\d+}/extend", factory=contract)

    # Scoring: assessments, review queue, replies, methodology
    config.add_route("review.queue", "/review")
    config.add_route("methodology", "/methodology")
    config.add_route("clocks", "/assessment-clocks")  # assessment clocks: due, overdue, rules
    assessment = "registry.scoring.resources.AssessmentContext"
    config.add_route("assessments.list", "/assessments")
    config.add_route(
        "assessments.new",
        "/contracts/{id:\\d+}/assessments/new",
        factory="registry.scoring.resources.ContractAssessmentContext",
    )
    config.add_route("assessments.detail", "/assessments/{id:\\d+}", factory=assessment)
    config.add_route("assessments.edit", "/assessments/{id:\\d+}/edit", factory=assessment)
    config.add_route("assessments.submit", "/assessments/{id:\\d+}/submit", factory=assessment)
    config.add_route("assessments.reply", "/assessments/{id:\\d+}/reply", factory=assessment)
    config.add_route("assessments.retract", "/assessments/{id:\\d+}/retract", factory=assessment)
    config.add_route("review.item", "/review/{id:\\d+}", factory=assessment)
    config.add_route("remedies.supplier", "/suppliers/{id:\\d+}/remedies")

    # Markets and lock-in flags
    config.add_route("markets.list", "/markets")
    config.add_route("markets.detail", "/markets/{key}")
    config.add_route("flags.list", "/flags")
    config.add_route("flags.detector", "/flags/detectors/{detector}")
    config.add_route("flags.detail", "/flags/{id:\\d+}")
    config.add_route("flags.status", "/flags/{id:\\d+}/status")

    # Beyond lock-in (issue 10): aggregation opportunities, products and their end of support
    config.add_route("opportunities.list", "/opportunities")
    config.add_route(
        "opportunities.detail", "/opportunities/{market}/groups/{group:\\d+}/{year:\\d+}"
    )
    config.add_route("exposure", "/exposure")
    config.add_route("products.list", "/products")
    config.add_route("products.new", "/products/new")
    config.add_route("products.detail", "/products/{id:\\d+}")
    config.add_route("products.edit", "/products/{id:\\d+}/edit")
    config.add_route("products.contracts", "/products/{id:\\d+}/contracts")
    config.add_route("products.obligations", "/products/{id:\\d+}/obligations")

    # Open data
    config.add_route("data", "/data")
    config.add_route("data.ocds", "/data/ocds.json")
    config.add_route("data.import", "/data/import")
    # The import ledger and dated snapshots (issue 11): before data.table, whose pattern they fit.
    config.add_route("data.imports", "/data/imports")
    config.add_route("data.imports.detail", "/data/imports/{id:\\d+}")
    config.add_route("data.snapshots.file", "/data/snapshots/{name}/{file}")
    # One CSV and one JSON per public table (frameworks, lots, obligations, memberships,
    # supplier_groups, suppliers, buyers, contracts, contract_extensions): list pages link here.
    config.add_route("data.table", "/data/{table}.{format:csv|json}")

    # Search and comparison
    config.add_route("search", "/search")
    config.add_route("compare", "/compare")

    # JSON API (token-authenticated writes; no CSRF)
    config.add_route("api.openapi", "/api/v1/openapi.json")
    config.add_route("api.frameworks", "/api/v1/frameworks")
    config.add_route("api.suppliers", "/api/v1/suppliers")
    config.add_route("api.supplier_scores", "/api/v1/suppliers/{id}/scores")
    config.add_route("api.flags", "/api/v1/flags")
    config.add_route("api.markets", "/api/v1/markets")
    config.add_route("api.detectors", "/api/v1/detectors")
    config.add_route("api.detector_coverage", "/api/v1/detectors/{id}/coverage")
    config.add_route("api.search", "/api/v1/search")
    config.add_route("api.contracts", "/api/v1/contracts")
    config.add_route("api.assessments", "/api/v1/assessments")
    config.add_route("api.imports", "/api/v1/imports")
    # Before api.imports.detail, whose {id} it would otherwise be.
    config.add_route("api.imports.sources", "/api/v1/imports/sources")
    config.add_route("api.imports.detail", "/api/v1/imports/{id}")
    config.add_route("api.buyer_accountability", "/api/v1/buyers/{id}/accountability")
    config.add_route("api.products", "/api/v1/products")
