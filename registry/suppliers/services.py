"""Suppliers and their groups: create, edit, group changes and matching. Every change is audited.

Validation lives here, not in the forms, so the same rules hold for every way in (forms, CSV,
seed, OCDS). Problems are collected as (field, message) pairs and raised together.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from zope.interface import implementer

from registry.audit.services import add_audited, apply_audited, record_event
from registry.identifiers import (
    UnusableName,
    is_duns,
    normalise_companies_house_number,
    normalise_name,
    record_name,
)
from registry.integers import record_by_number
from registry.problems import Problem, ServiceError
from registry.suppliers import merging
from registry.suppliers.interfaces import ISupplierService
from registry.suppliers.models import Supplier, SupplierGroup, SupplierMerge
from registry.suppliers.records import supplier_row

SUBJECT = "supplier"
GROUP_SUBJECT = "supplier_group"
MAX_ALIASES = 50
# Merged records point at their survivor; a chain longer than this would be a loop.
MAX_MERGE_CHAIN = 20


CH_MESSAGE = (
    "Companies House number must be 8 digits, or 2 letters and 6 digits, like 01234567 or SC123456"
)


class SupplierError(ServiceError):
    """The change cannot be made as asked. `errors` are (field name, message) pairs."""


MergeError = merging.MergeError


@dataclasses.dataclass
class SupplierInput:
    """What a person asks for. On create, `group_id` or `new_group_name` choose the group;
    with neither, the supplier is its own group, named after it."""

    name: str
    companies_house_number: str | None = None
    duns: str | None = None
    party_id: str | None = None
    sme: bool | None = None
    aliases: list[str] = dataclasses.field(default_factory=list)
    group_id: int | None = None
    new_group_name: str | None = None
    illustrative: bool = False

    @classmethod
    def from_supplier(cls, supplier: Supplier) -> SupplierInput:
        return cls(
            name=supplier.name,
            companies_house_number=supplier.companies_house_number,
            duns=supplier.duns,
            party_id=supplier.party_id,
            sme=supplier.sme,
            aliases=list(supplier.aliases or []),
            group_id=supplier.group_id,
        )


def parse_aliases(text: str | None) -> list[str]:
    """One alias a line, as typed in the form."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def snapshot(supplier: Supplier) -> dict[str, Any]:
    return {
        "name": supplier.name,
        "companies_house_number": supplier.companies_house_number,
        "duns": supplier.duns,
        "party_id": supplier.party_id,
        "sme": supplier.sme,
        "aliases": list(supplier.aliases or []),
        "group_id": supplier.group_id,
        "merged_into_id": supplier.merged_into_id,
    }


def group_snapshot(group: SupplierGroup) -> dict[str, Any]:
    return {
        "name": group.name,
        "companies_house_number": group.companies_house_number,
        "country": group.country,
    }


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _clean_aliases(name: str, aliases: list[str], problems: list[Problem]) -> list[str]:
    seen = {name.casefold()}
    result: list[str] = []
    for alias in aliases:
        alias = re.sub(r"\s+", " ", alias).strip()
        if not alias or alias.casefold() in seen:
            continue
        if len(alias) > 300:
            problems.append(("aliases", f"Alias “{alias[:40]}…” must be 300 characters or fewer"))
            continue
        seen.add(alias.casefold())
        result.append(alias)
    if len(result) > MAX_ALIASES:
        problems.append(("aliases", f"Give at most {MAX_ALIASES} aliases"))
    return result


def find_by_number(db: Session, text: str) -> Supplier | None:
    """A supplier by Companies House number or registry number, as people type them.

    Seven or more characters are read as a Companies House number first (people drop the
    leading zero: 3113109 is 03113109); shorter numbers, or numbers no company has, as the
    registry number.
    """
    text = text.strip()
    if len(text.replace(" ", "")) >= 7:
        number = normalise_companies_house_number(text)
        if number:
            found = db.execute(
                sa.select(Supplier).where(Supplier.companies_house_number == number)
            ).scalar_one_or_none()
            if found is not None:
                return found
    return record_by_number(db, Supplier, text)


@implementer(ISupplierService)
class SupplierService:
    def __init__(self, db: Session) -> None:
        self.db = db

    # Reading ---------------------------------------------------------------------------------

    def get(self, supplier_id: int) -> Supplier | None:
        return self.db.get(Supplier, supplier_id)

    def survivor_of(self, supplier: Supplier) -> Supplier:
        """The live record a merged one now lives on as (itself when not merged)."""
        current = supplier
        for _ in range(MAX_MERGE_CHAIN):
            if current.merged_into is None:
                return current
            current = current.merged_into
        return current

    def find_match(
        self,
        *,
        companies_house_number: str | None = None,
        party_id: str | None = None,
        name: str | None = None,
    ) -> Supplier | None:
        found: Supplier | None = None
        number = normalise_companies_house_number(companies_house_number or "")
        if number:
            found = self.db.execute(
                sa.select(Supplier).where(Supplier.companies_house_number == number)
            ).scalar_one_or_none()
        if found is None and _clean(party_id):
            found = self.db.execute(
                sa.select(Supplier)
                .where(Supplier.party_id == _clean(party_id))
                .order_by(Supplier.merged_into_id.is_not(None), Supplier.id)
                .limit(1)
            ).scalar_one_or_none()
        if found is None and name and normalise_name(name):
            # The oldest live record of that name: later duplicates are what merging is for.
            found = self.db.execute(
                sa.select(Supplier)
                .where(Supplier.normalised_name == normalise_name(name))
                .order_by(Supplier.merged_into_id.is_not(None), Supplier.id)
                .limit(1)
            ).scalar_one_or_none()
        return self.survivor_of(found) if found is not None else None

    def find_group(self, text: str) -> SupplierGroup | None:
        """A group by its registry number or its exact name (any case)."""
        text = text.strip()
        if not text:
            return None
        group = record_by_number(self.db, SupplierGroup, text)
        if group is not None:
            return group
        return self.db.execute(
            sa.select(SupplierGroup).where(sa.func.lower(SupplierGroup.name) == text.lower())
        ).scalar_one_or_none()

    # Validation ------------------------------------------------------------------------------

    def _validate(self, data: SupplierInput, supplier: Supplier | None) -> dict[str, Any]:
        problems: list[Problem] = []
        name = re.sub(r"\s+", " ", data.name or "").strip()
        recorded = None
        if not name:
            problems.append(("name", "Enter the supplier's name"))
        elif len(name) > 300:
            problems.append(("name", "Name must be 300 characters or fewer"))
        else:
            try:
                recorded = record_name(name)
            except UnusableName as exc:
                problems.append(("name", str(exc)))
        own_id = supplier.id if supplier is not None else None

        number = None
        if _clean(data.companies_house_number):
            number = normalise_companies_house_number(data.companies_house_number or "")
            if number is None:
                problems.append(("companies_house_number", CH_MESSAGE))
            elif self._taken(Supplier.companies_house_number, number, own_id):
                problems.append(
                    (
                        "companies_house_number",
                        f"Another supplier already has the Companies House number {number}",
                    )
                )
        duns = None
        if _clean(data.duns):
            duns = re.sub(r"[\s-]", "", data.duns or "")
            if not is_duns(duns):
                problems.append(("duns", "DUNS number must be 9 digits, like 123456789"))
            elif self._taken(Supplier.duns, duns, own_id):
                problems.append(("duns", f"Another supplier already has the DUNS number {duns}"))
        party_id = _clean(data.party_id)
        if party_id:
            if len(party_id) > 200:
                problems.append(("party_id", "Party identifier must be 200 characters or fewer"))
            elif self._taken(Supplier.party_id, party_id, own_id):
                problems.append(
                    ("party_id", f"Another supplier already has the party identifier {party_id}")
                )
        aliases = _clean_aliases(name, data.aliases, problems)
        if problems:
            raise SupplierError(problems)
        assert recorded is not None
        return supplier_row(
            recorded,
            companies_house_number=number,
            duns=duns,
            party_id=party_id,
            sme=data.sme,
            aliases=aliases,
            illustrative=data.illustrative,
        )

    def _taken(self, column: Any, value: str, own_id: int | None) -> bool:
        query = sa.select(Supplier.id).where(column == value)
        if own_id is not None:
            query = query.where(Supplier.id != own_id)
        return self.db.execute(query.limit(1)).first() is not None

    def _group_name_problem(self, name: str, own_id: int | None = None) -> str | None:
        if not name:
            return "Enter the group's name"
        if len(name) > 300:
            return "Group name must be 300 characters or fewer"
        query = sa.select(SupplierGroup.id).where(sa.func.lower(SupplierGroup.name) == name.lower())
        if own_id is not None:
            query = query.where(SupplierGroup.id != own_id)
        if self.db.execute(query.limit(1)).first() is not None:
            return f"A group called “{name}” already exists: choose it, or give another name"
        return None

    # Suppliers -------------------------------------------------------------------------------

    def create(self, data: SupplierInput, *, actor: Any) -> Supplier:
        problems: list[Problem] = []
        try:
            values = self._validate(data, None)
        except SupplierError as exc:
            problems.extend(exc.errors)
            values = {}
        group: SupplierGroup | None = None
        new_group_name: str | None = None
        if data.group_id is not None:
            group = self.db.get(SupplierGroup, data.group_id)
            if group is None:
                problems.append(("group", f"No supplier group has the number {data.group_id}"))
        else:
            # A supplier with no parent is its own group, named after it.
            new_group_name = re.sub(r"\s+", " ", data.new_group_name or "").strip() or values.get(
                "name", ""
            )
            if new_group_name and (problem := self._group_name_problem(new_group_name)):
                problems.append(("new_group_name" if data.new_group_name else "group", problem))
        if problems:
            raise SupplierError(problems)
        if group is None:
            group = self.create_group(new_group_name or values["name"], actor=actor)
        supplier = Supplier(group=group, **values)
        return add_audited(
            self.db,
            supplier,
            snapshot=snapshot,
            action="supplier.created",
            subject_type=SUBJECT,
            actor=actor,
        )

    def update(self, supplier: Supplier, data: SupplierInput, *, actor: Any) -> Supplier:
        if supplier.is_merged:
            raise SupplierError([("", "A merged record cannot be edited: edit the survivor")])
        values = self._validate(data, supplier)
        del values["illustrative"]  # set when the record is made, never by an edit
        apply_audited(
            self.db,
            supplier,
            values,
            snapshot=snapshot,
            action="supplier.updated",
            subject_type=SUBJECT,
            actor=actor,
        )
        return supplier

    # Groups ----------------------------------------------------------------------------------

    def _group_values(
        self, name: str, companies_house_number: str | None, own_id: int | None
    ) -> dict[str, Any]:
        problems: list[Problem] = []
        name = re.sub(r"\s+", " ", name or "").strip()
        if problem := self._group_name_problem(name, own_id):
            problems.append(("name", problem))
        number = None
        if _clean(companies_house_number):
            number = normalise_companies_house_number(companies_house_number or "")
            if number is None:
                problems.append(("companies_house_number", CH_MESSAGE))
        if problems:
            raise SupplierError(problems)
        return {"name": name, "companies_house_number": number}

    def create_group(
        self, name: str, *, companies_house_number: str | None = None, actor: Any
    ) -> SupplierGroup:
        group = SupplierGroup(**self._group_values(name, companies_house_number, None))
        return add_audited(
            self.db,
            group,
            snapshot=group_snapshot,
            action="supplier_group.created",
            subject_type=GROUP_SUBJECT,
            actor=actor,
        )

    def rename_group(
        self,
        group: SupplierGroup,
        name: str,
        *,
        companies_house_number: str | None = None,
        actor: Any,
    ) -> SupplierGroup:
        values = self._group_values(name, companies_house_number, group.id)
        apply_audited(
            self.db,
            group,
            values,
            snapshot=group_snapshot,
            action="supplier_group.updated",
            subject_type=GROUP_SUBJECT,
            actor=actor,
            changes_only=False,
        )
        return group

    def move_to_group(
        self, supplier: Supplier, group: SupplierGroup, *, reason: str, actor: Any
    ) -> None:
        """Concentration is measured on groups, so a move changes published shares: audited."""
        reason = (reason or "").strip()
        problems: list[Problem] = []
        if not reason:
            problems.append(("reason", "Enter why the supplier is changing group"))
        if supplier.is_merged:
            problems.append(("", "A merged record cannot change group: move the survivor"))
        if group.id == supplier.group_id:
            problems.append(("group", f"{supplier.name} is already in {group.name}"))
        if problems:
            raise SupplierError(problems)
        old = supplier.group
        supplier.group = group
        self.db.flush()
        record_event(
            self.db,
            action="supplier.group_changed",
            subject_type=SUBJECT,
            subject_id=supplier.id,
            actor=actor,
            before={"group_id": old.id, "group": old.name},
            after={"group_id": group.id, "group": group.name},
            reason=reason,
        )

    # Merging ---------------------------------------------------------------------------------

    def merge(
        self, merged: Supplier, survivor: Supplier, *, reason: str, actor: Any
    ) -> SupplierMerge:
        return merging.merge(self.db, merged, survivor, reason=reason, actor=actor)

    def reverse_merge(self, merge: SupplierMerge, *, reason: str, actor: Any) -> None:
        merging.reverse(self.db, merge, reason=reason, actor=actor)


def supplier_service_factory(context: Any, request: Any) -> SupplierService:
    return SupplierService(request.db)
