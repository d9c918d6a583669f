"""A detector's rerun scoped to the subjects whose contracts changed (issue 21).

An incremental run knows the contracts changed and the buyers and supplier groups they are in,
now and before (registry.changes.logged, through the plan's changed subjects). A detector whose
finding about a subject depends only on the contracts of one such changed-subject kind and on
quantities over all the data (the window's first year, the currencies, which `RunContext` then
reads from the whole contracts table; `contract_globals` tells when they moved) declares it
(`Detector.scope`: per subject type, the kind its key begins with: `<buyer>/<group>/<market>`,
`<group>`, `<buyer>`, `<contract>`). Its rerun reads only the contracts of the changed subjects
of that kind, found through the contracts' indexes, and its flags and coverage are reconciled
for those subjects alone: the others' are left as they are, which is what a full run would leave
them. What it works out about other subjects, from the part of their contracts it read, is
discarded.

The market detectors are not scoped: a day's file touches nearly every CPV market (all but a
few of the 198 in the benchmark's data), so a scope of markets reads nearly every contract, twice
over with the run's own (measured slower than the full pass it replaces).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.contracts.queries import contract_year, public_contract
from registry.flags.models import SubjectType
from registry.sql import fresh_table, in_chunks
from registry.suppliers.models import Supplier

if TYPE_CHECKING:
    from registry.flags.detectors.base import Detector

KINDS = ("buyer", "group", "contract")
GLOBALS = "globals"  # the kind of `contract_globals`' fingerprint
BATCH = 500  # keys per IN list
# The subject types whose key joins several subjects' keys with "/", the scope's first.
COMPOUND = frozenset({SubjectType.buyer_supplier})
# The changed subjects, looked up by kind and key (the reconciliation's IN).
SUBJECTS = sa.Table(
    "scope_subjects",
    sa.MetaData(),
    sa.Column("kind", sa.String(24)),
    sa.Column("subject", sa.String(100)),
    sa.PrimaryKeyConstraint("kind", "subject"),
    prefixes=["TEMPORARY"],
)
# The contracts of the changed subjects, by the kind of subject that brought them in.
CONTRACTS = sa.Table(
    "scope_contracts",
    sa.MetaData(),
    sa.Column("kind", sa.String(24)),
    sa.Column("id", sa.Integer),
    sa.Index("scope_contracts_kind", "kind", "id"),
    prefixes=["TEMPORARY"],
)


@dataclasses.dataclass
class Scope:
    """The changed subjects of an incremental run, and the detectors that may be scoped to them
    (those that read no changed table the change log does not name by subject)."""

    subjects: sa.Select[Any] | sa.CompoundSelect[Any]  # (kind, subject) rows
    detectors: frozenset[str]
    # The latest contract year, as the plan read it in what all subjects share (unchanged since
    # the last run, or there would be no scope): the windows end there. None: not known.
    latest_year: int | None = None
    keys: dict[str, set[str]] = dataclasses.field(default_factory=dict)
    staged: set[str] = dataclasses.field(default_factory=set)
    dialect: str = ""

    def prepare(self, db: Session) -> list[str]:
        """Stage the changed subjects (indexed, for the reconciliation's IN) and hold their keys;
        the names of the temporary tables made, for the run to drop."""
        self.dialect = db.get_bind().dialect.name
        fresh_table(db, SUBJECTS)
        fresh_table(db, CONTRACTS)
        rows = self.subjects.subquery()
        wanted = sa.select(rows.c.kind, rows.c.subject).where(rows.c.kind.in_(KINDS)).distinct()
        db.execute(SUBJECTS.insert().from_select(["kind", "subject"], wanted))
        self.keys = {kind: set() for kind in KINDS}
        for kind, subject in db.execute(sa.select(SUBJECTS.c.kind, SUBJECTS.c.subject)):
            self.keys[kind].add(subject)
        self.staged = set()
        return [SUBJECTS.name, CONTRACTS.name]

    def applies(self, detector: Detector) -> bool:
        return bool(detector.scope) and detector.id in self.detectors

    def holds(self, detector: Detector, subject_type: SubjectType, subject_key: str) -> bool:
        """Whether the subject is in scope for the detector."""
        first = subject_key.split("/", 1)[0]
        return any(
            subject_type == scoped and first in self.keys[kind] for scoped, kind in detector.scope
        )

    def where(self, detector: Detector, types: Any, keys: Any) -> sa.ColumnElement[bool]:
        """The SQL of `holds`, on a table's subject type and key columns (flags, coverage)."""
        return sa.or_(
            *(
                sa.and_(
                    types == scoped,
                    # A whole key is looked up in the subjects' index; a pair's, by its first.
                    (self._first_part(keys) if scoped in COMPOUND else keys).in_(
                        sa.select(SUBJECTS.c.subject).where(SUBJECTS.c.kind == kind)
                    ),
                )
                for scoped, kind in detector.scope
            )
        )

    def _first_part(self, keys: Any) -> Any:
        """A subject key up to its first slash (a whole key that has none)."""
        if self.dialect == "postgresql":
            return sa.func.split_part(keys, "/", 1)
        ended = keys + sa.literal("/")
        return sa.func.substr(ended, 1, sa.func.instr(ended, "/") - 1)

    def contracts(self, db: Session, kinds: Iterable[str]) -> sa.ColumnElement[bool]:
        """A condition on contracts: those of the changed subjects of these kinds (staged at
        the first call for each kind)."""
        kinds = sorted(set(kinds))
        for kind in kinds:
            if kind not in self.staged:
                for condition in _conditions(kind, self.keys[kind]):
                    ids = sa.select(sa.literal(kind, sa.String), Contract.id).where(condition)
                    db.execute(CONTRACTS.insert().from_select(["kind", "id"], ids))
                self.staged.add(kind)
        return Contract.id.in_(sa.select(CONTRACTS.c.id).where(CONTRACTS.c.kind.in_(kinds)))


def contract_globals() -> sa.Select[Any]:
    """A fingerprint (kind `globals`) of what scoped detectors' findings depend on beyond their
    subjects' contracts: the latest contract year (their windows end there) and the currency
    of the valued contracts, when they are all in one ("many" otherwise: each subject's is then
    its own). When it changed, no rerun is scoped."""
    valued = sa.case((Contract.value_amount.is_not(None), Contract.currency))
    currency = sa.case(
        (sa.func.count(sa.distinct(valued)) <= 1, sa.func.coalesce(sa.func.max(valued), "")),
        else_=sa.literal("many"),
    )
    latest = sa.func.coalesce(sa.cast(sa.func.max(contract_year()), sa.String), "")
    query: sa.Select[Any] = sa.select(  # type: ignore[assignment]
        sa.literal(GLOBALS, sa.String).label("kind"),
        sa.literal("contracts", sa.String).label("subject"),
        (latest + sa.literal(":") + currency).label("fingerprint"),
    ).where(public_contract())
    return query


def latest_year(fingerprint: str | None) -> int | None:
    """The latest contract year in a `contract_globals` fingerprint (None: no dated contract)."""
    year = (fingerprint or "").split(":", 1)[0]
    return int(year) if year.isdigit() else None


def _conditions(kind: str, keys: set[str]) -> Iterable[sa.ColumnElement[bool]]:
    """Conditions, each on an index of contracts, that together select every contract of these
    subjects (a few others too, which are discarded later: never fewer)."""
    for batch in in_chunks(sorted(int(key) for key in keys), BATCH):
        if kind == "contract":
            yield Contract.id.in_(batch)
        elif kind == "buyer":
            yield Contract.buyer_id.in_(batch)
        else:
            yield Contract.supplier_id.in_(
                sa.select(Supplier.id).where(Supplier.group_id.in_(batch))
            )
