"""The route table as the app registers it, records to fill its URLs, and who may use each route.

Security tests are generated from this, so a route added by any feature is covered without
editing them. A route whose path parameters cannot be filled fails loudly: extend PLANTING below.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import tempfile
import uuid
from collections.abc import Callable
from typing import Any

import webtest
from pyramid.authorization import ACLHelper, Everyone
from pyramid.httpexceptions import HTTPException
from pyramid.interfaces import IRoutesMapper, ISecurityPolicy
from pyramid.registry import Registry
from pyramid.request import Request
from sqlalchemy.orm import Session

from registry import clock
from registry.accounts.services import DatabaseUserService
from registry.authnz import RootFactory
from registry.config import configure
from tests.conftest import TEST_PASSWORD

ROLES = ("anonymous", "officer", "auditor", "supplier", "admin")
_PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")


@dataclasses.dataclass(frozen=True)
class RouteView:
    route: str
    pattern: str
    factory: Any
    method: str  # "GET" or "POST"
    permission: str
    require_csrf: bool

    @property
    def placeholders(self) -> list[str]:
        return _PLACEHOLDER.findall(self.pattern)

    @property
    def token_api(self) -> bool:
        """Token-authenticated JSON API views opt out of CSRF and answer 401, not a login page."""
        return not self.require_csrf


def route_views(settings: dict[str, Any] | None = None) -> list[RouteView]:
    """One entry per (route, GET|POST) with a view, as the introspector sees them."""
    if settings is None:  # at collection time: nothing is connected, so any URL will do
        with tempfile.TemporaryDirectory(prefix="registry-routes-") as var:
            return route_views(
                {
                    "sqlalchemy.url": f"sqlite:///{var}/unused.db",
                    "registry.environment": "development",
                    "registry.var_dir": var,
                    "registry.index_dir": f"{var}/index",
                    "session.secret": uuid.uuid4().hex * 2,
                }
            )
    config = configure(dict(settings))
    try:
        routes = {
            r.name: r
            for r in config.registry.getUtility(IRoutesMapper).get_routes()
            if not r.name.startswith("__")
        }
        found: dict[tuple[str, str], RouteView] = {}
        for entry in config.registry.introspector.get_category("views"):
            view = entry["introspectable"]
            route = routes.get(view["route_name"] or "")
            if route is None:
                continue
            permissions = [r["value"] for r in entry["related"] if r.category_name == "permissions"]
            methods = view["request_methods"]
            if methods is None:
                methods = ("GET", "POST")
            elif isinstance(methods, str):
                methods = (methods,)
            for method in ("GET", "POST"):
                if method in methods and (route.name, method) not in found:
                    found[(route.name, method)] = RouteView(
                        route=route.name,
                        pattern=route.pattern,
                        factory=route.factory,
                        method=method,
                        permission=str((permissions or [""])[0]),
                        require_csrf=view.get("require_csrf") is not False,
                    )
        return sorted(found.values(), key=lambda v: (v.route, v.method))
    finally:
        config.registry["sqlalchemy.engine"].dispose()


# --- Planting: one record of each kind the routes name, owned by the test users' organisations --


@dataclasses.dataclass
class Planted:
    records: dict[str, Any]
    users: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.records[name]
        except KeyError:
            raise AttributeError(name) from None


def plant(db: Session) -> Planted:
    from registry.flags.models import Flag, FlagStatus, Severity, SubjectType
    from registry.suppliers.models import SupplierMerge
    from tests.common.db.core import (
        BuyerFactory,
        ContractFactory,
        LotFactory,
        MembershipFactory,
        ObligationFactory,
        SupplierFactory,
    )
    from tests.common.db.products import ProductFactory
    from tests.common.db.scoring import AssessmentFactory

    r: dict[str, Any] = {}
    r["lot"] = LotFactory()
    r["framework"] = r["lot"].framework
    r["obligation"] = ObligationFactory(framework=r["framework"])
    r["buyer"] = BuyerFactory()
    r["other_buyer"] = BuyerFactory()
    r["supplier"] = SupplierFactory()
    r["other_supplier"] = SupplierFactory()
    r["group"] = r["supplier"].group
    r["membership"] = MembershipFactory(supplier=r["supplier"], lot=r["lot"])
    r["contract"] = ContractFactory(buyer=r["buyer"], supplier=r["supplier"], lot=r["lot"])
    r["other_contract"] = ContractFactory(buyer=r["other_buyer"], supplier=r["other_supplier"])
    r["product"] = ProductFactory(group=r["group"])
    # Submitted and inside the reply window: every assessment action is open to someone.
    window = clock.today() + datetime.timedelta(days=30)
    r["assessment"] = AssessmentFactory(contract=r["contract"], reply_due=window)
    r["other_assessment"] = AssessmentFactory(contract=r["other_contract"], reply_due=window)
    merged = SupplierFactory()
    r["merge"] = SupplierMerge(
        survivor_id=r["supplier"].id, merged_id=merged.id, moved={}, reason="Same company"
    )
    r["flag"] = Flag(
        detector="duopoly",
        subject_type=SubjectType.market,
        subject_key=f"lot-{r['lot'].id}",
        subject_label="Software packages",
        severity=Severity.high,
        status=FlagStatus.open,
        metrics={},
        rule="two groups hold most of the market",
        thresholds={},
        source="CMA merger assessment guidelines",
        market_key=f"lot-{r['lot'].id}",
    )
    # The import ledger (issue 11): one refused import, public like every entry.
    from registry.opendata.ledger import describe, record_refusal

    r["import_run"] = record_refusal(
        db, describe(None, "planted.json", via="upload"), ["planted.json: not valid JSON"]
    )
    db.add_all([r["merge"], r["flag"]])
    db.flush()

    service = DatabaseUserService(db)
    tag = uuid.uuid4().hex[:6]
    users = {
        "officer": service.create_user(
            f"officer-{tag}@example.org", TEST_PASSWORD, "officer", buyer_id=r["buyer"].id
        ),
        "auditor": service.create_user(f"auditor-{tag}@example.org", TEST_PASSWORD, "auditor"),
        "supplier": service.create_user(
            f"supplier-{tag}@example.org", TEST_PASSWORD, "supplier", supplier_id=r["supplier"].id
        ),
        "admin": service.create_user(f"admin-{tag}@example.org", TEST_PASSWORD, "admin"),
    }
    db.flush()
    return Planted(r, users)


Params = dict[str, str]
Variants = list[tuple[str, Params]]


def _own_and_other(own: str, other: str) -> Callable[[Planted], Variants]:
    """Per-object routes: the test users' own organisation's record, and another's."""
    return lambda p: [
        ("own", {"id": str(p.records[own].id)}),
        ("other", {"id": str(p.records[other].id)}),
    ]


def _id(name: str) -> Callable[[Planted], Variants]:
    return lambda p: [("", {"id": str(p.records[name].id)})]


# Path parameters by name, when one value suits every route that has it.
PARAM_DEFAULTS: dict[str, Callable[[Planted], str]] = {
    "reference": lambda p: p.framework.reference,
    "number": lambda p: p.lot.number,
    "key": lambda p: f"lot-{p.lot.id}",
    "table": lambda p: "contracts",
    "format": lambda p: "csv",
    # Snapshots (issue 11): the one planted, and its manifest.
    "name": lambda p: p.records["snapshot"].name,
    "file": lambda p: "manifest.json",
    # /opportunities/{market}/groups/{group}/{year}: the planted contract's lot, group and year.
    "market": lambda p: f"lot-{p.lot.id}",
    "group": lambda p: str(p.group.id),
    "year": lambda p: str(p.contract.award_date.year),
    "detector": lambda p: "market_concentration",
}

# `{id}` means something different on each route: say what, by route-name prefix (longest wins).
ID_BY_PREFIX: dict[str, Callable[[Planted], Variants]] = {
    "accounts.": lambda p: [("", {"id": str(p.users["officer"].id)})],
    "frameworks.memberships.": _id("membership"),
    "frameworks.obligations.": _id("obligation"),
    "suppliers.groups.": _id("group"),
    "suppliers.merges.": _id("merge"),
    "suppliers.": _id("supplier"),
    "remedies.supplier": _id("supplier"),
    "buyers.": _id("buyer"),
    "contracts.": _own_and_other("contract", "other_contract"),
    "assessments.new": _own_and_other("contract", "other_contract"),
    "assessments.": _own_and_other("assessment", "other_assessment"),
    "review.item": _own_and_other("assessment", "other_assessment"),
    "flags.": _id("flag"),
    "products.": _id("product"),
    "api.supplier_scores": _id("supplier"),
    "data.imports.": _id("import_run"),
    "api.imports.": _id("import_run"),
    "api.detector_coverage": lambda p: [("", {"id": "market_concentration"})],
    "api.buyer_accountability": _id("buyer"),
}


class UnfillableRoute(Exception):
    pass


def variants(view: RouteView, planted: Planted) -> Variants:
    """Each (label, matchdict) to request the route with; raises UnfillableRoute if unknown."""
    names = view.placeholders
    found: Variants = [("", {})]
    if "id" in names:
        prefixes = [p for p in ID_BY_PREFIX if view.route.startswith(p)]
        if not prefixes:
            raise UnfillableRoute(f"{view.route} {view.pattern}: {{id}}")
        found = ID_BY_PREFIX[max(prefixes, key=len)](planted)
    missing = [n for n in names if n != "id" and n not in PARAM_DEFAULTS]
    if missing:
        raise UnfillableRoute(f"{view.route} {view.pattern}: {missing}")
    extra = {n: PARAM_DEFAULTS[n](planted) for n in names if n != "id"}
    return [(label, {**params, **extra}) for label, params in found]


def fill(pattern: str, params: Params) -> str:
    return _PLACEHOLDER.sub(lambda m: params[m.group(1)], pattern)


# --- Expectations: the app's own ACLs, evaluated against the context the route produces --------


def principals(user: Any) -> list[str]:
    return [Everyone] if user is None else list(user.principals())


class _Identity:
    """The security policy of `permitted`'s request: who it is, nothing else."""

    def __init__(self, user: Any) -> None:
        self.user = user

    def identity(self, request: Request) -> Any:
        return self.user


def permitted(view: RouteView, params: Params, db: Session, user: Any) -> bool:
    """Whether the view's permission is granted, as the app's security policy would decide."""
    request = Request.blank(fill(view.pattern, params))
    request.matchdict = params
    request.db = db
    # A route factory may ask who is asking (an assessment's pages are not there for those who
    # may not see it): the request's identity is the client's user.
    request.registry = Registry()
    request.registry.registerUtility(_Identity(user), ISecurityPolicy)
    factory = view.factory or RootFactory
    try:
        context = factory(request)
    except HTTPException as exc:  # the planted record should exist
        raise AssertionError(f"{view.route}: the route factory raised {exc!r}") from exc
    return bool(ACLHelper().permits(context, principals(user), view.permission))


# --- Clients ----------------------------------------------------------------------------------


class Client:
    """A WebTest client signed in as one role; its session cookie is restored before each request
    so that a POST to /logout (or a session rotation) does not leak into the next check."""

    def __init__(self, app: webtest.TestApp, role: str, user: Any) -> None:
        self.app = app
        self.role = role
        self.user = user
        if user is not None:
            form = app.get("/login").forms[0]
            form["email"] = user.email
            form["password"] = TEST_PASSWORD
            response = form.submit()
            assert response.status_int == 303, f"{role} could not sign in"
        self.csrf = self._csrf_token()  # may start the session: keep the cookie after it
        self.cookies = dict(app.cookies)

    def _csrf_token(self) -> str:
        page = self.app.get("/logout" if self.user is not None else "/login")
        token = page.html.find("input", attrs={"name": "csrf_token"})
        assert token is not None, f"no CSRF token for {self.role}"
        return str(token["value"])

    def _restore(self) -> None:
        self.app.reset()
        for name, value in self.cookies.items():
            self.app.set_cookie(name, value)

    def get(self, url: str, **kw: Any) -> webtest.TestResponse:
        self._restore()
        return self.app.get(url, status="*", expect_errors=True, **kw)

    def post(self, url: str, params: Any = None, **kw: Any) -> webtest.TestResponse:
        self._restore()
        body = {"csrf_token": self.csrf} if params is None else params
        return self.app.post(url, body, status="*", expect_errors=True, **kw)


def is_login_redirect(response: webtest.TestResponse) -> bool:
    location = response.headers.get("Location", "")
    return response.status_int in (302, 303) and "/login" in location


def describe(response: webtest.TestResponse) -> str:
    where = response.headers.get("Location", "")
    return f"{response.status}" + (f" → {where}" if where else "")


class Planting:
    """Records planted once in a transaction rolled back at the end, with clients signed in."""

    def __init__(self, engine: Any, wsgi_app: Any, roles: tuple[str, ...] = ROLES) -> None:
        from tests.common.db import base as factories

        self._factories = factories
        self.connection = engine.connect()
        self.transaction = self.connection.begin()
        self.db = Session(bind=self.connection, join_transaction_mode="create_savepoint")
        factories.bind(self.db)
        self.planted = plant(self.db)
        # A dated snapshot (issue 11) in the app's snapshot root, removed again by close().
        from registry.opendata.snapshots import snapshots_root, write_snapshot

        self._snapshots = snapshots_root(wsgi_app.registry.settings)
        self.planted.records["snapshot"] = write_snapshot(self.db, self._snapshots)
        self.db.commit()  # releases the savepoint: the app's requests see the records
        self.clients = {
            role: Client(
                webtest.TestApp(
                    wsgi_app,
                    extra_environ={
                        "registry.db_connection": self.connection,
                        "HTTP_HOST": "localhost",
                    },
                ),
                role,
                self.planted.users.get(role),
            )
            for role in roles
        }

    def close(self) -> None:
        import shutil

        shutil.rmtree(self._snapshots / self.planted.records["snapshot"].name, ignore_errors=True)
        self._factories.bind(None)
        self.db.close()
        self.transaction.rollback()
        self.connection.close()

    def row_counts(self) -> dict[str, int]:
        return row_counts(self.connection)


def row_counts(connection: Any) -> dict[str, int]:
    """Rows in every table, in one query."""
    from registry.db import ModelBase

    tables = sorted(ModelBase.metadata.tables)
    query = " UNION ALL ".join(
        f"SELECT '{name}' AS t, count(*) AS n FROM {name}" for name in tables
    )
    return {t: int(n) for t, n in connection.exec_driver_sql(query)}
