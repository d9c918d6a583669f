"""The URL map: every route of the registry, in one place. Each feature keeps to its section."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    # Numeric placeholders are [0-9]+, never \\d+ (which matches '²'); views read them with
    # registry.integers.record_id, which answers 404 past the column's range.
    config.add_route("home", "/")
    config.add_route("about", "/about")

    # Accounts
    config.add_route("accounts.login", "/login")
    config.add_route("accounts.logout", "/logout")
    config.add_route("accounts.account", "/account")  # the signed-in user's own
    config.add_route("accounts.users", "/admin/users")
    config.add_route("accounts.user_new", "/admin/users/new")
    config.add_route("accounts.user_detail", "/admin/users/{id:[0-9]+}")
    config.add_route("accounts.user_role", "/admin/users/{id:[0-9]+}/role")
    config.add_route("accounts.user_deactivate", "/admin/users/{id:[0-9]+}/deactivate")
    config.add_route("accounts.user_reactivate", "/admin/users/{id:[0-9]+}/reactivate")
    config.add_route("accounts.user_password", "/admin/users/{id:[0-9]+}/password")

    # Audit trail
    config.add_route("audit.trail", "/audit")

    # Frameworks, lots, obligations and memberships
    # (/frameworks/new before the parametrised routes, which Pyramid would match first; those
    # load the framework, or the lot, once)
    framework = "/frameworks/{reference}"
    lot = framework + "/lots/{number}"
    in_framework = "registry.frameworks.resources.FrameworkContext"
    in_lot = "registry.frameworks.resources.LotContext"
    config.add_route("frameworks.list", "/frameworks")
    config.add_route("frameworks.new", "/frameworks/new")
    config.add_route("frameworks.detail", framework, factory=in_framework)
    config.add_route("frameworks.edit", framework + "/edit", factory=in_framework)
    config.add_route("frameworks.status", framework + "/status", factory=in_framework)
    config.add_route("frameworks.retract", framework + "/retract", factory=in_framework)
    config.add_route("frameworks.lots.new", framework + "/lots/new", factory=in_framework)
    config.add_route("frameworks.lots.detail", lot, factory=in_lot)
    config.add_route("frameworks.lots.edit", lot + "/edit", factory=in_lot)
    config.add_route("frameworks.lots.retract", lot + "/retract", factory=in_lot)
    config.add_route("frameworks.memberships.new", lot + "/suppliers/new", factory=in_lot)
    config.add_route(
        "frameworks.memberships.status",
        framework + "/memberships/{id:[0-9]+}/status",
        factory=in_framework,
    )
    config.add_route(
        "frameworks.obligations.new", framework + "/obligations/new", factory=in_framework
    )
    config.add_route(
        "frameworks.obligations.edit",
        framework + "/obligations/{id:[0-9]+}/edit",
        factory=in_framework,
    )
    config.add_route(
        "frameworks.obligations.retract",
        framework + "/obligations/{id:[0-9]+}/retract",
        factory=in_framework,
    )

    # Suppliers and groups (literal paths before the parametrised ones, which load the record once)
    supplier, group = "/suppliers/{id:[0-9]+}", "/suppliers/groups/{id:[0-9]+}"
    in_supplier = "registry.suppliers.resources.SupplierContext"
    in_group = "registry.suppliers.resources.GroupContext"
    config.add_route("suppliers.list", "/suppliers")
    config.add_route("suppliers.new", "/suppliers/new")
    config.add_route("suppliers.groups.list", "/suppliers/groups")
    config.add_route("suppliers.groups.new", "/suppliers/groups/new")
    config.add_route("suppliers.groups.detail", group, factory=in_group)
    config.add_route("suppliers.groups.edit", group + "/edit", factory=in_group)
    config.add_route(
        "suppliers.merges.reverse",
        "/suppliers/merges/{id:[0-9]+}/reverse",
        factory="registry.suppliers.resources.MergeContext",
    )
    config.add_route("suppliers.detail", supplier, factory=in_supplier)
    config.add_route("suppliers.edit", supplier + "/edit", factory=in_supplier)
    config.add_route("suppliers.memberships", supplier + "/memberships", factory=in_supplier)
    config.add_route("suppliers.obligations", supplier + "/obligations", factory=in_supplier)
    config.add_route("suppliers.group", supplier + "/group", factory=in_supplier)
    config.add_route("suppliers.merge", supplier + "/merge", factory=in_supplier)

    # Buyers
    buyer = "registry.buyers.resources.BuyerContext"
    config.add_route("buyers.list", "/buyers")
    config.add_route("buyers.new", "/buyers/new")
    config.add_route("buyers.detail", "/buyers/{id:[0-9]+}", factory=buyer)
    config.add_route("buyers.edit", "/buyers/{id:[0-9]+}/edit", factory=buyer)

    # Contracts (/contracts/new before the parametrised routes; those load the contract and its ACL)
    contract = "registry.contracts.resources.ContractContext"
    config.add_route("contracts.list", "/contracts")
    config.add_route("contracts.new", "/contracts/new")
    config.add_route("contracts.detail", "/contracts/{id:[0-9]+}", factory=contract)
    config.add_route("contracts.edit", "/contracts/{id:[0-9]+}/edit", factory=contract)
    config.add_route("contracts.publish", "/contracts/{id:[0-9]+}/publish", factory=contract)
    config.add_route("contracts.retract", "/contracts/{id:[0-9]+}/retract", factory=contract)
    config.add_route("contracts.extend", "/contracts/{id:[0-9]+}/extend", factory=contract)

    # Scoring: assessments, review queue, replies, methodology
    config.add_route("review.queue", "/review")
    config.add_route("methodology", "/methodology")
    config.add_route("clocks", "/assessment-clocks")  # assessment clocks: due, overdue, rules
    assessment = "registry.scoring.assessments.resources.AssessmentContext"
    config.add_route("assessments.list", "/assessments")
    config.add_route(
        "assessments.new",
        "/contracts/{id:[0-9]+}/assessments/new",
        factory="registry.scoring.assessments.resources.ContractAssessmentContext",
    )
    config.add_route("assessments.detail", "/assessments/{id:[0-9]+}", factory=assessment)
    config.add_route("assessments.edit", "/assessments/{id:[0-9]+}/edit", factory=assessment)
    config.add_route("assessments.submit", "/assessments/{id:[0-9]+}/submit", factory=assessment)
    config.add_route("assessments.reply", "/assessments/{id:[0-9]+}/reply", factory=assessment)
    config.add_route("assessments.retract", "/assessments/{id:[0-9]+}/retract", factory=assessment)
    config.add_route("review.item", "/review/{id:[0-9]+}", factory=assessment)
    config.add_route("remedies.supplier", "/suppliers/{id:[0-9]+}/remedies")

    # Markets and lock-in flags
    config.add_route("markets.list", "/markets")
    config.add_route("markets.detail", "/markets/{key}")
    config.add_route("flags.list", "/flags")
    config.add_route("flags.detector", "/flags/detectors/{detector}")
    config.add_route("flags.detail", "/flags/{id:[0-9]+}")
    config.add_route("flags.status", "/flags/{id:[0-9]+}/status")

    # Beyond lock-in (issue 10): aggregation opportunities, products and their end of support
    config.add_route("opportunities.list", "/opportunities")
    config.add_route(
        "opportunities.detail", "/opportunities/{market}/groups/{group:[0-9]+}/{year:[0-9]+}"
    )
    config.add_route("exposure", "/exposure")
    config.add_route("products.list", "/products")
    config.add_route("products.new", "/products/new")
    config.add_route("products.detail", "/products/{id:[0-9]+}")
    config.add_route("products.edit", "/products/{id:[0-9]+}/edit")
    config.add_route("products.contracts", "/products/{id:[0-9]+}/contracts")
    config.add_route("products.obligations", "/products/{id:[0-9]+}/obligations")

    # Open data
    config.add_route("data", "/data")
    config.add_route("data.ocds", "/data/ocds.json")
    config.add_route("data.import", "/data/import")
    # The import ledger and dated snapshots (issue 11): before data.table, whose pattern they fit.
    config.add_route("data.imports", "/data/imports")
    config.add_route("data.snapshots", "/data/snapshots")
    config.add_route("data.imports.detail", "/data/imports/{id:[0-9]+}")
    config.add_route("data.snapshots.file", "/data/snapshots/{name}/{file}")
    # One CSV and one JSON per public table (frameworks, lots, obligations, memberships,
    # supplier_groups, suppliers, buyers, contracts, contract_extensions): list pages link here.
    config.add_route("data.table", "/data/{table}.{format:csv|json}")

    # Search and comparison
    config.add_route("search", "/search")
    config.add_route("compare", "/compare")

    # JSON API (token-authenticated writes; no CSRF)
    # Pickers' suggestions (issue 18): read-only, for the forms' script.
    config.add_route("pickers.suppliers", "/api/v1/suggest/suppliers")
    config.add_route("pickers.buyers", "/api/v1/suggest/buyers")
    config.add_route("pickers.frameworks", "/api/v1/suggest/frameworks")
    config.add_route("pickers.lots", "/api/v1/suggest/lots")
    config.add_route("api.openapi", "/api/v1/openapi.json")
    config.add_route("api.frameworks", "/api/v1/frameworks")
    config.add_route("api.suppliers", "/api/v1/suppliers")
    config.add_route("api.supplier_scores", "/api/v1/suppliers/{id:[0-9]+}/scores")
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
    config.add_route("api.imports.detail", "/api/v1/imports/{id:[0-9]+}")
    config.add_route("api.buyer_accountability", "/api/v1/buyers/{id:[0-9]+}/accountability")
    config.add_route("api.products", "/api/v1/products")
