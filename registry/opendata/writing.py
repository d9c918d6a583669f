"""The OCDS import's write pass (registry.opendata.importer reads and checks the file): a batch
of releases at a time, one SELECT per batch each for the releases and contracts already held, the
releases' mapping done in memory, then bulk inserts and updates (registry.bulk). No ORM objects
per row: at national scale their bookkeeping is the cost. A later release of a contract updates
it, an extended end date is an extension, and each change is an audit event.
"""

from __future__ import annotations

import collections
import datetime
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.services import Event, append_events
from registry.bulk import among, insert_rows, insert_with_ids, update_rows
from registry.contracts.models import Contract, ContractExtension
from registry.opendata import ledger
from registry.opendata.ahead import held
from registry.opendata.checking import ImportRefused, ImportSummary, superseded
from registry.opendata.findings import FindingLog
from registry.opendata.mapping import ContractData, Mapped, map_release, reference, text
from registry.opendata.models import ImportedRelease, ImportRun
from registry.opendata.organisations import Organisations, resolved
from registry.opendata.reader import Found
from registry.opendata.validation import parse_datetime
from registry.records import Publication
from registry.search import services as search

# The tables the write pass writes with Core statements, a batch at a time.
CONTRACTS: sa.Table = Contract.__table__  # type: ignore[assignment]
EXTENSIONS: sa.Table = ContractExtension.__table__  # type: ignore[assignment]
RELEASES: sa.Table = ImportedRelease.__table__  # type: ignore[assignment]
REPEATED = ledger.REPEATED
OLDER = ledger.OLDER
# A release whose id repeats one read earlier in the file, with other content and a later date.
SUPERSEDED = "repeated release id: a later version kept"
CHUNK = 2000
UPDATABLE = (
    "title",
    "description",
    "value_amount",
    "currency",
    "award_date",
    "start_date",
    "end_date",
    "procurement_method",
    "procurement_method_details",
    "number_of_tenderers",
    "cpv_code",
    "classification_id",
    "ceiling_amount",
    "ceiling_currency",
)


# A release as read: where it was found, the hash of it as published, and its mapping when the
# reader ahead made it (else None: made by the write pass, for the releases that need it).
Checked = tuple[Found, str, Mapped | None]


class _Contract:
    """A contract of the batch: its columns as read (or as they will be inserted), kept in step
    with every change so later releases of the batch compare against the latest values."""

    __slots__ = ("dirty", "id", "new", "values")

    def __init__(self, values: dict[str, Any], id_: int | None = None) -> None:
        self.id = id_
        self.values = values
        self.new = id_ is None
        self.dirty = False


class Writer:
    """The write pass, a batch of releases at a time: one SELECT per batch each for the releases
    and contracts already held, the releases' mapping done in memory, then bulk inserts and
    updates. No ORM objects per row: at national scale their bookkeeping is the cost."""

    def __init__(
        self,
        db: Session,
        name: str,
        open_run: Callable[[], ImportRun] | None = None,
        *,
        strict: bool = False,
    ) -> None:
        self.db = db
        self.strict = strict
        self.findings = FindingLog()  # the file's: a repeated release id is found here
        # The ledger entry is added with the first batch: a file refused before then takes no
        # id (PostgreSQL's sequences do not roll back), so the refusal's entry is the next one.
        self.open_run = open_run
        self.entry: ImportRun | None = None
        self.name = text(name, 300)
        self.batch = uuid.uuid4().hex
        self.summary = ImportSummary()
        self.organisations = Organisations(db, self.summary)
        self.gate: threading.Lock | None = None  # taken turns with a reader ahead (ahead.py)
        self.start_batch()

    def start_batch(self) -> None:
        self.contracts: dict[str, _Contract] = {}
        self.clashes: dict[str, _Contract] = {}
        self.pending: dict[str, dict[str, Any]] = {}
        self.events: list[tuple[_Contract, dict[str, Any]]] = []
        self.extensions: list[tuple[_Contract, dict[str, Any]]] = []
        self.extended: set[tuple[str, datetime.date]] = set()
        self.held_extensions: set[tuple[int, datetime.date]] | None = None

    # The write pass.

    def ledger_entry(self) -> ImportRun:
        if self.entry is None:
            assert self.open_run is not None
            self.entry = self.open_run()
        return self.entry

    def run(self, checked: Iterator[Checked], failed: Callable[[], bool]) -> ImportSummary:
        """Write the releases a batch at a time; stop writing once the file has `failed`."""
        chunk: list[Checked] = []
        for item in checked:
            chunk.append(item)
            if len(chunk) >= CHUNK:
                self.write_chunk(chunk)
                chunk = []
        if chunk and not failed():
            self.write_chunk(chunk)
        return self.summary

    def write_chunk(self, chunk: list[Checked]) -> None:
        # First in memory: each release's key, hash and date, and the mapping of those that
        # may change something; then what the database holds of them, in two queries.
        items = []
        for item, digest, _ in chunk:
            release = item.release
            assert release is not None
            key = (text(release["ocid"], 200), text(release["id"], 200))
            items.append((item, release, key, digest, parse_datetime(release.get("date"))))
        ocids = {key[0] for _, _, key, _, _ in items}
        if self.open_run is not None:
            ledger.note_ocids(self.db, self.ledger_entry().id, ocids)
        known: dict[tuple[str, str], dict[str, Any]] = {}
        latest: dict[str, datetime.datetime] = {}
        for row in self.db.execute(
            sa.select(*RELEASES.c).where(among(self.db, RELEASES.c.ocid, ocids))
        ).mappings():
            known[(row["ocid"], row["release_id"])] = dict(row)
            date = row["release_date"]
            if date and row["outcome"] != OLDER:
                latest[row["ocid"]] = (
                    max(latest[row["ocid"]], date) if row["ocid"] in latest else date
                )
        mapped_releases: dict[int, Any] = {}
        references: set[str] = set()
        losers = superseded(items)
        for index, (_, release, key, digest, _) in enumerate(items):
            previous = known.get(key)
            if index in losers or (previous is not None and previous["content_hash"] == digest):
                continue
            mapped = chunk[index][2] or map_release(release)
            mapped_releases[index] = mapped
            # An award's suppliers found to be one take the award's own reference.
            for data in mapped.contracts:
                references.update((data.reference, reference(data.ocid, data.award_id)))
            references.update(block.reference for block in mapped.blocks)
        self.load_contracts(ocids, references)

        with held(self.gate):  # what the reader ahead also counts and records
            new_rows, changed_rows = self.record(items, known, latest, losers, mapped_releases)
        self.write(new_rows, changed_rows)

    def record(
        self,
        items: list[tuple[Found, Any, tuple[str, str], str, Any]],
        known: dict[tuple[str, str], dict[str, Any]],
        latest: dict[str, datetime.datetime],
        losers: set[int],
        mapped_releases: dict[int, Any],
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Each release's outcome, counted, and its contracts applied: the rows of the releases
        new to the registry, and of those it held."""
        new_rows: list[dict[str, Any]] = []
        changed_rows: list[dict[str, Any]] = []
        for index, (item, _, key, digest, date) in enumerate(items):
            self.summary.releases += 1
            if index in losers:
                self.repeated(item, key, date, None)
                continue
            previous = known.get(key)
            if previous is not None and previous["content_hash"] == digest:
                if previous["batch"] == self.batch:
                    self.summary.duplicates += 1
                    self.summary.example(REPEATED, _place(item, key))
                else:
                    self.summary.unchanged += 1
                continue
            if (
                previous is not None
                and previous["batch"] == self.batch
                and self.repeated(item, key, date, previous["release_date"])
            ):
                continue
            newest = latest.get(key[0])
            if date and newest and date < newest:
                outcome = OLDER
            else:
                outcome = self.apply(mapped_releases[index], key[1])
                if date:
                    latest[key[0]] = date
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
                if previous.get("id") is not None:
                    changed_rows.append({"id": previous["id"], **values})
                previous.update(values)
            else:
                new_rows.append(values)
                known[key] = values
        return new_rows, changed_rows

    def repeated(
        self,
        item: Found,
        key: tuple[str, str],
        date: datetime.datetime | None,
        kept: datetime.datetime | None,
    ) -> bool:
        """A release id repeated in this file with other content: the later by date, then by
        place in the file, is kept (True: this one is not, and is skipped). In one batch the
        earlier versions are never applied (`checking.superseded`); one read in an earlier batch was
        written then, and a later version updates what it wrote, as any later release of the
        process does. With --strict the file is refused."""
        if self.strict:
            raise ImportRefused(
                self.name, [f"{item.where}: repeats an ocid and id with different content"], 1
            )
        self.findings.add(
            "repeated-release-id", f"{item.base}.id", key[1], f"{item.where}.id", key[0]
        )
        if kept is None or (date is not None and date < kept):
            self.summary.skip(SUPERSEDED, _place(item, key))
            return True
        return False

    def load_contracts(self, ocids: set[str], references: set[str]) -> None:
        """The contracts the batch's releases name, in one query: those of these processes, and
        those recorded under the same reference without this ocid (by hand or from CSV)."""
        self.start_batch()
        if not references:
            return
        table = CONTRACTS
        columns = [table.c.id, table.c.reference, table.c.ocid, table.c.original_end_date]
        columns += [table.c[attr] for attr in UPDATABLE]
        for row in self.db.execute(
            sa.select(*columns).where(among(self.db, table.c.reference, references))
        ).mappings():
            values = dict(row)
            contract = _Contract(values, values.pop("id"))
            if row["ocid"] in ocids:
                self.contracts[row["reference"] or ""] = contract
            else:
                self.clashes[row["reference"] or ""] = contract

    def shared_awards(self, mapped: Any) -> None:
        """Several parties of one award that are one registry supplier make one contract."""
        if len(mapped.contracts) < 2:  # most releases: one award, one supplier
            return
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
                supplier_id = self.organisations.supplier_id(data.supplier)
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

    def apply(self, mapped: Any, release_id: str) -> str:
        self.shared_awards(mapped)
        created = changed = 0
        for data in mapped.contracts:
            pending = self.pending.get(data.reference)
            contract = self.contracts.get(data.reference)
            if pending is not None:
                # A later release of the same process in the same batch, before it is written.
                pending.update({k: v for k, v in data.fields.items() if v is not None})
            elif contract is None:
                self.pending[data.reference] = self.contract_row(data)
                created += 1
            elif self.update(contract, self.update_fields(data), release_id):
                changed += 1
        targets = 0
        for block in mapped.blocks:
            if block.reference in self.pending:
                self.settle_pending()
            contract = self.contracts.get(block.reference)
            if contract is None:
                mapped.reasons.append("contract for an award not imported")
                continue
            targets += 1
            if self.update(contract, block.fields, release_id):
                changed += 1
            self.extend(contract, block.amendments, release_id)
        self.summary.contracts += created + changed
        self.summary.created += created
        if mapped.contracts or targets:
            return "imported"
        return mapped.reasons[0] if mapped.reasons else "nothing the registry records"

    def settle_pending(self) -> None:
        """The batch's new contracts become contracts the later releases update (and audit),
        as if written now; one recorded under the same reference without this ocid takes the
        new values instead."""
        for ref, row in self.pending.items():
            clash = self.clashes.pop(ref, None)
            if clash is not None:
                self.update(clash, row, ref)
                self.contracts[ref] = clash
            else:
                self.contracts[ref] = _Contract(row)
        self.pending = {}

    def contract_row(self, data: ContractData) -> dict[str, Any]:
        return {
            **data.fields,
            "reference": data.reference,
            "ocid": data.ocid,
            "buyer_id": self.organisations.buyer_id(data.buyer),
            "supplier_id": self.organisations.supplier_id(data.supplier),
            "classification_id": self.organisations.classification_id(data.classification),
            "publication": Publication.published,
            "source": "ocds",
        }

    def update_fields(self, data: ContractData) -> dict[str, Any]:
        """A later release's values for a contract already held, its classification included."""
        return {
            **data.fields,
            "classification_id": self.organisations.classification_id(data.classification),
        }

    def update(self, contract: _Contract, fields: dict[str, Any], release_id: str) -> bool:
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        values = contract.values
        for attr in UPDATABLE:
            new = fields.get(attr)
            if new is None:
                continue
            old = values[attr]
            if old != new:
                before[attr], after[attr] = old, new
                values[attr] = new
        if not after:
            return False
        self.summary.updated += 1
        contract.dirty = True
        self.events.append(
            (
                contract,
                {
                    "action": "contract.updated_from_ocds",
                    "subject_type": "contract",
                    "before": before,
                    "after": after,
                    "reason": f"OCDS release {text(release_id, 200)} of {values['ocid']} ({self.name})",
                },
            )
        )
        return True

    def extend(
        self, contract: _Contract, amendments: list[tuple[datetime.date, str]], release_id: str
    ) -> None:
        if not amendments or contract.values["end_date"] is None:
            return
        # Only the latest amendment is known to have led to the current end date.
        on, reason = max(amendments)
        key = (contract.values["reference"] or "", on)
        if key in self.extended or (not contract.new and self.extension_exists(contract, on)):
            return
        self.extended.add(key)
        self.extensions.append(
            (
                contract,
                {
                    "extended_on": on,
                    "previous_end_date": contract.values["original_end_date"],
                    "new_end_date": contract.values["end_date"],
                    "reason": reason or f"OCDS amendment in release {release_id}",
                },
            )
        )

    def extension_exists(self, contract: _Contract, on: datetime.date) -> bool:
        if self.held_extensions is None:
            # Asked once a batch: the extensions of every contract the batch loaded, in one query.
            ids = [c.id for c in (*self.contracts.values(), *self.clashes.values()) if c.id]
            self.held_extensions = {
                (contract_id, extended_on)
                for contract_id, extended_on in self.db.execute(
                    sa.select(ContractExtension.contract_id, ContractExtension.extended_on).where(
                        among(self.db, EXTENSIONS.c.contract_id, ids)
                    )
                )
            }
        return (contract.id, on) in self.held_extensions

    # The batch's writes: bulk inserts and updates, in the order the foreign keys need.

    def write(self, new_releases: list[dict[str, Any]], changed: list[dict[str, Any]]) -> None:
        self.settle_pending()
        self.organisations.write_new()

        table = CONTRACTS
        inserted = [c for c in self.contracts.values() if c.new]
        for contract in inserted:
            for column in ("buyer_id", "supplier_id", "classification_id"):
                contract.values[column] = resolved(contract.values[column])
        self.insert_returning(table, inserted)
        updated = [c for c in self.contracts.values() if c.dirty and not c.new]
        for contract in updated:  # a classification first seen in this batch now has its id
            contract.values["classification_id"] = resolved(contract.values["classification_id"])
        for _contract, event in self.events:
            for side in ("before", "after"):
                if "classification_id" in event[side]:
                    event[side]["classification_id"] = resolved(event[side]["classification_id"])
        # Every updatable column, changed or not: one statement for the whole batch.
        update_rows(
            self.db,
            table,
            [{"id": c.id, **{attr: c.values[attr] for attr in UPDATABLE}} for c in updated],
        )
        insert_rows(
            self.db, EXTENSIONS, [{"contract_id": c.id, **row} for c, row in self.extensions]
        )
        # Their documents are rewritten after the commit (a bulk write names no rows itself).
        search.changed(self.db, "contract", (c.id for c in (*inserted, *updated)))
        events = []
        for contract, event in self.events:
            assert contract.id is not None  # only updates are audited here: their rows exist
            events.append(Event(subject_id=contract.id, **event))
        append_events(self.db, events)
        insert_rows(self.db, RELEASES, new_releases)  # their ids are not needed: the sequence's
        update_rows(self.db, RELEASES, changed)
        self.start_batch()

    def insert_returning(self, table: sa.Table, contracts: list[_Contract]) -> None:
        for contract, id_ in zip(
            contracts, self.insert(table, [c.values for c in contracts]), strict=True
        ):
            contract.id = id_
            contract.new = False

    def insert(self, table: sa.Table, rows: list[dict[str, Any]]) -> list[int]:
        """Insert the rows in one statement; their ids, in order."""
        return insert_with_ids(self.db, table, rows)


def _place(item: Found, key: tuple[str, str]) -> str:
    return f"{item.where or 'release'}: {key[0]} release {key[1]}"
