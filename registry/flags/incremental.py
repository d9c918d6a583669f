"""Incremental detection: which detectors and which markets' stored figures a run must redo.

Design (docs/DEVELOPING.md, "Incremental detection"): what no writer can forget to say it
touched: the contracts' changes as the database's triggers log them (registry.changes.logged),
and fingerprints of the other tables (registry.changes.fingerprints), compared with what the
last run saw:
- a detector reruns when a table it reads changed (`READS`), when its thresholds, the CPV depth
  or a method version changed, or, for a detector that judges against today's date (`DATED`),
  when the date moved; otherwise its flags and coverage are left as they are;
- the stored market figures are redone for the markets whose contracts (or whose contracts'
  supplier groups) changed, all of them when a group was renamed (ties are broken by name) or
  the settings changed;
- a first run, or `--full`, redoes everything.
A detector that reruns recomputes all its subjects, as `--full` would, so incremental and full
runs agree by construction wherever the fingerprints see a change; except one that declares a
scope (registry.flags.scope) when every changed table it reads is one whose changes the log
names by subject (`LOGGED`): it recomputes the changed subjects alone.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry import clock
from registry.changes import fingerprints, logged
from registry.db import ModelBase
from registry.figures import services as record_figures
from registry.flags.detectors import DETECTORS, DetectionSettings, RunContext
from registry.flags.detectors.base import built_contracts
from registry.flags.run_contracts import create_run_contracts, drop_run_contracts
from registry.flags.scope import GLOBALS, Scope, contract_globals, latest_year
from registry.markets.figures import METHOD_VERSION, refresh_market_figures

JOB = "detect"
# What the detectors reading the run's contracts read: contracts, their suppliers, groups, buyers,
# and what market labels are made of (classifications, lots and their frameworks).
CONTRACT_INPUTS = frozenset(
    {"contracts", "suppliers", "supplier_groups", "buyers", "classifications", "lots", "frameworks"}
)
PRODUCT_INPUTS = frozenset({"products", "contract_products", "product_obligations", "obligations"})
READS: dict[str, frozenset[str]] = {
    "market_concentration": CONTRACT_INPUTS,
    "monopoly_duopoly": CONTRACT_INPUTS,
    "buyer_dependency": CONTRACT_INPUTS,
    "repeat_awards": CONTRACT_INPUTS,
    "non_competitive_share": CONTRACT_INPUTS,
    "extension_creep": frozenset({"contracts", "contract_extensions"}),
    "over_long_framework": frozenset({"frameworks", "lots"}),
    "missing_exit_portability": frozenset({"contracts", "frameworks", "obligations"}),
    "proprietary_interfaces": frozenset({"frameworks", "lots", "obligations"}),
    "aggregation_opportunity": CONTRACT_INPUTS | PRODUCT_INPUTS,
    "end_of_support": CONTRACT_INPUTS | PRODUCT_INPUTS,
    # Groups are counted by the suppliers' group ids: no name, no contract is read.
    "closed_framework": frozenset({"frameworks", "lots", "memberships", "suppliers"}),
}
# Detectors whose findings move with today's date (an end of support passed, a framework ended).
DATED = frozenset({"closed_framework", "end_of_support"})
TRACKED = frozenset().union(*READS.values())
# The tables whose every change a scoped detector reads the change log names by its subjects:
# the contracts, and the suppliers' groups (of the suppliers' columns, all they read).
LOGGED = frozenset({"contracts", "suppliers"})


@dataclasses.dataclass
class Plan:
    """What this run redoes: the detectors to run and the markets whose figures to store (None:
    every market)."""

    changes: fingerprints.Changes
    full: bool
    detectors: list[str]
    markets: sa.Select[Any] | None
    # The changed subjects, and the detectors that may rerun for them alone (None: full run).
    scope: Scope | None = None
    # Seconds each part of the planning took, for the daily log.
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)

    def summary(self) -> str:
        """What changed, as the CLI prints it."""
        if self.full:
            why = (
                "first run"
                if self.changes.first_run
                else "thresholds or method changed"
                if self.changes.settings_changed
                else "--full"
            )
            return f"Full run ({why}): every detector and every market recomputed."
        c = self.changes
        if c.nothing:
            return "Nothing changed since the last run: nothing recomputed."
        frameworks = c.count("framework")
        return (
            f"{c.count('market')} markets, {c.count('buyer')} buyers, {c.count('group')} groups, "
            f"{frameworks} frameworks changed; {len(c.tables)} tables changed"
            + (f" ({', '.join(sorted(c.tables))})" if c.tables else "")
            + f"; {len(self.detectors)} of {len(DETECTORS)} detectors rerun."
        )


def settings_fingerprint(settings: DetectionSettings) -> str:
    """The thresholds, CPV depth and method versions a run used, hashed: a change means full."""
    method = {
        "thresholds": settings.thresholds,
        "cpv_depth": settings.cpv_depth,
        "detectors": {d.id: d.version for d in DETECTORS.values()},
        "figures": METHOD_VERSION,
        "record_figures": record_figures.METHOD_VERSION,
    }
    return hashlib.sha256(json.dumps(method, sort_keys=True).encode()).hexdigest()


def plan_detection(
    db: Session,
    settings: DetectionSettings,
    *,
    full: bool = False,
    today: datetime.date | None = None,
) -> Plan:
    """Compare the data with the last run's fingerprints and decide what to redo."""
    # The contracts, too many to fingerprint each run, are followed by the triggers' log; the
    # other tables are small enough to fingerprint whole.
    tables = [ModelBase.metadata.tables[name] for name in sorted(TRACKED - {"contracts"})]
    sources = [fingerprints.table_fingerprint(table) for table in tables]
    sources.append(record_figures.buyer_types())
    sources.append(contract_globals())
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    logged.take(db)
    subjects = logged.changed_subjects(db, settings.cpv_depth)
    seconds["change log"] = time.perf_counter() - started
    changes = fingerprints.compare(
        db,
        JOB,
        sources,
        settings_fingerprint(settings),
        (today or clock.today()).isoformat(),
        subjects,
        seconds,
    )
    if full or changes.settings_changed:
        return Plan(changes, True, list(DETECTORS), None, seconds=seconds)
    detectors = [
        detector_id
        for detector_id in DETECTORS
        if READS[detector_id] & changes.tables or (detector_id in DATED and changes.date_changed)
    ]
    # A renamed group can change the order of every market it is in: then every market.
    markets = (
        None
        if "supplier_groups" in changes.tables
        else fingerprints.changed_subjects("market", "market_key")
    )
    # A scope is a run's changed subjects; when what all subjects share moved, it is all.
    scoped = frozenset(
        d
        for d in detectors
        if not (READS[d] & changes.tables) - LOGGED and not changes.count(GLOBALS)
    )
    taken = logged.TAKEN.c
    changed = sa.union_all(
        sa.select(fingerprints.CHANGED.c.kind, fingerprints.CHANGED.c.subject),
        sa.select(taken.kind, taken.subject).where(taken.kind == "contract"),
    )
    scope = Scope(changed, scoped, latest_year(_globals_read(db))) if scoped else None
    return Plan(changes, False, detectors, markets, scope, seconds)


def _globals_read(db: Session) -> str | None:
    """The fingerprint of what all subjects share, as this run's plan worked it out."""
    now = fingerprints.NOW.c
    query = sa.select(now.fingerprint).where(now.kind == GLOBALS)
    return db.execute(query.limit(1)).scalar()


def _changed_ids(kind: str) -> sa.Select[Any]:
    subjects = fingerprints.changed_subjects(kind).subquery()
    return sa.select(sa.cast(subjects.c.subject, sa.Integer))


def refresh_record_figures(db: Session, plan: Plan | None) -> record_figures.Refreshed:
    """The stored supplier, buyer and lot figures: every record's on a full run (or a run of
    one detector, which compares no fingerprints), otherwise those whose contracts changed."""
    if plan is None or plan.full:
        return record_figures.refresh_all(db)
    return record_figures.refresh_changed(
        db,
        groups=_changed_ids("group"),
        buyers=_changed_ids("buyer"),
        typed=_changed_ids("buyer_type"),
        frameworks=_changed_ids("framework"),
    )


def refresh_markets(
    db: Session, depth: int, only: sa.Select[Any] | None, cache: dict[Any, Any] | None = None
) -> int:
    """The stored market figures: every market's from the published contracts staged once in
    RUN_CONTRACTS (one pass over contracts, suppliers and buyers, where each kind's figures
    would join contracts and suppliers three times), or those of the markets `only` selects.
    `cache`: the detection run's (`run_detection`), whose contracts are read if it built them;
    its caller drops them. The changed markets read the run's contracts too when a detector
    built them (the day's changed markets are the large ones, most of the contracts), else
    they are found through the contracts' indexes."""
    if only is not None:
        built = None if cache is None else built_contracts(cache, depth)
        return refresh_market_figures(db, depth, only, built)
    if cache is not None:
        contracts = RunContext(db, {}, depth, cache).contracts()
        return refresh_market_figures(db, depth, None, contracts)
    try:
        return refresh_market_figures(db, depth, None, create_run_contracts(db, depth))
    finally:
        drop_run_contracts(db)


def finish(db: Session, plan: Plan) -> None:
    """Store what this run saw, unless nothing changed (then nothing is written at all)."""
    if plan.full or not plan.changes.nothing:
        fingerprints.remember(db, JOB)
    fingerprints.forget_temporary(db)
    logged.forget_temporary(db)
