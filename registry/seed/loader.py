"""Writing the checked seed data: through the models, with status history and audit events.

Loading refuses, writing nothing, when any seeded record already exists (a framework reference,
a group name, a supplier's Companies House or DUNS number, a buyer identifier or a contract
reference): loading twice never duplicates. `registry seed --if-empty` skips a registry that
already holds frameworks.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.services import record_event
from registry.buyers.models import Buyer, BuyerType
from registry.buyers.records import buyer_row
from registry.contracts.models import Contract, ContractExtension, ProcurementMethod
from registry.frameworks.models import (
    Framework,
    FrameworkStatus,
    FrameworkStatusChange,
    KPIDirection,
    Lot,
    Membership,
    MembershipStatus,
    MembershipStatusChange,
    Obligation,
    ObligationCategory,
)
from registry.identifiers import record_name
from registry.records import Publication
from registry.seed.checks import check_references
from registry.seed.files import SeedData, SeedDataError, SeedFile, read_seed_data
from registry.seed.practices import Practice, generate
from registry.sql import in_chunks
from registry.suppliers.models import Supplier, SupplierGroup
from registry.suppliers.records import supplier_row

ACTOR = "seed"
SEEDED = "seeded"
MAX_LISTED = 10
BUYERS: sa.Table = Buyer.__table__  # type: ignore[assignment]
CONTRACTS: sa.Table = Contract.__table__  # type: ignore[assignment]


def registry_is_empty(db: Session) -> bool:
    """True when the registry holds no frameworks (what `seed --if-empty` looks at)."""
    return db.scalar(sa.select(Framework.id).limit(1)) is None


def load_seed_data(db: Session, directory: Path | None = None) -> dict[str, int]:
    """Check every seed file, then write it all in the caller's transaction; the counts written.

    Raises SeedDataError, having written nothing, when a file is invalid, the files disagree, or
    any seeded record already exists.
    """
    seed = read_seed_data(directory)
    problems = check_references(seed)
    if problems:
        raise SeedDataError(problems)
    practices = generate(seed.practices.data)
    _refuse_existing(db, seed, practices)
    counts = _Writer(db, seed).write(practices)
    # Scoring (issue 4): illustrative assessments, replies, remedies and scores, from
    # seed_data/scoring/; imported here, as it builds on what was just written.
    from registry.scoring.seed import load_scoring_seed  # a cycle: it imports registry.seed

    counts.update(load_scoring_seed(db, seed.directory))
    # Products and end of support (issue 10): seed_data/products/, linked to the contracts.
    from registry.products.seed import load_products_seed  # a cycle, as above

    counts.update(load_products_seed(db, seed))
    return counts


def _existing(db: Session, column: Any, values: Iterable[Any], *where: Any) -> list[str]:
    found: list[str] = []
    for chunk in in_chunks(sorted(set(values))):
        found.extend(str(v) for v in db.scalars(sa.select(column).where(column.in_(chunk), *where)))
    return sorted(found)


def _refuse_existing(db: Session, seed: SeedData, practices: list[Practice]) -> None:
    references = [file.data["reference"] for file in seed.frameworks]
    loaded = _existing(db, Framework.reference, references)
    if loaded:
        raise SeedDataError(
            [
                f"The seed data is already loaded: {'frameworks' if len(loaded) > 1 else 'framework'} "
                f"{', '.join(loaded)} {'exist' if len(loaded) > 1 else 'exists'}. Nothing was "
                "written. (`registry seed --if-empty` skips a registry that holds frameworks.)"
            ]
        )
    suppliers = seed.suppliers.data["suppliers"]
    scheme = seed.practices.data["identifier_scheme"]
    buyer_ids = [p.code for p in practices] + [
        b["identifier"] for b in seed.buyers.data["buyers"] if b.get("identifier_scheme") == scheme
    ]
    prefix = seed.practices.data["contracts"]["reference_prefix"]
    checks = [
        ("supplier group", SupplierGroup.name, [g["name"] for g in seed.suppliers.data["groups"]]),
        (
            "Companies House number",
            Supplier.companies_house_number,
            [s["companies_house_number"] for s in suppliers if "companies_house_number" in s],
        ),
        ("DUNS number", Supplier.duns, [s["duns"] for s in suppliers if "duns" in s]),
        (
            f"{scheme} buyer identifier",
            Buyer.identifier,
            buyer_ids,
            Buyer.identifier_scheme == scheme,
        ),
        (
            "contract reference",
            Contract.reference,
            [c["reference"] for c in seed.contracts.data["contracts"]]
            + [prefix + p.code for p in practices],
        ),
    ]
    other_schemes = {
        (b["identifier_scheme"], b["identifier"])
        for b in seed.buyers.data["buyers"]
        if "identifier" in b and b["identifier_scheme"] != scheme
    }
    problems = []
    for what, column, values, *where in checks:
        found = _existing(db, column, values, *where)
        if found:
            listed = ", ".join(found[:MAX_LISTED])
            more = f" and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
            problems.append(f"already in the registry: {what} {listed}{more}")
    for other, identifier in sorted(other_schemes):
        if _existing(db, Buyer.identifier, [identifier], Buyer.identifier_scheme == other):
            problems.append(f"already in the registry: {other} buyer identifier {identifier}")
    if problems:
        raise SeedDataError([*problems, "Nothing was written."])


def _snapshot(obj: Any) -> dict[str, Any]:
    """The record's columns as an audit event stores them."""
    skip = {"created", "updated"}
    return {
        c.key: getattr(obj, c.key) for c in sa.inspect(type(obj)).column_attrs if c.key not in skip
    }


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _decimal(value: float | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _ceiling(data: dict[str, Any]) -> dict[str, Any]:
    """A framework's or lot's ceiling: what may be called off, kept apart from spend."""
    return {
        "ceiling_amount": _decimal(data.get("ceiling_amount")),
        "ceiling_currency": data.get("ceiling_currency"),
    }


class _Writer:
    def __init__(self, db: Session, seed: SeedData) -> None:
        self.db = db
        self.seed = seed
        self.counts: Counter[str] = Counter()
        self.groups: dict[str, SupplierGroup] = {}
        self.suppliers: dict[str, Supplier] = {}
        self.lots: dict[tuple[str, str], Lot] = {}
        self.buyers: dict[str, Buyer] = {}

    def _audit(self, action: str, subject_type: str, obj: Any, file: SeedFile) -> None:
        record_event(
            self.db,
            action=action,
            subject_type=subject_type,
            subject_id=obj.id,
            actor_label=ACTOR,
            after=_snapshot(obj),
            reason=f"{SEEDED} from {file.name}",
        )
        self.counts["audit_events"] += 1

    def write(self, practices: list[Practice]) -> dict[str, int]:
        self._suppliers()
        for file in self.seed.frameworks:
            self._framework(file)
        self._buyers()
        self._contracts()
        self._practices(practices)
        summary = {
            key: self.counts[key]
            for key in (
                "frameworks",
                "lots",
                "memberships",
                "obligations",
                "supplier_groups",
                "suppliers",
                "buyers",
                "gp_practices",
                "contracts",
                "contract_extensions",
            )
        }
        record_event(
            self.db,
            action="seed.loaded",
            subject_type="seed",
            subject_id=self.seed.directory.name,
            actor_label=ACTOR,
            after={
                "counts": summary,
                "audit_events": self.counts["audit_events"],
                "files": {file.name: file.sha256 for file in self.seed.files},
            },
            reason="registry seed",
        )
        return summary

    def _suppliers(self) -> None:
        file = self.seed.suppliers
        for item in file.data["groups"]:
            group = SupplierGroup(
                name=item["name"],
                companies_house_number=item.get("companies_house_number"),
                country=item.get("country"),
                illustrative=item.get("illustrative", False),
            )
            self.groups[item["key"]] = group
        self.db.add_all(self.groups.values())
        for item in file.data["suppliers"]:
            # The names were checked (seed.checks): record_name refuses none of them here.
            self.suppliers[item["key"]] = Supplier(
                **supplier_row(
                    record_name(item["name"]),
                    companies_house_number=item.get("companies_house_number"),
                    duns=item.get("duns"),
                    party_id=item.get("party_id"),
                    sme=item.get("sme"),
                    aliases=item.get("aliases", []),
                    illustrative=item.get("illustrative", False),
                ),
                group=self.groups[item["group"]],
            )
        self.db.add_all(self.suppliers.values())
        self.db.flush()
        for group in self.groups.values():
            self._audit("supplier_group.created", "supplier_group", group, file)
        for supplier in self.suppliers.values():
            self._audit("supplier.created", "supplier", supplier, file)
        self.counts["supplier_groups"] += len(self.groups)
        self.counts["suppliers"] += len(self.suppliers)

    def _framework(self, file: SeedFile) -> None:
        data = file.data
        framework = Framework(
            reference=data["reference"],
            title=data["title"],
            owner_body=data["owner_body"],
            description=data.get("description", ""),
            status=FrameworkStatus(data["status"]),
            start_date=_date(data.get("start_date")),
            end_date=_date(data.get("end_date")),
            extended_end_date=_date(data.get("extended_end_date")),
            max_term_months=data.get("max_term_months"),
            cpv_codes=data["cpv_codes"],
            source_url=data.get("source_url"),
            illustrative=data.get("illustrative", False),
            **_ceiling(data),
        )
        self.db.add(framework)
        # The lifecycle history starts at the status the seed data records.
        self.db.add(
            FrameworkStatusChange(
                framework=framework, from_status=None, to_status=framework.status, reason=SEEDED
            )
        )
        memberships: list[Membership] = []
        for item in data["lots"]:
            lot = Lot(
                framework=framework,
                number=item["number"],
                title=item["title"],
                description=item.get("description", ""),
                cpv_codes=item.get("cpv_codes", []),
                illustrative=item.get("illustrative", False),
                membership_complete=item.get("membership_complete", False),
                **_ceiling(item),
            )
            # SQLAlchemy 2 does not cascade along backrefs: add each new object explicitly.
            self.db.add(lot)
            self.lots[(framework.reference, lot.number)] = lot
            for entry in item["memberships"]:
                membership = Membership(
                    lot=lot,
                    supplier=self.suppliers[entry["supplier"]],
                    start_date=_date(entry.get("start_date")),
                    end_date=_date(entry.get("end_date")),
                    status=MembershipStatus(entry["status"]),
                    illustrative=entry.get("illustrative", False),
                )
                self.db.add(membership)
                self.db.add(
                    MembershipStatusChange(
                        membership=membership,
                        from_status=None,
                        to_status=membership.status,
                        reason=SEEDED,
                    )
                )
                memberships.append(membership)
        obligations = [self._obligation(framework, item) for item in data["obligations"]]
        self.db.add_all(obligations)
        self.db.flush()
        self._audit("framework.created", "framework", framework, file)
        for lot in framework.lots:
            self._audit("lot.created", "lot", lot, file)
        for membership in memberships:
            self._audit("membership.created", "membership", membership, file)
        for obligation in obligations:
            self._audit("obligation.created", "obligation", obligation, file)
        self.counts["frameworks"] += 1
        self.counts["lots"] += len(data["lots"])
        self.counts["memberships"] += len(memberships)
        self.counts["obligations"] += len(obligations)

    def _obligation(self, framework: Framework, item: dict[str, Any]) -> Obligation:
        kpi = item.get("kpi") or {}
        return Obligation(
            framework=framework,
            lot=self.lots[(framework.reference, item["lot"])] if "lot" in item else None,
            supplier=self.suppliers[item["supplier"]] if "supplier" in item else None,
            category=ObligationCategory(item["category"]),
            title=item["title"],
            description=item.get("description", ""),
            standard_reference=item.get("standard_reference"),
            kpi_target=_decimal(kpi.get("target")),
            kpi_unit=kpi.get("unit"),
            kpi_direction=KPIDirection(kpi["direction"]) if kpi else None,
            weight=_decimal(item["weight"]),
            mandatory=item["mandatory"],
            illustrative=item.get("illustrative", False),
        )

    def _buyers(self) -> None:
        file = self.seed.buyers
        for item in file.data["buyers"]:
            self.buyers[item["key"]] = Buyer(
                **buyer_row(
                    record_name(item["name"]),
                    buyer_type=BuyerType(item["buyer_type"]),
                    region=item.get("region"),
                    identifier_scheme=item.get("identifier_scheme"),
                    identifier=item.get("identifier"),
                    party_id=item.get("party_id"),
                    also_known_as="\n".join(item.get("also_known_as", [])) or None,
                    illustrative=item.get("illustrative", False),
                )
            )
        self.db.add_all(self.buyers.values())
        self.db.flush()
        for buyer in self.buyers.values():
            self._audit("buyer.created", "buyer", buyer, file)
        self.counts["buyers"] += len(self.buyers)

    def _contracts(self) -> None:
        file = self.seed.contracts
        contracts: dict[str, Contract] = {}
        for item in file.data["contracts"]:
            extensions = item.get("extensions", [])
            original_end = _date(item["original_end_date"])
            contract = Contract(
                reference=item["reference"],
                title=item["title"],
                description=item.get("description", ""),
                buyer=self.buyers[item["buyer"]],
                supplier=self.suppliers[item["supplier"]],
                lot=self.lots[(item["framework"], item["lot"])] if "lot" in item else None,
                value_amount=_decimal(item.get("value_amount")),
                currency=item.get("currency"),
                award_date=_date(item.get("award_date")),
                start_date=_date(item["start_date"]),
                original_end_date=original_end,
                end_date=_date(extensions[-1]["new_end_date"]) if extensions else original_end,
                procurement_method=ProcurementMethod(item["procurement_method"]),
                number_of_tenderers=item.get("number_of_tenderers"),
                cpv_code=item["cpv_code"],
                publication=Publication.published,
                source="seed",
                illustrative=item.get("illustrative", False),
            )
            previous_end = original_end
            for extension in extensions:
                new_end = _date(extension["new_end_date"])
                assert new_end is not None
                contract.extensions.append(
                    ContractExtension(
                        extended_on=_date(extension["extended_on"]),
                        previous_end_date=previous_end,
                        new_end_date=new_end,
                        reason=extension.get("reason", ""),
                    )
                )
                previous_end = new_end
                self.counts["contract_extensions"] += 1
            contracts[item["key"]] = contract
        for item in file.data["contracts"]:
            if "predecessor" in item:
                contracts[item["key"]].predecessor = contracts[item["predecessor"]]
        self.db.add_all(contracts.values())
        self.db.flush()
        for contract in contracts.values():
            self._audit("contract.created", "contract", contract, file)
        self.counts["contracts"] += len(contracts)

    def _practices(self, practices: list[Practice]) -> None:
        """Bulk inserts: thousands of rows in a few statements, and one audit event for them."""
        file = self.seed.practices
        spec = file.data
        terms = spec["contracts"]
        ids = (
            self.db.execute(
                # Core inserts on the tables: the ORM's per-row bookkeeping is not needed here.
                sa.insert(BUYERS).returning(BUYERS.c.id, sort_by_parameter_order=True),
                [
                    buyer_row(
                        record_name(p.name),
                        buyer_type=BuyerType.gp_practice,
                        region=p.region,
                        identifier_scheme=spec["identifier_scheme"],
                        identifier=p.code,
                        illustrative=True,
                    )
                    for p in practices
                ],
            )
            .scalars()
            .all()
        )
        lot = self.lots[(terms["framework"], terms["lot"])]
        end = _date(terms["end_date"])
        method = ProcurementMethod(terms["procurement_method"])
        self.db.execute(
            sa.insert(CONTRACTS),
            [
                {
                    "reference": terms["reference_prefix"] + p.code,
                    "title": f"{p.system} principal clinical system for {p.name} ({p.code})",
                    "description": "",
                    "buyer_id": buyer_id,
                    "supplier_id": self.suppliers[p.supplier].id,
                    "lot_id": lot.id,
                    "value_amount": p.value,
                    "currency": terms["currency"],
                    "award_date": p.start_date,
                    "start_date": p.start_date,
                    "end_date": end,
                    "original_end_date": end,
                    "procurement_method": method,
                    "cpv_code": terms["cpv_code"],
                    "publication": Publication.published,
                    "source": "seed",
                    "illustrative": True,
                }
                for p, buyer_id in zip(practices, ids, strict=True)
            ],
        )
        by_supplier = Counter(p.supplier for p in practices)
        record_event(
            self.db,
            action="seed.gp_practices_generated",
            subject_type="seed",
            subject_id=file.name,
            actor_label=ACTOR,
            after={
                "practices": len(practices),
                "contracts": len(practices),
                "by_supplier": {self.suppliers[k].name: n for k, n in sorted(by_supplier.items())},
                "framework": terms["framework"],
                "lot": terms["lot"],
                "spec_sha256": file.sha256,
                "illustrative": True,
            },
            reason=f"{SEEDED} from {file.name}: generated, illustrative",
        )
        self.counts["audit_events"] += 1
        self.counts["gp_practices"] += len(practices)
        self.counts["buyers"] += len(practices)
        self.counts["contracts"] += len(practices)
