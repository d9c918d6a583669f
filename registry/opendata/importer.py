"""Import OCDS files: validate the whole file first, then write it in one savepoint.

Why two passes: the first (read-only, streaming) pass finds *every* structural problem, so the
user gets the full list at once and the database is never touched for a bad file; the second
pass writes inside a savepoint that is rolled back on any error it still finds (a release id
repeated with different content), so a file is imported whole or not at all. Parsing is cheap
beside writing, so reading twice costs little, and memory stays flat: releases are handled in
chunks and only the registry's own buyers and suppliers are kept in memory, as ids.
"""

from __future__ import annotations

import collections
import datetime
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.services import record_event
from registry.buyers.models import Buyer, BuyerType
from registry.contracts.models import Contract, ContractExtension
from registry.opendata import ledger
from registry.opendata.checking import ImportRefused, ImportSummary, check_file, release_hash
from registry.opendata.mapping import ContractData, Party, map_release, reference, text
from registry.opendata.models import ImportedRelease
from registry.opendata.reader import Found, iter_releases
from registry.opendata.validation import parse_datetime
from registry.records import Publication
from registry.suppliers.models import Supplier, SupplierGroup

REPEATED = ledger.REPEATED
OLDER = ledger.OLDER
CHUNK = 500
UPDATABLE = (
    "title",
    "description",
    "value_amount",
    "currency",
    "award_date",
    "start_date",
    "end_date",
    "procurement_method",
    "number_of_tenderers",
    "cpv_code",
    "ceiling_amount",
    "ceiling_currency",
)


def import_file(
    db: Session,
    path: Path,
    name: str,
    *,
    actor: Any = None,
    progress: Callable[[int], None] | None = None,
    via: str = ledger.VIA_CLI,
) -> ImportSummary:
    """Validate, then import one file whole, or raise ImportRefused having written nothing.

    A good file's ledger entry is written with it, in the same savepoint. A refused file's is
    not: the ImportRefused carries what the caller needs to write it (ledger.record_refusal)
    in a transaction of its own, after rolling back."""
    source = ledger.describe(path, name, via=via)
    try:
        publishers = check_file(path, name)
    except ImportRefused as exc:
        exc.source = source
        raise
    savepoint = db.begin_nested()
    try:
        run = ledger.open_run(db, source, publishers)
        summary = _Writer(db, name, run.id).run(iter_releases(path), progress)
        ledger.close_run(db, run, summary)
        summary.run_id = run.id
        record_event(
            db,
            action="opendata.ocds_imported",
            subject_type="ocds_file",
            subject_id=text(name, 200),
            actor=actor,
            after={**summary.as_json(), "import": run.id, "sha256": source.sha256},
            reason="OCDS import",
        )
    except ImportRefused as exc:
        savepoint.rollback()
        exc.source, exc.publishers = source, publishers
        raise
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return summary


class _Writer:
    def __init__(self, db: Session, name: str, run_id: int | None = None) -> None:
        self.db = db
        self.run_id = run_id
        self.name = text(name, 300)
        self.batch = uuid.uuid4().hex
        self.summary = ImportSummary()
        self._suppliers: dict[str, dict[str, int]] | None = None
        self._buyers: dict[str, dict[Any, int]] | None = None
        self._group_names: set[str] = set()
        self._identified: set[Any] = set()  # suppliers known by an identifier, not just a name
        self.latest: dict[str, datetime.datetime] = {}
        self.new_objects: list[Supplier | Buyer] = []
        self.new_keys: list[tuple[dict[Any, Any], Any]] = []
        self.chunk_contracts: dict[str, Contract] = {}
        self.pending: dict[str, dict[str, Any]] = {}

    # Lookups of the registry's own buyers and suppliers: loaded once, as ids only.

    def suppliers(self) -> dict[str, dict[str, int]]:
        if self._suppliers is None:
            index: dict[str, dict[str, int]] = {"ch": {}, "party": {}, "name": {}}
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
                index["name"].setdefault(normalised, id_)
            self._suppliers = index
            self._group_names = set(self.db.execute(sa.select(SupplierGroup.name)).scalars())
        return self._suppliers

    def buyers(self) -> dict[str, dict[Any, int]]:
        if self._buyers is None:
            index: dict[str, dict[Any, int]] = {"identifier": {}, "party": {}, "name": {}}
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
                index["name"].setdefault(normalised, id_)
            self._buyers = index
        return self._buyers

    def supplier_id(self, party: Party) -> Any:
        index = self.suppliers()
        found = (
            party.companies_house_number and index["ch"].get(party.companies_house_number)
        ) or (party.party_id and index["party"].get(party.party_id))
        if found:
            return found
        by_name = index["name"].get(party.match_name)
        # Same name, but both with identifiers that differ: two companies, not one.
        if by_name and not (party.scheme and by_name in self._identified):
            if party.scheme:
                # Now known by this identifier: another identifier with this name is another company.
                self._identified.add(by_name)
                if party.party_id:
                    self.remember(index["party"], party.party_id, by_name)
            return by_name
        group_name = party.name
        counter = 1
        while group_name in self._group_names:
            counter += 1
            group_name = text(f"{party.name} ({counter})", 300)
        self._group_names.add(group_name)
        group = SupplierGroup(name=group_name, companies_house_number=party.companies_house_number)
        supplier = Supplier(
            name=party.name,
            normalised_name=party.match_name,
            companies_house_number=party.companies_house_number,
            party_id=party.party_id,
            group=group,
        )
        self.db.add_all([group, supplier])
        self.summary.suppliers += 1
        # Written with the chunk's contracts, in one flush: until then the object stands for its id.
        new: Any = supplier
        if party.companies_house_number:
            self.remember(index["ch"], party.companies_house_number, new)
        if party.party_id:
            self.remember(index["party"], party.party_id, new)
        self.remember(index["name"], party.match_name, new)
        if party.scheme:
            self._identified.add(new)
        self.new_objects.append(supplier)
        return new

    def buyer_id(self, party: Party) -> Any:
        index = self.buyers()
        key = (party.scheme, party.identifier) if party.scheme and party.identifier else None
        found = (
            (key and index["identifier"].get(key))
            or (party.party_id and index["party"].get(party.party_id))
            or index["name"].get(party.match_name)
        )
        if found:
            return found
        buyer = Buyer(
            name=party.name,
            normalised_name=party.match_name,
            buyer_type=BuyerType.other,
            identifier_scheme=party.scheme if key else None,
            identifier=party.identifier if key else None,
            party_id=party.party_id,
        )
        self.db.add(buyer)
        self.summary.buyers += 1
        new: Any = buyer
        if key:
            self.remember(index["identifier"], key, new)
        if party.party_id:
            self.remember(index["party"], party.party_id, new)
        self.remember(index["name"], party.match_name, new)
        self.new_objects.append(buyer)
        return new

    # The write pass.

    def run(self, found: Iterator[Found], progress: Callable[[int], None] | None) -> ImportSummary:
        chunk: list[Found] = []
        for item in found:
            if progress:
                progress(1)
            chunk.append(item)
            if len(chunk) >= CHUNK:
                self.write_chunk(chunk)
                chunk = []
        if chunk:
            self.write_chunk(chunk)
        return self.summary

    def write_chunk(self, chunk: list[Found]) -> None:
        releases = [f for f in chunk if f.release is not None]
        ocids = {text(f.release["ocid"], 200) for f in releases if f.release}
        if self.run_id is not None:
            ledger.note_ocids(self.db, self.run_id, ocids)
        known: dict[tuple[str, str], ImportedRelease] = {}
        for row in self.db.execute(
            sa.select(ImportedRelease).where(ImportedRelease.ocid.in_(ocids))
        ).scalars():
            known[(row.ocid, row.release_id)] = row
            if row.release_date and row.outcome != OLDER:
                latest = self.latest.get(row.ocid)
                self.latest[row.ocid] = (
                    max(latest, row.release_date) if latest else row.release_date
                )
        # The registry's contracts of these processes, in one query; new ones gather in pending.
        self.chunk_contracts = {
            c.reference or "": c
            for c in self.db.execute(sa.select(Contract).where(Contract.ocid.in_(ocids))).scalars()
        }
        self.pending = {}
        new_rows: list[dict[str, Any]] = []
        for item in releases:
            release = item.release
            assert release is not None
            self.summary.releases += 1
            key = (text(release["ocid"], 200), text(release["id"], 200))
            digest = release_hash(release)
            date = parse_datetime(release.get("date"))
            previous = known.get(key)
            if previous is not None and previous.content_hash == digest:
                if previous.batch == self.batch:
                    self.summary.duplicates += 1
                    self.summary.example(REPEATED, _place(item, key))
                else:
                    self.summary.unchanged += 1
                continue
            if previous is not None and previous.batch == self.batch:
                raise ImportRefused(
                    self.name, [f"{item.where}: repeats an ocid and id with different content"], 1
                )
            latest = self.latest.get(key[0])
            if date and latest and date < latest:
                outcome = OLDER
            else:
                outcome = self.apply(release, key[1])
                if date:
                    self.latest[key[0]] = date
            if outcome != "imported":
                self.summary.skipped += 1
                self.summary.skip_reasons[outcome] += 1
                self.summary.example(outcome, _place(item, key))
            values = {
                "ocid": key[0],
                "release_id": key[1],
                "release_date": date,
                "content_hash": digest,
                "source_file": self.name,
                "outcome": outcome[:200],
                "batch": self.batch,
            }
            if previous is not None:
                for attr, value in values.items():
                    setattr(previous, attr, value)
            else:
                new_rows.append(values)
                known[key] = ImportedRelease(**values)
        if self.pending:
            self.insert_contracts()
            self.pending = {}
        self.resolve_new_objects()
        self.chunk_contracts = {}
        if new_rows:
            self.db.execute(sa.insert(ImportedRelease), new_rows)
        self.db.flush()

    def shared_awards(self, mapped: Any) -> None:
        """Several parties of one award that are one registry supplier make one contract."""
        groups: dict[str, list[ContractData]] = collections.defaultdict(list)
        for data in mapped.contracts:
            groups[data.award_id].append(data)
        kept: list[ContractData] = []
        for award_id, items in groups.items():
            if len(items) == 1:
                kept += items
                continue
            seen: set[Any] = set()
            distinct = []
            for data in items:
                supplier_id = self.supplier_id(data.supplier)
                if supplier_id not in seen:
                    seen.add(supplier_id)
                    distinct.append(data)
            if len(distinct) == 1:
                only = distinct[0]
                if only.amount is None:
                    mapped.reasons.append("award without a value")
                    continue
                only.reference = reference(only.ocid, award_id)
                if only.fields.get("ceiling_amount") is None:  # a framework's value is no spend
                    only.fields["value_amount"] = only.amount
                    only.fields["currency"] = only.currency
            else:
                for index, data in enumerate(distinct):
                    data.reference = reference(data.ocid, award_id, index)
            kept += distinct
        mapped.contracts = kept

    def apply(self, release: dict[str, Any], release_id: str) -> str:
        mapped = map_release(release)
        self.shared_awards(mapped)
        created = changed = 0
        for data in mapped.contracts:
            pending = self.pending.get(data.reference)
            contract = self.chunk_contracts.get(data.reference)
            if pending is not None:
                # A later release of the same process in the same chunk, before it is written.
                pending.update({k: v for k, v in data.fields.items() if v is not None})
            elif contract is None:
                self.pending[data.reference] = self.contract_row(data)
                created += 1
            elif self.update(contract, data.fields, release, release_id):
                changed += 1
        targets = 0
        for block in mapped.blocks:
            if block.reference in self.pending:
                self.flush_pending()
            contract = self.chunk_contracts.get(block.reference)
            if contract is None:
                mapped.reasons.append("contract for an award not imported")
                continue
            targets += 1
            if self.update(contract, block.fields, release, release_id):
                changed += 1
            self.extend(contract, block.amendments, release_id)
        self.summary.contracts += created + changed
        self.summary.created += created
        if mapped.contracts or targets:
            return "imported"
        return mapped.reasons[0] if mapped.reasons else "nothing the registry records"

    def flush_pending(self) -> None:
        """Insert the chunk's new contracts in one statement, and keep them for later blocks."""
        if not self.pending:
            return
        self.insert_contracts()
        references = list(self.pending)
        self.pending = {}
        for contract in self.db.execute(
            sa.select(Contract).where(Contract.reference.in_(references))
        ).scalars():
            self.chunk_contracts[contract.reference or ""] = contract

    def resolve_new_objects(self) -> None:
        """Write the new buyers and suppliers in one flush; the lookups then hold their ids."""
        if not self.new_objects:
            return
        self.db.flush()
        for index, key in self.new_keys:
            value = index[key]
            if not isinstance(value, int):
                index[key] = value.id
        self._identified = {v if isinstance(v, int) else v.id for v in self._identified}
        self.new_objects, self.new_keys = [], []

    def remember(self, index: dict[Any, Any], key: Any, value: Any) -> None:
        if key not in index:
            index[key] = value
            self.new_keys.append((index, key))

    def insert_contracts(self) -> None:
        self.resolve_new_objects()
        rows = list(self.pending.values())
        for row in rows:
            for column in ("buyer_id", "supplier_id"):
                if not isinstance(row[column], int):
                    row[column] = row[column].id
        # A contract recorded under the same reference but without this ocid (entered by hand or
        # from CSV) is the same contract: update it rather than break the unique reference.
        clashes = {
            c.reference: c
            for c in self.db.execute(
                sa.select(Contract).where(Contract.reference.in_([r["reference"] for r in rows]))
            ).scalars()
        }
        for row in rows:
            contract = clashes.get(row["reference"])
            if contract is not None:
                self.update(contract, row, {}, row["reference"])
        rows = [r for r in rows if r["reference"] not in clashes]
        if rows:
            self.db.execute(sa.insert(Contract), rows)

    def contract_row(self, data: ContractData) -> dict[str, Any]:
        return {
            **data.fields,
            "reference": data.reference,
            "ocid": data.ocid,
            "buyer_id": self.buyer_id(data.buyer),
            "supplier_id": self.supplier_id(data.supplier),
            "publication": Publication.published,
            "source": "ocds",
        }

    def update(
        self, contract: Contract, fields: dict[str, Any], release: dict[str, Any], release_id: str
    ) -> bool:
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for attr in UPDATABLE:
            if attr not in fields or fields[attr] is None:
                continue
            old, new = getattr(contract, attr), fields[attr]
            if isinstance(old, Decimal) and isinstance(new, Decimal) and old == new:
                continue
            if old != new:
                before[attr], after[attr] = old, new
                setattr(contract, attr, new)
        if not after:
            return False
        self.summary.updated += 1
        self.db.flush()
        record_event(
            self.db,
            action="contract.updated_from_ocds",
            subject_type="contract",
            subject_id=contract.id,
            before=before,
            after=after,
            reason=f"OCDS release {text(release_id, 200)} of {contract.ocid} ({self.name})",
        )
        return True

    def extend(
        self, contract: Contract, amendments: list[tuple[datetime.date, str]], release_id: str
    ) -> None:
        if not amendments or contract.end_date is None:
            return
        # Only the latest amendment is known to have led to the current end date.
        on, reason = max(amendments)
        exists = self.db.execute(
            sa.select(ContractExtension.id).where(
                ContractExtension.contract_id == contract.id,
                ContractExtension.extended_on == on,
            )
        ).first()
        if exists:
            return
        self.db.add(
            ContractExtension(
                contract_id=contract.id,
                extended_on=on,
                previous_end_date=contract.original_end_date,
                new_end_date=contract.end_date,
                reason=reason or f"OCDS amendment in release {release_id}",
            )
        )
        self.db.flush()


def _place(item: Found, key: tuple[str, str]) -> str:
    return f"{item.where or 'release'}: {key[0]} release {key[1]}"
