"""Open data out: the published contracts as an OCDS release package, streamed."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.buyers.models import Buyer
from registry.contracts.models import Contract, ProcurementMethod
from registry.opendata.export import LICENSE, published_contracts
from registry.suppliers.models import Supplier

# Ours, for contracts recorded in the registry itself (not imported with an ocid of their own).
OCID_PREFIX = "ocds-sar000"
PUBLISHER = {"name": "Supplier Accountability Registry"}
_SCHEME_ID = re.compile(r"([A-Z]{2}-[A-Za-z0-9]+)-(.+)")

_METHODS = {
    ProcurementMethod.open: ("open", None),
    ProcurementMethod.selective: ("selective", None),
    ProcurementMethod.limited: ("limited", None),
    ProcurementMethod.direct_award: ("direct", None),
    ProcurementMethod.further_competition: ("selective", "Call-off: further competition"),
}


def _party(kind: str, obj: Buyer | Supplier, role: str) -> dict[str, Any]:
    party: dict[str, Any] = {"id": f"{kind}-{obj.id}", "name": obj.name, "roles": [role]}
    if isinstance(obj, Supplier) and obj.companies_house_number:
        party["identifier"] = {"scheme": "GB-COH", "id": obj.companies_house_number}
    elif isinstance(obj, Buyer) and obj.identifier_scheme and obj.identifier:
        party["identifier"] = {"scheme": obj.identifier_scheme, "id": obj.identifier}
    elif obj.party_id and (scheme := _SCHEME_ID.fullmatch(obj.party_id)):
        # Imported party ids are "<scheme>-<id>" (org-id.guide schemes): give them back as such.
        party["identifier"] = {"scheme": scheme.group(1), "id": scheme.group(2)}
    return party


def _award_key(contract: Contract, ocid: str) -> tuple[str, int]:
    """The award id, and the supplier's place for awards shared by several suppliers."""
    rest = (contract.reference or str(contract.id)).removeprefix(f"{ocid}/")
    if contract.value_amount is None:
        shared = re.fullmatch(r"(.+)/([0-9]+)", rest)
        if shared:
            return shared.group(1), int(shared.group(2))
    return rest, 0


def _period(start: datetime.date | None, end: datetime.date | None) -> dict[str, str] | None:
    period = {}
    if start:
        period["startDate"] = f"{start.isoformat()}T00:00:00Z"
    if end:
        period["endDate"] = f"{end.isoformat()}T00:00:00Z"
    return period or None


def releases(db: Session, published_date: str) -> Iterator[dict[str, Any]]:
    """One release per ocid, with one award (and contract) per registry contract."""
    ocid_expr = sa.func.coalesce(
        Contract.ocid, sa.literal(f"{OCID_PREFIX}-") + sa.cast(Contract.id, sa.String)
    )
    stmt = (
        sa.select(Contract)
        .where(published_contracts())
        .order_by(ocid_expr, Contract.reference, Contract.id)
        .execution_options(yield_per=500)
    )
    current: list[Contract] = []
    for contract in db.execute(stmt).scalars():
        if current and _ocid(current[0]) != _ocid(contract):
            yield _release(current, published_date)
            current = []
        current.append(contract)
    if current:
        yield _release(current, published_date)


def _ocid(contract: Contract) -> str:
    return contract.ocid or f"{OCID_PREFIX}-{contract.id}"


def _release(contracts: list[Contract], published_date: str) -> dict[str, Any]:
    ocid = _ocid(contracts[0])
    first = contracts[0]
    parties: dict[str, dict[str, Any]] = {}
    buyer = _party("buyer", first.buyer, "buyer")
    parties[buyer["id"]] = buyer
    awards: dict[str, dict[str, Any]] = {}
    blocks: list[dict[str, Any]] = []
    for contract in sorted(contracts, key=lambda c: _award_key(c, ocid)):
        award_id, _place = _award_key(contract, ocid)
        supplier = _party("supplier", contract.supplier, "supplier")
        parties.setdefault(supplier["id"], supplier)
        award = awards.get(award_id)
        if award is None:
            award = {"id": award_id, "title": contract.title, "status": "active", "suppliers": []}
            if contract.value_amount is not None:
                award["value"] = {
                    "amount": float(contract.value_amount),
                    "currency": contract.currency,
                }
            if contract.award_date:
                award["date"] = f"{contract.award_date.isoformat()}T00:00:00Z"
            original = _period(contract.start_date, contract.original_end_date or contract.end_date)
            if original:
                award["contractPeriod"] = original
            if contract.description:
                award["description"] = contract.description
            awards[award_id] = award
            block: dict[str, Any] = {
                "id": f"{award_id}-contract",
                "awardID": award_id,
                "status": "active",
            }
            current = _period(contract.start_date, contract.end_date)
            if current:
                block["period"] = current
            if contract.extensions:
                block["amendments"] = [
                    {
                        "id": f"extension-{e.id}",
                        "date": f"{e.extended_on.isoformat()}T00:00:00Z",
                        "rationale": e.reason or "extension",
                    }
                    for e in contract.extensions
                ]
            if "period" in block or "amendments" in block:
                blocks.append(block)
        if all(s["id"] != supplier["id"] for s in award["suppliers"]):
            award["suppliers"].append({"id": supplier["id"], "name": supplier["name"]})
    tender: dict[str, Any] = {"id": f"{ocid}-tender", "title": first.title}
    if first.procurement_method:
        method, details = _METHODS[first.procurement_method]
        tender["procurementMethod"] = method
        if details:
            tender["procurementMethodDetails"] = details
    if first.number_of_tenderers is not None:
        tender["numberOfTenderers"] = first.number_of_tenderers
    if first.cpv_code:
        tender["classification"] = {"scheme": "CPV", "id": first.cpv_code}
    release: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{ocid}-registry",
        "date": published_date,
        "tag": ["award", "contract"] if blocks else ["award"],
        "initiationType": "tender",
        "parties": list(parties.values()),
        "buyer": {"id": buyer["id"], "name": buyer["name"]},
        "tender": tender,
        "awards": list(awards.values()),
    }
    if blocks:
        release["contracts"] = blocks
    return release


def write_ocds(
    db: Session, out: TextIO, *, uri: str = "https://example.invalid/data/ocds.json"
) -> int:
    """Stream a release package: one release at a time, so memory stays flat. Returns the count."""
    now = (
        datetime.datetime.now(datetime.UTC)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z")
    )
    head = {
        "uri": uri,
        "version": "1.1",
        "publishedDate": now,
        "publisher": PUBLISHER,
        "license": LICENSE,
        "publicationPolicy": "https://example.invalid/data",
    }
    text = json.dumps(head, ensure_ascii=False)
    out.write(text[:-1] + ', "releases": [')
    count = 0
    for release in releases(db, now):
        out.write(",\n" if count else "\n")
        out.write(json.dumps(release, ensure_ascii=False))
        count += 1
    out.write("\n]}\n")
    return count
