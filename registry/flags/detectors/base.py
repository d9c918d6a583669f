"""What every detector is: an id, its rule, its thresholds (defaults overridable in the ini file),
the published source it follows, and a function of one or a few SQL aggregate queries."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pyramid.exceptions import ConfigurationError
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.contracts.queries import public_contract
from registry.flags.models import Severity, SubjectType
from registry.flags.run_contracts import create_run_contracts
from registry.markets.services import window_from, window_start
from registry.sql import CreateTempTableAs

if TYPE_CHECKING:
    from registry.flags.scope import Scope

SETTINGS_PREFIX = "registry.detectors."
# The run cache's list of the temporary tables detectors made (`RunContext.materialise`).
TEMPORARY_TABLES = "temporary tables"


@dataclasses.dataclass(frozen=True)
class Threshold:
    name: str
    default: int | float
    minimum: int | float
    maximum: int | float
    description: str

    @property
    def kind(self) -> type:
        return type(self.default)

    def parse(self, setting: str, raw: Any) -> int | float:
        """The setting's value, or a ConfigurationError naming the setting and what it must be."""
        text = str(raw).strip()
        try:
            value: int | float = int(text) if self.kind is int else float(text)
        except ValueError:
            kind = "a whole number" if self.kind is int else "a number"
            raise ConfigurationError(f"{setting} must be {kind}, not {text!r}") from None
        if value != value or not self.minimum <= value <= self.maximum:  # NaN is out of range too
            raise ConfigurationError(
                f"{setting} must be between {self.minimum} and {self.maximum}, not {text}"
            )
        return value


@dataclasses.dataclass(frozen=True)
class Finding:
    """One subject showing the pattern, with the numbers that show it."""

    subject_type: SubjectType
    subject_key: str
    subject_label: str
    severity: Severity
    metrics: dict[str, Any]
    market_key: str | None = None
    buyer_id: int | None = None
    group_id: int | None = None
    framework_id: int | None = None
    contract_id: int | None = None
    # Every group the finding concerns; group_id is added to it.
    group_ids: tuple[int, ...] = ()

    @property
    def all_group_ids(self) -> frozenset[int]:
        ids = set(self.group_ids)
        if self.group_id is not None:
            ids.add(self.group_id)
        return frozenset(ids)


@dataclasses.dataclass(frozen=True)
class Examined:
    """One subject a detector looked at (flagged or not), for its coverage. `applicable` False
    means the rule could not be applied; `reason` says why, or what could not be checked."""

    subject_type: SubjectType
    subject_key: str
    subject_label: str
    applicable: bool = True
    reason: str | None = None


# What a detector's `coverage` hook returns: SQL selects (run as INSERT ... SELECT, so national
# data never passes through Python) whose columns are labelled as in COVERAGE_COLUMNS, and/or
# Examined rows (bulk-inserted) when the detector already holds its subjects in memory.
CoverageSource = Sequence["sa.Select[Any] | Examined"]
COVERAGE_COLUMNS = ("subject_type", "subject_key", "subject_label", "applicable", "reason")


def coverage_select(
    subject_type: SubjectType,
    key: Any,
    label: Any,
    not_applicable: Sequence[tuple[sa.ColumnElement[bool], str]] = (),
    checked_note: Sequence[tuple[sa.ColumnElement[bool], str]] = (),
) -> list[Any]:
    """The five labelled columns of a coverage select: the first `not_applicable` condition that
    holds gives the reason the rule could not be applied; otherwise the first `checked_note`
    condition that holds says what could not be checked."""
    whens = [(cond, sa.literal(reason)) for cond, reason in not_applicable]
    notes = [(cond, sa.literal(note)) for cond, note in checked_note]
    applicable: Any = (
        sa.case(*((cond, 0) for cond, _ in not_applicable), else_=1)
        if not_applicable
        else sa.literal(1)
    )
    reason: Any = sa.case(*whens, *notes, else_=sa.null()) if whens or notes else sa.null()
    return [
        sa.literal(subject_type.value, sa.String).label("subject_type"),
        sa.cast(key, sa.String).label("subject_key"),
        sa.func.substr(label, 1, 500).label("subject_label"),
        applicable.label("applicable"),
        sa.cast(reason, sa.Text).label("reason"),
    ]


@dataclasses.dataclass(frozen=True)
class RunContext:
    db: Session
    thresholds: Mapping[str, int | float]
    cpv_depth: int
    # Shared by the detectors of one run, so the market figures are computed once.
    cache: dict[Any, Any] = dataclasses.field(default_factory=dict)
    # A scoped rerun's changed subjects, and the kinds of them whose contracts it reads.
    scope: Scope | None = None
    scoped_by: tuple[str, ...] = ()

    def window_start(self, window_years: int) -> int | None:
        """The first year of the window (`window_start`), read once per run from the run's
        contracts (narrower than the contracts table, and built anyway); from every contract
        when the run's are a scope's, which need not hold the latest (or from the latest year
        the plan read, which a scope holds)."""
        key = ("window_start", window_years)
        latest = None if self.scope is None else self.scope.latest_year
        if key not in self.cache and latest is not None:  # the plan read it: no second pass
            self.cache[key] = window_from(latest, window_years)
        if key not in self.cache:
            contracts = None if self.scope is not None else self.contracts()
            self.cache[key] = window_start(self.db, window_years, contracts)
        start: int | None = self.cache[key]
        return start

    def currencies(self) -> list[str]:
        """Every currency the run's valued contracts are in (one, in most national data); of
        every contract when the run's are a scope's."""
        key = ("currencies", self.cpv_depth)
        if key not in self.cache:
            if self.scope is None:
                rc = self.contracts()
                query = sa.select(rc.c.currency).where(rc.c.currency.is_not(None))
            else:
                valued = sa.and_(Contract.value_amount.is_not(None), Contract.currency.is_not(None))
                query = sa.select(Contract.currency).where(public_contract(), valued)
            self.cache[key] = list(self.db.execute(query.distinct()).scalars())
        currencies: list[str] = self.cache[key]
        return currencies

    def materialise(self, name: str, select: sa.Select[Any]) -> sa.Table:
        """`select` as a temporary table, built once per run (a detector's `find` and `coverage`
        then read it instead of computing it twice) and dropped when the run ends."""
        key = ("materialised", name)
        if key not in self.cache:
            self.cache.setdefault(TEMPORARY_TABLES, []).append(name)
            self.db.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
            self.db.execute(CreateTempTableAs(name, select))
            if self.db.get_bind().dialect.name == "postgresql":
                self.db.execute(sa.text(f"ANALYZE {name}"))
            columns = [sa.Column(c.name, c.type) for c in select.selected_columns]
            self.cache[key] = sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"])
        table: sa.Table = self.cache[key]
        return table

    def in_scope(self) -> sa.ColumnElement[bool]:
        """On contracts: those a scoped rerun reads (every one when not scoped), for detectors
        that read the contracts table itself."""
        if self.scope is None:
            return sa.true()
        return self.scope.contracts(self.db, self.scoped_by)

    def contracts(self) -> sa.Table:
        """This run's published contracts (`RUN_CONTRACTS`), built at the first call; for a
        scoped rerun, those of its changed subjects (one table per kinds of them)."""
        key = _contracts_key(self.cpv_depth, self.scoped_by if self.scope else ())
        if key not in self.cache:
            if self.scope is None:
                self.cache[key] = create_run_contracts(self.db, self.cpv_depth)
            else:
                name = "run_contracts_" + "_".join(self.scoped_by)
                only = self.scope.contracts(self.db, self.scoped_by)
                self.cache.setdefault(TEMPORARY_TABLES, []).append(name)
                self.cache[key] = create_run_contracts(self.db, self.cpv_depth, only, name)
        table: sa.Table = self.cache[key]
        return table


def _contracts_key(depth: int, scoped_by: tuple[str, ...] = ()) -> tuple[Any, ...]:
    return ("run_contracts", depth, scoped_by)


def built_contracts(cache: dict[Any, Any], depth: int) -> sa.Table | None:
    """A run's published contracts (all of them, at `depth`) if one of its detectors built
    them (`RunContext.contracts`); None if none did."""
    table: sa.Table | None = cache.get(_contracts_key(depth))
    return table


@dataclasses.dataclass(frozen=True)
class Detector:
    id: str
    title: str
    rule: str  # a format string over the threshold names
    source: str
    source_url: str
    thresholds: tuple[Threshold, ...]
    subjects: str  # what it flags, as the flag pages say it
    find: Callable[[RunContext], list[Finding]]
    # Every subject the detector examined (docs/DEVELOPING.md, "Detectors"). None: only its flags
    # are recorded as coverage, and its page says the rest was not reported.
    coverage: Callable[[RunContext], CoverageSource] | None = None
    # The method's version, stamped on its coverage rows: bump it when the rule's logic changes.
    version: str = "1"
    # What a rerun can be scoped to (registry.flags.scope): per subject type it flags, the kind
    # of changed subject (buyer, group, contract) whose contracts alone decide it, named by its
    # key's first part. Empty: a rerun recomputes every subject.
    scope: tuple[tuple[SubjectType, str], ...] = ()

    @property
    def scoped_by(self) -> tuple[str, ...]:
        return tuple(sorted({kind for _subject, kind in self.scope}))

    @property
    def defaults(self) -> dict[str, int | float]:
        return {t.name: t.default for t in self.thresholds}

    def describe(self, thresholds: Mapping[str, Any]) -> str:
        return self.rule.format(**{**self.defaults, **thresholds})

    def setting(self, name: str) -> str:
        return f"{SETTINGS_PREFIX}{self.id}.{name}"
