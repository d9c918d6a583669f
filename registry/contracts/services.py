"""Contracts: create, edit while draft, publish, retract and extend. Every change is audited.

Validation lives here, not in the forms, so the same rules hold for every way in. Problems are
collected as (field, message) pairs and raised together, so a form can show all of them at once.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from zope.interface import implementer

from registry.audit.services import record_event
from registry.authnz import Role
from registry.buyers.models import Buyer
from registry.contracts.interfaces import IContractService
from registry.contracts.models import Contract, ContractExtension, ProcurementMethod
from registry.contracts.rules import Problem, can_see, check_terms, merged_message
from registry.db import utcnow
from registry.frameworks.lifecycle import contract_problems, judged_on
from registry.integers import record_by_number
from registry.pickers.services import (
    NotPicked,
    pick_buyer,
    pick_framework,
    pick_lot,
    pick_supplier,
)
from registry.problems import ServiceError
from registry.records import Publication
from registry.suppliers.models import Supplier

SUBJECT = "contract"
# Long predecessor chains are walked one contract at a time; stop well before it could matter.
MAX_CHAIN = 50


class ContractError(ServiceError):
    """The change cannot be made as asked. `errors` are (field name, message) pairs."""


class ContractPermissionError(PermissionError):
    """The actor may not write contracts of this buyer."""


@dataclasses.dataclass
class ContractInput:
    """What a person asks for. References (buyer, supplier, lot, predecessor) are resolved here."""

    title: str = ""
    supplier: str = ""
    buyer_id: int | None = None
    buyer: str | None = None  # an admin's free text: the registry number or an identifier
    reference: str | None = None
    description: str = ""
    framework_reference: str | None = None
    lot_number: str | None = None
    predecessor: str | None = None
    value_amount: Decimal | None = None
    currency: str | None = None
    award_date: datetime.date | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    original_end_date: datetime.date | None = None
    procurement_method: ProcurementMethod | None = None
    number_of_tenderers: int | None = None
    cpv_code: str | None = None
    # Why it is recorded although its framework, lot or supplier fails a lifecycle check.
    lifecycle_override: str | None = None

    @classmethod
    def from_contract(cls, contract: Contract) -> ContractInput:
        return cls(
            title=contract.title,
            supplier=contract.supplier.companies_house_number or str(contract.supplier_id),
            buyer_id=contract.buyer_id,
            buyer=contract.buyer.identifier or str(contract.buyer_id),
            reference=contract.reference,
            description=contract.description,
            framework_reference=contract.lot.framework.reference if contract.lot else None,
            lot_number=contract.lot.number if contract.lot else None,
            predecessor=contract.predecessor.reference or str(contract.predecessor_id)
            if contract.predecessor
            else None,
            value_amount=contract.value_amount,
            currency=contract.currency,
            award_date=contract.award_date,
            start_date=contract.start_date,
            end_date=contract.end_date,
            original_end_date=contract.original_end_date,
            procurement_method=contract.procurement_method,
            number_of_tenderers=contract.number_of_tenderers,
            cpv_code=contract.cpv_code,
            lifecycle_override=contract.lifecycle_override,
        )


# What an audit event records of a contract.
AUDITED_FIELDS = (
    "reference",
    "title",
    "description",
    "buyer_id",
    "supplier_id",
    "lot_id",
    "value_amount",
    "currency",
    "award_date",
    "start_date",
    "end_date",
    "original_end_date",
    "procurement_method",
    "number_of_tenderers",
    "predecessor_id",
    "cpv_code",
    "publication",
    "lifecycle_override",
)


def snapshot(contract: Contract) -> dict[str, Any]:
    return {name: getattr(contract, name) for name in AUDITED_FIELDS}


# What a clash of references says: nothing about whose the other contract is, or whether it is a
# draft (references are unique across the registry, so a clash cannot be hidden, only not named).
REFERENCE_TAKEN = "This reference cannot be used: every contract's reference must be unique"


def _may_see(actor: Any, contract: Contract) -> bool:
    """Whether the person writing may be told the contract exists (the CLI, no actor, may)."""
    return actor is None or can_see(actor, contract)


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


@implementer(IContractService)
class ContractService:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, contract_id: int) -> Contract | None:
        return self.db.get(Contract, contract_id)

    # Finding what a person typed.

    def find_buyer(self, text: str) -> Buyer | None:
        try:
            return pick_buyer(self.db, text)
        except NotPicked:
            return None

    def find_supplier(self, text: str) -> Supplier | None:
        try:
            return pick_supplier(self.db, text)
        except NotPicked:
            return None

    def find_contract(self, text: str) -> Contract | None:
        text = text.strip()
        contract = self.db.execute(
            sa.select(Contract).where(Contract.reference == text)
        ).scalar_one_or_none()
        if contract is None:
            contract = record_by_number(self.db, Contract, text.removeprefix("#"))
        return contract

    def _resolve_lot(self, data: ContractInput, problems: list[Problem]) -> int | None:
        """The lot from the framework (reference or title) and lot (number or title) typed."""
        reference, number = _blank(data.framework_reference), _blank(data.lot_number)
        if reference is None:
            if number is not None:
                problems.append(("framework_reference", f"Enter the framework for lot {number}"))
            return None
        try:
            framework = pick_framework(self.db, reference)
        except NotPicked as refusal:
            problems.append(("framework_reference", refusal.message))
            return None
        if number is None:
            lots = framework.lots
            if len(lots) == 1:
                return lots[0].id
            listed = ", ".join(lot.number for lot in lots) or "none"
            problems.append(
                ("lot_number", f"Enter the lot number: {framework.reference} has lots {listed}")
            )
            return None
        try:
            return pick_lot(self.db, framework, number).id
        except NotPicked as refusal:
            problems.append(("lot_number", refusal.message))
            return None

    def _resolve(
        self, data: ContractInput, contract: Contract | None, actor: Any
    ) -> dict[str, Any]:
        """Check everything, resolve references, and return column values; or raise all problems."""
        problems: list[Problem] = []
        title = data.title.strip()
        if not title:
            problems.append(("title", "Enter the contract's title"))

        buyer_id = data.buyer_id
        if buyer_id is None:
            if not _blank(data.buyer):
                problems.append(("buyer", "Enter the buyer's name, identifier or registry number"))
            else:
                try:
                    buyer_id = pick_buyer(self.db, data.buyer or "").id
                except NotPicked as refusal:
                    problems.append(("buyer", refusal.message))
        elif self.db.get(Buyer, buyer_id) is None:
            problems.append(("buyer", f"There is no buyer number {buyer_id}"))
            buyer_id = None

        supplier_id = None
        if not data.supplier.strip():
            problems.append(
                ("supplier", "Enter the supplier's name, Companies House number or registry number")
            )
        else:
            try:
                supplier = pick_supplier(self.db, data.supplier)
            except NotPicked as refusal:
                problems.append(("supplier", refusal.message))
            else:
                if supplier.is_merged:
                    problems.append(("supplier", merged_message(supplier)))
                else:
                    supplier_id = supplier.id

        lot_id = self._resolve_lot(data, problems)

        predecessor_id = None
        if _blank(data.predecessor):
            predecessor = self.find_contract(data.predecessor or "")
            # Another organisation's draft is not found, exactly as one that does not exist.
            if predecessor is None or not _may_see(actor, predecessor):
                problems.append(
                    ("predecessor", f"There is no contract with reference {data.predecessor}")
                )
            elif contract is not None and predecessor.id == contract.id:
                problems.append(("predecessor", "A contract cannot be its own predecessor"))
            elif buyer_id is not None and predecessor.buyer_id != buyer_id:
                problems.append(
                    ("predecessor", "The predecessor must be a contract of the same buyer")
                )
            elif contract is not None and contract.id in self._ancestor_ids(predecessor):
                problems.append(
                    ("predecessor", "That contract follows this one: the chain would loop")
                )
            else:
                predecessor_id = predecessor.id

        reference = _blank(data.reference)
        if reference is not None:
            clash = self.db.execute(
                sa.select(Contract.id).where(Contract.reference == reference)
            ).scalar_one_or_none()
            if clash is not None and (contract is None or clash != contract.id):
                # The same words whoever's the other contract is, draft or not (issue 20).
                problems.append(("reference", REFERENCE_TAKEN))

        currency = (_blank(data.currency) or "").upper() or None
        cpv_code = _blank(data.cpv_code)
        problems.extend(
            check_terms(
                value_amount=data.value_amount,
                currency=currency,
                start_date=data.start_date,
                end_date=data.end_date,
                original_end_date=data.original_end_date,
                number_of_tenderers=data.number_of_tenderers,
                cpv_code=cpv_code,
            )
        )
        # A call-off on an expired or not yet live framework, or with a supplier in remediation or
        # excluded on its award date, needs an officer's stated reason (issue 19).
        lifecycle, override = contract_problems(
            self.db,
            lot_id,
            supplier_id,
            judged_on(data.award_date, data.start_date),
            data.lifecycle_override,
        )
        problems.extend(lifecycle)
        if problems:
            raise ContractError(problems)
        return {
            "lifecycle_override": override,
            "title": title,
            "reference": reference,
            "description": data.description.strip(),
            "buyer_id": buyer_id,
            "supplier_id": supplier_id,
            "lot_id": lot_id,
            "predecessor_id": predecessor_id,
            # Stored to the penny, as the column holds it: the audit trail shows what is kept.
            "value_amount": None
            if data.value_amount is None
            else data.value_amount.quantize(Decimal("0.01")),
            "currency": currency,
            "award_date": data.award_date,
            "start_date": data.start_date,
            "end_date": data.end_date,
            # The end when awarded: unless told otherwise, the end as first recorded.
            "original_end_date": data.original_end_date or data.end_date,
            "procurement_method": data.procurement_method,
            "number_of_tenderers": data.number_of_tenderers,
            "cpv_code": cpv_code,
        }

    def problems(
        self, data: ContractInput, contract: Contract | None = None, *, actor: Any
    ) -> list[Problem]:
        """Every problem saving `data` would be refused for, writing nothing: a form shows them
        beside its own, so a person fixes everything in one round."""
        try:
            self._resolve(data, contract, actor)
        except ContractError as exc:
            return list(exc.errors)
        return []

    def _ancestor_ids(self, contract: Contract) -> set[int]:
        ids: set[int] = set()
        current: Contract | None = contract
        while current is not None and current.id not in ids and len(ids) < MAX_CHAIN:
            ids.add(current.id)
            current = current.predecessor
        return ids

    @staticmethod
    def check_authority(actor: Any, buyer_id: int | None) -> None:
        """Officers write their own buyer's contracts; admins any; the CLI (no actor) any."""
        if actor is None or actor.role == Role.admin:
            return
        if actor.role == Role.officer and actor.buyer_id is not None and actor.buyer_id == buyer_id:
            return
        raise ContractPermissionError("You may only record contracts of your own organisation")

    # Changes.

    def create(self, data: ContractInput, *, actor: Any, source: str = "form") -> Contract:
        values = self._resolve(data, None, actor)
        self.check_authority(actor, values["buyer_id"])
        contract = Contract(
            **values,
            publication=Publication.draft,
            source=source,
            created_by_id=getattr(actor, "id", None),
        )
        self.db.add(contract)
        self.db.flush()
        record_event(
            self.db,
            action="contract.created",
            subject_type=SUBJECT,
            subject_id=contract.id,
            actor=actor,
            after=snapshot(contract),
            reason=contract.lifecycle_override,
        )
        return contract

    def update(self, contract: Contract, data: ContractInput, *, actor: Any) -> Contract:
        self._require_draft(contract, "edited")
        self.check_authority(actor, contract.buyer_id)
        values = self._resolve(data, contract, actor)
        self.check_authority(actor, values["buyer_id"])
        before = snapshot(contract)
        for name, value in values.items():
            setattr(contract, name, value)
        self.db.flush()
        after = snapshot(contract)
        changed = [name for name in AUDITED_FIELDS if before[name] != after[name]]
        if changed:
            record_event(
                self.db,
                action="contract.updated",
                subject_type=SUBJECT,
                subject_id=contract.id,
                actor=actor,
                before={name: before[name] for name in changed},
                after={name: after[name] for name in changed},
                reason=contract.lifecycle_override if "lifecycle_override" in changed else None,
            )
        return contract

    def publish(self, contract: Contract, *, actor: Any) -> None:
        self._require_draft(contract, "published")
        self.check_authority(actor, contract.buyer_id)
        contract.publication = Publication.published
        self.db.flush()
        record_event(
            self.db,
            action="contract.published",
            subject_type=SUBJECT,
            subject_id=contract.id,
            actor=actor,
            before={"publication": Publication.draft},
            after={"publication": Publication.published},
        )

    def retract(self, contract: Contract, reason: str, *, actor: Any) -> None:
        self.check_authority(actor, contract.buyer_id)
        reason = reason.strip()
        if contract.is_retracted:
            raise ContractError([("", "This contract has already been retracted")])
        if not reason:
            raise ContractError([("reason", "Enter why the contract is being retracted")])
        contract.retracted_at = utcnow()
        contract.retracted_by_id = getattr(actor, "id", None)
        contract.retraction_reason = reason
        self.db.flush()
        record_event(
            self.db,
            action="contract.retracted",
            subject_type=SUBJECT,
            subject_id=contract.id,
            actor=actor,
            after={"retracted_at": contract.retracted_at, "publication": contract.publication},
            reason=reason,
        )

    def extend(
        self,
        contract: Contract,
        *,
        extended_on: datetime.date | None,
        new_end_date: datetime.date | None,
        reason: str,
        actor: Any,
    ) -> ContractExtension:
        self.check_authority(actor, contract.buyer_id)
        if contract.is_retracted:
            raise ContractError([("", "A retracted contract cannot be extended")])
        if contract.publication != Publication.published:
            raise ContractError(
                [("", "A draft is not extended: edit its end date, or publish it first")]
            )
        problems: list[Problem] = []
        if extended_on is None:
            problems.append(("extended_on", "Enter the date the extension was agreed"))
        if new_end_date is None:
            problems.append(("new_end_date", "Enter the new end date"))
        elif contract.end_date is not None and new_end_date <= contract.end_date:
            problems.append(
                (
                    "new_end_date",
                    "The new end date must be after the current end date, "
                    f"{contract.end_date:%-d %B %Y}",
                )
            )
        elif contract.start_date is not None and new_end_date < contract.start_date:
            problems.append(("new_end_date", "The new end date must be after the start date"))
        if not reason.strip():
            problems.append(("reason", "Enter why the contract was extended"))
        if problems:
            raise ContractError(problems)
        assert new_end_date is not None and extended_on is not None
        before = {"end_date": contract.end_date, "original_end_date": contract.original_end_date}
        if contract.original_end_date is None:
            contract.original_end_date = contract.end_date
        extension = ContractExtension(
            contract=contract,
            extended_on=extended_on,
            previous_end_date=contract.end_date,
            new_end_date=new_end_date,
            reason=reason.strip(),
            created_by_id=getattr(actor, "id", None),
        )
        contract.end_date = new_end_date
        self.db.add(extension)
        self.db.flush()
        record_event(
            self.db,
            action="contract.extended",
            subject_type=SUBJECT,
            subject_id=contract.id,
            actor=actor,
            before=before,
            after={
                "end_date": contract.end_date,
                "original_end_date": contract.original_end_date,
                "extended_on": extended_on,
                "extension_id": extension.id,
            },
            reason=reason.strip(),
        )
        return extension

    @staticmethod
    def _require_draft(contract: Contract, verb: str) -> None:
        if contract.is_retracted:
            raise ContractError([("", f"A retracted contract cannot be {verb}")])
        if contract.publication != Publication.draft:
            raise ContractError(
                [
                    (
                        "",
                        f"A published contract cannot be {verb}: "
                        "record an extension, or retract it and record it again",
                    )
                ]
            )

    # Reading.

    def chain(self, contract: Contract) -> tuple[list[Contract], list[Contract]]:
        """The contracts before this one (oldest first) and those after it (in award order)."""
        before: list[Contract] = []
        seen = {contract.id}
        current = contract.predecessor
        while current is not None and current.id not in seen and len(before) < MAX_CHAIN:
            before.insert(0, current)
            seen.add(current.id)
            current = current.predecessor
        after: list[Contract] = []
        frontier = [contract.id]
        while frontier and len(after) < MAX_CHAIN:
            followers = list(
                self.db.execute(
                    sa.select(Contract)
                    .where(Contract.predecessor_id.in_(frontier), Contract.id.not_in(seen))
                    .order_by(Contract.award_date, Contract.id)
                ).scalars()
            )
            after.extend(followers)
            seen.update(c.id for c in followers)
            frontier = [c.id for c in followers]
        return before, after[:MAX_CHAIN]


def contract_service_factory(context: Any, request: Any) -> ContractService:
    return ContractService(request.db)
