"""Draft (unpublished) records of every kind the models define, each carrying a unique marker in
a text field the public pages would show, so a crawler can prove none of them leaks.

Tables are found through the SQLAlchemy metadata: any mapped column whose enum has a `draft`
member marks its table as having unpublished states. Planting one needs a recipe in PLANTERS; a
new table without one fails the crawler test by name.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from registry.db import ModelBase

# States a record may be in and still be public: every other state of a draft-bearing enum is not.
PUBLIC_STATES = {"published", "retracted"}


@dataclasses.dataclass(frozen=True)
class DraftState:
    model: type[Any]
    column: str
    value: enum.Enum


def draft_states() -> list[DraftState]:
    """Every (model, column, non-public value) the mapped models define."""
    found = []
    for mapper in ModelBase.registry.mappers:
        for attr in mapper.column_attrs:
            enum_class = getattr(attr.columns[0].type, "enum_class", None)
            if enum_class is None or "draft" not in enum_class.__members__:
                continue
            found.extend(
                DraftState(mapper.class_, attr.key, member)
                for member in enum_class
                if member.value not in PUBLIC_STATES
            )
    return sorted(found, key=lambda s: (s.model.__name__, s.column, s.value.value))


@dataclasses.dataclass
class Scene:
    """Published records for the drafts to hang off, reachable from / by an anonymous user."""

    supplier: Any
    buyer: Any
    lot: Any
    contract: Any


def scene() -> Scene:
    from tests.common.db.core import ContractFactory, LotFactory, MembershipFactory

    lot = LotFactory()
    contract = ContractFactory(lot=lot, title=f"PUBLISHED-CONTROL-{uuid.uuid4().hex[:6]}")
    MembershipFactory(supplier=contract.supplier, lot=lot)
    return Scene(contract.supplier, contract.buyer, lot, contract)


def _contract(s: Scene, state: DraftState, marker: str) -> Any:
    from tests.common.db.core import ContractFactory
    from tests.common.db.scoring import AssessmentFactory

    contract = ContractFactory(
        lot=s.lot, buyer=s.buyer, supplier=s.supplier, title=marker, **{state.column: state.value}
    )
    # A published assessment of the draft (issue 20: legacy data, from before the form refused
    # drafts), whose page showed the draft's title to the public: neither it nor its own words
    # may show anywhere public, assessments.csv included.
    AssessmentFactory(contract=contract, kpi=marker, evidence=marker)
    return contract


def _assessment(s: Scene, state: DraftState, marker: str) -> Any:
    from tests.common.db.scoring import AssessmentFactory

    return AssessmentFactory(
        contract=s.contract, kpi=marker, evidence=marker, **{state.column: state.value}
    )


def _breach(s: Scene, state: DraftState, marker: str) -> Any:
    from tests.common.db.scoring import BreachFactory

    return BreachFactory(
        supplier_id=s.supplier.id,
        contract_id=s.contract.id,
        description=marker,
        **{state.column: state.value},
    )


def _remediation(s: Scene, state: DraftState, marker: str) -> Any:
    from tests.common.db.scoring import RemediationPlanFactory

    return RemediationPlanFactory(
        supplier_id=s.supplier.id, gap=marker, **{state.column: state.value}
    )


def _exclusion(s: Scene, state: DraftState, marker: str) -> Any:
    from tests.common.db.scoring import ExclusionFactory

    return ExclusionFactory(supplier_id=s.supplier.id, ground=marker, **{state.column: state.value})


# Model name → how to plant one record of it in a given state, with the marker where it shows.
PLANTERS: dict[str, Callable[[Scene, DraftState, str], Any]] = {
    "Contract": _contract,
    "Assessment": _assessment,
    "Breach": _breach,
    "RemediationPlan": _remediation,
    "Exclusion": _exclusion,
}


def plant_drafts(db: Session, s: Scene) -> tuple[dict[str, str], list[str]]:
    """Plant every draft state; returns {marker: what it is} and the models with no planter."""
    markers: dict[str, str] = {}
    missing = []
    for state in draft_states():
        planter = PLANTERS.get(state.model.__name__)
        if planter is None:
            missing.append(f"{state.model.__name__}.{state.column}={state.value.value}")
            continue
        marker = f"DRAFTLEAK{uuid.uuid4().hex[:10]}"
        planter(s, state, marker)
        markers[marker] = f"{state.model.__name__}.{state.column}={state.value.value}"
    db.flush()
    return markers, sorted(set(missing))
