"""From one (structurally valid) OCDS release to the registry's contracts, buyers and suppliers."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from decimal import Decimal
from typing import Any

from registry.identifiers import is_cpv_code, normalise_companies_house_number, normalise_name
from registry.opendata.classify import Classified, classification
from registry.opendata.methods import procurement_method
from registry.opendata.strings import text
from registry.opendata.validation import parse_datetime

BUYER_ROLES = ("buyer", "procuringEntity")


# Names repeat release after release (the same buyers, the same suppliers): each is worked out once.
@functools.lru_cache(maxsize=1 << 16)
def match_name(name: str) -> str:
    # normalise_name keeps ASCII only: names in other scripts (Armenian) would all become "".
    return normalise_name(name) or text(name.casefold(), 300)


@dataclasses.dataclass(frozen=True)
class Party:
    """An organisation as a release names it. Organisations are matched across releases by
    their identifier (`identifier.scheme` + `identifier.id`), then by name: never by the
    release's own party `id`, which OCDS makes unique only within its release."""

    name: str
    party_id: str | None  # "<scheme>-<id>" (an org-id, e.g. GB-COH-01234567), or None
    scheme: str | None  # set only with identifier
    identifier: str | None
    companies_house_number: str | None

    @property
    def match_name(self) -> str:
        return match_name(self.name)


@dataclasses.dataclass
class ContractData:
    reference: str
    ocid: str
    award_id: str
    buyer: Party
    supplier: Party
    fields: dict[str, Any]
    amount: Decimal | None = None  # the award's value, also when several suppliers share it
    currency: str | None = None
    # What it buys when it has no CPV code (fields["cpv_code"]): a row of `classifications`.
    classification: Classified | None = None


@dataclasses.dataclass
class ContractBlock:
    """A `contracts` entry: it may update a contract whose award came in an earlier release."""

    reference: str
    fields: dict[str, Any]
    amendments: list[tuple[datetime.date, str]]


@dataclasses.dataclass
class Mapped:
    contracts: list[ContractData]
    blocks: list[ContractBlock]
    reasons: list[str]


def _party(org: dict[str, Any], parties: dict[str, dict[str, Any]]) -> Party | None:
    # The release's own id only finds the party's entry in the same release's `parties`; the
    # organisation's own values, where set, win over that entry's (read field by field rather
    # than merged: this runs for every buyer and supplier of every release).
    entry = parties.get(str(org.get("id"))) or _NONE
    identifier = org.get("identifier") or entry.get("identifier")
    if not isinstance(identifier, dict):
        identifier = _NONE
    name = org.get("name") or entry.get("name")
    scheme = identifier.get("scheme")
    ident = identifier.get("id")
    legal = identifier.get("legalName")
    if (
        (name is None or type(name) is str)
        and (scheme is None or type(scheme) is str)
        and (ident is None or type(ident) is str)
        and (legal is None or type(legal) is str)
    ):
        return _known_party(name, scheme, ident, legal)
    # Other values are worked out every time: equal keys (1, True, Decimal("1.0")) print apart.
    return _known_party.__wrapped__(name, scheme, ident, legal)


_NONE: dict[str, Any] = {}


# The same parties come release after release: each is worked out once.
@functools.lru_cache(maxsize=1 << 14)
def _known_party(raw_name: Any, raw_scheme: Any, raw_ident: Any, legal_name: Any) -> Party | None:
    name = text(raw_name, 300)
    scheme = text(raw_scheme, 40) or None
    ident = text(raw_ident, 100) or None
    if not name:
        name = text(legal_name, 300)
    if not name:
        return None
    if not (scheme and ident):
        return Party(name, None, None, None, None)
    ch = normalise_companies_house_number(ident) if scheme.upper() == "GB-COH" else None
    if ch:
        return Party(name, f"GB-COH-{ch}", "GB-COH", ch, ch)
    return Party(name, text(f"{scheme}-{ident}", 200), scheme, ident, None)


def _date(value: Any) -> datetime.date | None:
    return _day(value) if type(value) is str else None


# A contract has four dates, and releases repeat the same days: each is read once.
@functools.lru_cache(maxsize=1 << 16)
def _day(value: str) -> datetime.date | None:
    parsed = parse_datetime(value)
    return parsed.date() if parsed else None


CENT = Decimal("0.01")


def _amount(value: Any) -> tuple[Decimal | None, str | None]:
    if not isinstance(value, dict) or value.get("amount") is None:
        return None, None
    currency = value.get("currency")
    return Decimal(value["amount"]).quantize(CENT), (
        currency.upper() if isinstance(currency, str) else None
    )


def _cpv(block: dict[str, Any]) -> str | None:
    """The first CPV code of a tender (its own, then its items') or of an award's items."""
    candidates = [block.get("classification")]
    items = block.get("items")
    if isinstance(items, list):
        candidates += [i.get("classification") for i in items if isinstance(i, dict)]
    for c in candidates:
        if isinstance(c, dict) and str(c.get("scheme", "")).upper() == "CPV":
            code = str(c.get("id", "")).strip()
            if is_cpv_code(code):
                return code
    return None


# Notices that set up a framework agreement (UK Contracts Finder says so in words; OCDS 1.1's
# techniques extension says so in `hasFrameworkAgreement`). Call-offs from one are spend.
FRAMEWORK_AGREEMENT = re.compile(
    r"\b(?:establish(?:ing|ment of)?|set up|put in place) an? (?:multi[- ]supplier )?"
    r"framework(?: agreement)?\b|\bframework agreement is open for use",
    re.IGNORECASE,
)


def is_framework_agreement(tender: dict[str, Any]) -> bool:
    """Whether the award establishes a framework: its value is then a ceiling, not spend."""
    techniques = tender.get("techniques")
    if isinstance(techniques, dict) and techniques.get("hasFrameworkAgreement") is True:
        return True
    details = str(tender.get("procurementMethodDetails") or "").lower()
    if "call-off" in details or "call off" in details:
        return False
    words = f"{tender.get('title') or ''} {tender.get('description') or ''}"
    return FRAMEWORK_AGREEMENT.search(words) is not None


def reference(ocid: str, award_id: Any, supplier_index: int | None = None) -> str:
    base = f"{ocid}/{award_id}"
    return base if supplier_index is None else f"{base}/{supplier_index + 1}"


def map_release(release: dict[str, Any]) -> Mapped:
    ocid = text(release["ocid"], 200)
    parties = {
        str(p.get("id")): p
        for p in release.get("parties") or []
        if isinstance(p, dict) and p.get("id") is not None
    }
    buyer_org = release.get("buyer")
    if not isinstance(buyer_org, dict):
        buyer_org = next(
            (p for p in parties.values() if any(r in BUYER_ROLES for r in p.get("roles") or [])),
            None,
        )
    buyer = _party(buyer_org, parties) if buyer_org else None
    tender = release.get("tender") or {}
    tenderers = tender.get("numberOfTenderers")
    method, method_words = procurement_method(tender)
    common = {
        "procurement_method": method,
        "procurement_method_details": method_words,
        "number_of_tenderers": tenderers if isinstance(tenderers, int) else None,
    }
    tender_cpv = _cpv(tender)
    blocks_by_award: dict[str, dict[str, Any]] = {}
    for block in release.get("contracts") or []:
        if block.get("awardID") is not None:
            blocks_by_award.setdefault(str(block["awardID"]), block)

    contracts: list[ContractData] = []
    reasons: list[str] = []
    awards = release.get("awards") or []
    if not awards and not release.get("contracts"):
        reasons.append("no award")
    framework: bool | None = None
    for award in awards:
        award_id = str(award["id"])
        block = blocks_by_award.get(award_id, {})
        suppliers = [s for s in award.get("suppliers") or [] if isinstance(s, dict)]
        found: list[Party] = []
        for supplier_org in suppliers:
            party = _party(supplier_org, parties)
            # The same supplier named twice on one award is one contract, not two.
            if party is not None and (
                not found
                or all(
                    (party.party_id or party.match_name) != (p.party_id or p.match_name)
                    for p in found
                )
            ):
                found.append(party)
        amount, currency = _amount(award.get("value"))
        if amount is None:
            amount, currency = _amount(block.get("value"))
        if not found:
            reasons.append("award without a named supplier")
            continue
        if amount is None and len(found) == 1:
            reasons.append("award without a value")
            continue
        if buyer is None:
            reasons.append("award without a buyer")
            continue
        period = block.get("period") or award.get("contractPeriod") or {}
        original = award.get("contractPeriod") or period
        title = text(award.get("title") or tender.get("title") or block.get("title"), 500)
        if framework is None:  # the tender's: the same for every award
            framework = is_framework_agreement(tender)
        cpv = tender_cpv or _cpv(award)
        classified = None if cpv else classification(tender, award)
        shared = len(found) > 1
        description = text(award.get("description") or tender.get("description"), 10_000)
        award_date = _date(award.get("date"))
        start_date = _date(period.get("startDate"))
        end_date = _date(period.get("endDate"))
        original_end_date = _date(original.get("endDate"))
        for index, supplier in enumerate(found):
            contracts.append(
                ContractData(
                    reference=reference(ocid, award_id, index if shared else None),
                    ocid=ocid,
                    award_id=award_id,
                    buyer=buyer,
                    supplier=supplier,
                    amount=amount,
                    currency=currency,
                    classification=classified,
                    fields={
                        **common,
                        "cpv_code": cpv,
                        "title": title or f"Contract {ocid}",
                        "description": description,
                        # A value shared by several suppliers (a framework award) cannot be
                        # split between them: it is kept on none rather than counted twice.
                        "value_amount": None if shared or framework else amount,
                        "currency": None if shared or framework else currency,
                        # A framework agreement's value is its ceiling: kept, never spend.
                        "ceiling_amount": amount if framework else None,
                        "ceiling_currency": currency if framework else None,
                        "award_date": award_date,
                        "start_date": start_date,
                        "end_date": end_date,
                        "original_end_date": original_end_date,
                    },
                )
            )
    awarded = {str(a["id"]) for a in awards}
    blocks: list[ContractBlock] = []
    for block in release.get("contracts") or []:
        award_id = block.get("awardID")
        if award_id is None or str(award_id) in awarded:
            continue  # folded into its award above
        fields: dict[str, Any] = {}
        amount, currency = _amount(block.get("value"))
        if amount is not None:
            fields.update(value_amount=amount, currency=currency)
        period = block.get("period") or {}
        if _date(period.get("startDate")):
            fields["start_date"] = _date(period.get("startDate"))
        if _date(period.get("endDate")):
            fields["end_date"] = _date(period.get("endDate"))
        amendments = [
            (d, text(a.get("rationale") or a.get("description"), 2000))
            for a in block.get("amendments") or []
            if (d := _date(a.get("date")))
        ]
        blocks.append(ContractBlock(reference(ocid, award_id), fields, amendments))
    for award in awards:
        block = blocks_by_award.get(str(award["id"]))
        if block and block.get("amendments"):
            amendments = [
                (d, text(a.get("rationale") or a.get("description"), 2000))
                for a in block["amendments"]
                if (d := _date(a.get("date")))
            ]
            blocks.append(ContractBlock(reference(ocid, award["id"]), {}, amendments))
    return Mapped(contracts, blocks, reasons)
