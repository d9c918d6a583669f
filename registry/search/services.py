"""Choosing the search backend, and keeping its index in step with committed data.

Changed rows are collected in `after_flush` into `session.info`; their documents are read in
`before_commit` (inside the transaction, so they show exactly what is being committed) and written
to the index only in `after_commit`. A rollback discards them: the index never sees uncommitted
data, and a failed transaction leaves it untouched."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

from pyramid.exceptions import ConfigurationError
from pyramid.path import DottedNameResolver
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy import event
from sqlalchemy.orm import Session
from zope.interface import implementer
from zope.interface.verify import verifyClass

from registry.buyers.models import Buyer
from registry.contracts.models import Contract
from registry.flags.models import Flag, FlagGroup
from registry.frameworks.models import Framework, Lot, Membership, Obligation
from registry.products.models import Product
from registry.scoring.scores.models import Score
from registry.search.documents import all_documents, documents_for, expand
from registry.search.interfaces import FACETS, Document, ISearchService, SearchResults
from registry.suppliers.models import Supplier, SupplierGroup

log = logging.getLogger(__name__)

SETTING = "registry.search.backend"
ALIASES = {
    "whoosh": "registry.search.whoosh_backend.WhooshSearchService",
    "postgresql": "registry.search.postgres_backend.PostgresSearchService",
    "null": "registry.search.services.NullSearchService",
}
DEFAULT = "whoosh"

CHANGES = "registry.search.changes"
PENDING = "registry.search.pending"
BACKEND = "registry.search.backend"
REBUILD = "rebuild"
REBUILD_ABOVE = 20_000  # changed rows in one commit


@implementer(ISearchService)
class NullSearchService:
    """Finds nothing and indexes nothing: for deployments where search is switched off."""

    name = "null"
    indexes_on_commit = False

    @classmethod
    def from_settings(cls, settings: dict[str, Any], db: Any) -> NullSearchService:
        return cls()

    @staticmethod
    def check_settings(settings: dict[str, Any]) -> str | None:
        return None

    def search(
        self,
        query: str,
        *,
        filters: dict[str, list[str]] | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> SearchResults:
        return SearchResults(query, [], 0, 1, page_size, {f: [] for f in FACETS})

    def index(self, documents: Iterable[Document], removed: Iterable[str] = ()) -> None:
        pass

    def rebuild(self, documents: Iterable[Document]) -> int:
        return 0

    def create(self) -> None:
        pass

    def check(self) -> str | None:
        return None

    def outdated(self) -> bool:
        return False


def backend_class(settings: dict[str, Any]) -> Any:
    """The backend the settings name, checked: a ConfigurationError names the setting."""
    name = str(settings.get(SETTING) or DEFAULT).strip()
    dotted = ALIASES.get(name, name)
    try:
        cls: Any = DottedNameResolver().resolve(dotted)
    except (ImportError, ValueError, AttributeError) as exc:
        raise ConfigurationError(
            f"{SETTING} = {name!r} is not a search backend: use one of "
            f"{', '.join(ALIASES)} or a dotted name ({exc})"
        ) from exc
    if not isinstance(cls, type) or not ISearchService.implementedBy(cls):
        raise ConfigurationError(f"{SETTING} = {name!r} does not implement ISearchService")
    verifyClass(ISearchService, cls)
    problem = getattr(cls, "check_settings", lambda s: None)(settings)
    if problem:
        raise ConfigurationError(f"{SETTING} = {name!r}: {problem}")
    return cls


def make_backend(settings: dict[str, Any], db: Session) -> Any:
    return backend_class(settings).from_settings(settings, db)


def search_service_factory(context: Any, request: Request) -> Any:
    return make_backend(request.registry.settings, request.db)


# -- keeping the index in step ------------------------------------------------------------------


def _change(obj: Any) -> tuple[str, int] | None:
    if isinstance(obj, Membership | Score):
        return ("supplier", obj.supplier_id)  # its framework facet, or its score band
    if isinstance(obj, Flag | FlagGroup | Product):
        # A flag's groups' open-flags facet; a product is in what its group's suppliers sell.
        return ("group", obj.group_id) if obj.group_id is not None else None
    for cls, kind in (
        (Supplier, "supplier"),
        (Framework, "framework"),
        (Lot, "lot"),
        (Obligation, "obligation"),
        (Contract, "contract"),
        (SupplierGroup, "group"),
        (Buyer, "buyer"),
    ):
        if isinstance(obj, cls):
            return (kind, obj.id)
    return None


def _collect(session: Session, flush_context: Any) -> None:
    # Always collected (a few keys): a request's session gets its backend only after the view.
    changes = session.info.setdefault(CHANGES, set())
    for obj in chain(session.new, session.dirty, session.deleted):
        change = _change(obj)
        if change is not None and change[1] is not None:
            changes.add(change)


# Tables whose rows appear in documents: bulk statements on them (INSERT ... of thousands of rows,
# as `registry seed` and imports run) name no rows, so the index is rebuilt after the commit.
INDEXED_TABLES = frozenset(
    {
        "frameworks",
        "lots",
        "memberships",
        "suppliers",
        "supplier_groups",
        "obligations",
        "contracts",
        "buyers",
        "scores",
        "flags",
        "flag_groups",
        "products",
    }
)
BULK = "registry.search.bulk"
# An execution option: the writer names the records this statement changes with `changed`, so
# it needs no rebuild (a detection run's flag links, whose groups it knows).
NAMED = "registry.search.named"


def changed(session: Session, kind: str, ids: Iterable[int | None]) -> None:
    """Name records a bulk write changed (its statements name no rows, as the ORM's do): their
    documents, and those they appear in (`expand`), are rewritten after the commit; past
    REBUILD_ABOVE records the index is rebuilt instead, and the names are no longer held (a
    national file's import would otherwise hold a million)."""
    if session.info.get(BULK):
        return
    names = session.info.setdefault(CHANGES, set())
    names.update((kind, i) for i in ids if i is not None)
    if len(names) > REBUILD_ABOVE:
        session.info[BULK] = True
        names.clear()


def _bulk(state: Any) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.execution_options.get(NAMED):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in INDEXED_TABLES:
        state.session.info[BULK] = True


def _prepare(session: Session) -> None:
    backend = session.info.get(BACKEND)
    if backend is None or not getattr(backend, "indexes_on_commit", False):
        _discard(session)
        return
    session.flush()  # the last changes reach after_flush before we read them
    changes = session.info.pop(CHANGES, None)
    if session.info.pop(BULK, False) or (changes and len(changes) > REBUILD_ABOVE):
        session.info[PENDING] = REBUILD  # a bulk import: rebuild once rather than hold it all
    elif changes:
        session.info[PENDING] = documents_for(session, expand(session, changes))


def _write(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    backend = session.info.get(BACKEND)
    if pending is None or backend is None:
        return
    try:
        if pending == REBUILD:
            with Session(bind=session.get_bind()) as fresh:
                backend.rebuild(all_documents(fresh))
        else:
            documents, removed = pending
            backend.index(documents, removed)
    except Exception:
        # The data is committed and safe; only the index lags. `registry reindex` catches it up.
        log.exception("could not update the search index; run `registry reindex`")


def _discard(session: Session) -> None:
    session.info.pop(CHANGES, None)
    session.info.pop(BULK, None)
    session.info.pop(PENDING, None)


def install_hooks() -> None:
    """Listen on every Session; only sessions given a backend (requests, CLI) are indexed."""
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "before_commit", _prepare)
        event.listen(Session, "after_commit", _write)
        event.listen(Session, "after_rollback", _discard)
        event.listen(Session, "do_orm_execute", _bulk)


def attach(session: Session, settings: dict[str, Any]) -> None:
    """Have this session's commits update the index of the configured backend."""
    install_hooks()  # the CLI never builds the app, whose includeme would install them
    session.info[BACKEND] = make_backend(settings, session)


def search_tween_factory(handler: Callable[[Request], Response], registry: Any) -> Any:
    """Sits under pyramid_tm: gives the request's session (only if the view used one) its
    backend before pyramid_tm commits."""

    def search_tween(request: Request) -> Response:
        response = handler(request)
        if "db" in request.__dict__:
            request.db.info[BACKEND] = make_backend(request.registry.settings, request.db)
        return response

    return search_tween
