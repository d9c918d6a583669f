"""The registry's own buyers, suppliers (with their groups) and classifications, as one OCDS
import finds or creates them: loaded once per import as ids only, the new ones written in bulk
with each batch, in the order their foreign keys need.

Organisations are matched by identifier, then by normalised name, never by a release's own party
id (unique only within its release): see `supplier_id` and `buyer_id`. Names follow the one rule
every way in follows (`registry.identifiers.record_name`), and new rows are the suppliers' and
buyers' own row builders' (`supplier_row`, `buyer_row`), so a supplier made by hand and then met
in a release is one record. A name that normalises to nothing is a data-quality finding
(`unusable-name`), not a refusal: the organisation is then known by its identifier alone.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.bulk import insert_with_ids
from registry.buyers.models import Buyer, BuyerType
from registry.buyers.records import buyer_row
from registry.contracts.models import Classification
from registry.identifiers import NAME_PROBLEM, RecordName, record_name
from registry.opendata.checking import FileCheck, ImportSummary
from registry.opendata.classify import Classified
from registry.opendata.mapping import Party, text
from registry.search import services as search
from registry.suppliers.models import Supplier, SupplierGroup
from registry.suppliers.records import supplier_row

UNUSABLE_NAME = "unusable-name"


# Names repeat release after release (the same buyers, the same suppliers): each is worked out once.
@functools.lru_cache(maxsize=1 << 16)
def named(name: str) -> RecordName:
    """The party's name by the one name rule; its key is empty when it gives nothing to match."""
    return record_name(name, refuse=False)


class New:
    """A buyer, supplier group or supplier written with its batch: stands for its id until then."""

    __slots__ = ("id", "row")

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.id: int | None = None


def resolved(value: Any) -> Any:
    """An id, or a New row's id once its batch has written it."""
    return value.id if isinstance(value, New) else value


class Organisations:
    """Finds a release's buyers, suppliers and classification among the registry's, or makes
    them as New rows written with the batch (`write_new`)."""

    def __init__(self, db: Session, summary: ImportSummary) -> None:
        self.db = db
        self.summary = summary  # counts the buyers and suppliers created
        # The file's check (set by the import): unusable names are its findings.
        self.check: FileCheck | None = None
        self._unusable: set[tuple[str, str, str | None]] = set()
        self._suppliers: dict[str, dict[str, Any]] | None = None
        self._buyers: dict[str, dict[Any, Any]] | None = None
        self._classifications: dict[tuple[str, str], Any] | None = None
        self._group_names: set[str] = set()
        self._identified: set[Any] = set()  # suppliers known by an identifier, not just a name
        self.new_keys: list[tuple[dict[Any, Any], Any]] = []
        self.new_groups: list[New] = []
        self.new_suppliers: list[New] = []
        self.new_buyers: list[New] = []
        self.new_classifications: list[New] = []

    def suppliers(self) -> dict[str, dict[str, Any]]:
        if self._suppliers is None:
            index: dict[str, dict[str, Any]] = {"ch": {}, "party": {}, "name": {}}
            rows = self.db.execute(
                sa.select(
                    sa.func.coalesce(Supplier.merged_into_id, Supplier.id),
                    Supplier.companies_house_number,
                    Supplier.party_id,
                    Supplier.normalised_name,
                    Supplier.merged_into_id,
                ).order_by(Supplier.merged_into_id.is_not(None), Supplier.id)
            )
            # A record merged into another stands for the survivor: its numbers still match.
            for id_, ch, party, normalised, _merged in rows:
                if ch or party:
                    self._identified.add(id_)
                if ch:
                    index["ch"].setdefault(ch, id_)
                if party:
                    index["party"].setdefault(party, id_)
                if normalised or not (ch or party):  # an unusable name: its identifier alone
                    index["name"].setdefault(normalised, id_)
            self._suppliers = index
            self._group_names = set(self.db.execute(sa.select(SupplierGroup.name)).scalars())
        return self._suppliers

    def buyers(self) -> dict[str, dict[Any, Any]]:
        if self._buyers is None:
            index: dict[str, dict[Any, Any]] = {"identifier": {}, "party": {}, "name": {}}
            rows = self.db.execute(
                sa.select(
                    Buyer.id,
                    Buyer.identifier_scheme,
                    Buyer.identifier,
                    Buyer.party_id,
                    Buyer.normalised_name,
                )
            )
            for id_, scheme, ident, party, normalised in rows:
                if scheme and ident:
                    index["identifier"].setdefault((scheme, ident), id_)
                if party:
                    index["party"].setdefault(party, id_)
                if normalised or not party:
                    index["name"].setdefault(normalised, id_)
            self._buyers = index
        return self._buyers

    def classifications(self) -> dict[tuple[str, str], Any]:
        if self._classifications is None:
            rows = self.db.execute(
                sa.select(Classification.scheme, Classification.code, Classification.id)
            )
            self._classifications = {(scheme, code): id_ for scheme, code, id_ in rows}
        return self._classifications

    def supplier_id(self, party: Party) -> Any:
        """The registry's supplier for a party: by Companies House number, by identifier
        ("<scheme>-<id>"), then by name, unless the supplier of that name is known by another
        identifier (then they are two companies); else a new supplier."""
        index = self.suppliers()
        found = (
            party.companies_house_number and index["ch"].get(party.companies_house_number)
        ) or (party.party_id and index["party"].get(party.party_id))
        if found:
            return found
        name = named(party.name)
        if not name.key:
            self.unusable(party, "supplier")
        # An unusable name is no name to find a party with an identifier by.
        by_name = index["name"].get(name.key) if name.key or not party.party_id else None
        # Same name, but both with identifiers that differ: two companies, not one.
        if by_name and not (party.party_id and by_name in self._identified):
            if party.party_id:
                # Now known by this identifier: another identifier with this name is another company.
                self._identified.add(by_name)
                self.remember(index["party"], party.party_id, by_name)
            return by_name
        group_name = name.name
        counter = 1
        while group_name in self._group_names:
            counter += 1
            group_name = text(f"{name.name} ({counter})", 300)
        self._group_names.add(group_name)
        group = New({"name": group_name, "companies_house_number": party.companies_house_number})
        # party_id: an identifier, never the release's own party id.
        row = supplier_row(
            name, companies_house_number=party.companies_house_number, party_id=party.party_id
        )
        new = New({**row, "group_id": group})
        self.new_groups.append(group)
        self.new_suppliers.append(new)
        self.summary.suppliers += 1
        if party.companies_house_number:
            self.remember(index["ch"], party.companies_house_number, new)
        if party.party_id:
            self.remember(index["party"], party.party_id, new)
            self._identified.add(new)
        if name.key or not party.party_id:
            self.remember(index["name"], name.key, new)
        return new

    def buyer_id(self, party: Party) -> Any:
        """The registry's buyer for a party: by identifier, then by name; else a new buyer."""
        index = self.buyers()
        key = (party.scheme, party.identifier) if party.party_id else None
        found = (key and index["identifier"].get(key)) or (
            party.party_id and index["party"].get(party.party_id)
        )
        name: RecordName | None = None
        if not found:
            name = named(party.name)
            if not name.key:
                self.unusable(party, "buyer")
            found = index["name"].get(name.key) if name.key or not party.party_id else None
        if found:
            if key:
                self.remember(index["identifier"], key, found)
            return found
        assert name is not None
        row = buyer_row(
            name,
            buyer_type=BuyerType.other,
            identifier_scheme=party.scheme,
            identifier=party.identifier,
            party_id=party.party_id,  # an identifier, never the release's own party id
        )
        new = New(row)
        self.new_buyers.append(new)
        self.summary.buyers += 1
        if key:
            self.remember(index["identifier"], key, new)
            self.remember(index["party"], party.party_id, new)
        if name.key or not party.party_id:
            self.remember(index["name"], name.key, new)
        return new

    def unusable(self, party: Party, role: str) -> None:
        """A finding, once per party: its name gives nothing to match it by. It is known by its
        identifier alone; parties with neither are the one record of no usable name."""
        seen = (role, party.name, party.party_id)
        if self.check is None or seen in self._unusable:
            return
        self._unusable.add(seen)
        path = "releases[]." + ("buyer.name" if role == "buyer" else "awards[].suppliers[].name")
        where = f"the {role} {party.party_id or 'without an identifier'}"
        self.check.findings.add(UNUSABLE_NAME, path, party.name, where)
        if self.check.strict:
            self.check.problem(f"{where}: name {party.name!r}: {NAME_PROBLEM}")

    def classification_id(self, classified: Classified | None) -> Any:
        """The `classifications` row of a contract's market: found, or new with the batch."""
        if classified is None:
            return None
        index = self.classifications()
        found = index.get(classified.key)
        if found is None:
            found = New(
                {"scheme": classified.scheme, "code": classified.code, "label": classified.label}
            )
            self.new_classifications.append(found)
            self.remember(index, classified.key, found)
        return found

    def remember(self, index: dict[Any, Any], key: Any, value: Any) -> None:
        if key not in index:
            index[key] = value
            self.new_keys.append((index, key))

    def write_new(self) -> None:
        """Insert the batch's new rows, each kind in one statement, and index them by id; the
        new suppliers (and their groups) are named for the search index."""
        self.insert_new(self.new_buyers, Buyer)
        self.insert_new(self.new_classifications, Classification)
        self.insert_new(self.new_groups, SupplierGroup)
        for supplier in self.new_suppliers:
            supplier.row["group_id"] = resolved(supplier.row["group_id"])
        self.insert_new(self.new_suppliers, Supplier)
        search.changed(self.db, "supplier", (s.id for s in self.new_suppliers))
        for index, key in self.new_keys:
            index[key] = resolved(index[key])
        self._identified = {resolved(v) for v in self._identified}
        self.new_keys, self.new_groups, self.new_suppliers, self.new_buyers = [], [], [], []
        self.new_classifications = []

    def insert_new(self, new: list[New], model: Any) -> None:
        table: sa.Table = model.__table__
        for item, id_ in zip(
            new, insert_with_ids(self.db, table, [n.row for n in new]), strict=True
        ):
            item.id = id_
