"""What the framework service accepts, and the checks it makes before writing anything.

Problems are collected as (field, message) pairs and raised together as a FrameworkError, so a
form can show every one beside its field, and a CSV import can name every bad column.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.contracts.currencies import check_money
from registry.frameworks.models import (
    FRAMEWORK_TRANSITIONS,
    Framework,
    FrameworkStatus,
    KPIDirection,
    Lot,
    MembershipStatus,
    ObligationCategory,
)
from registry.identifiers import is_cpv_code
from registry.problems import Problem, ServiceError
from registry.suppliers.models import Supplier

# References appear in URLs (/frameworks/RM6116), so they are one path segment; "new" is a page.
REFERENCE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
RESERVED_REFERENCES = frozenset({"new"})
LOT_NUMBER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}")
MAX_TERM_MONTHS = 1200
# Numeric(8, 3) holds weights below 100,000; Numeric(18, 4) KPI targets below 10**14.
MAX_WEIGHT = Decimal("99999.999")
MAX_KPI_TARGET = Decimal("99999999999999")
MAX_REASON = 2000


class FrameworkError(ServiceError):
    """The change cannot be made as asked. `errors` are (field name, message) pairs."""


@dataclasses.dataclass
class FrameworkInput:
    reference: str
    title: str
    owner_body: str
    description: str = ""
    status: FrameworkStatus = FrameworkStatus.coming  # used on create only
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    extended_end_date: datetime.date | None = None
    max_term_months: int | None = None
    cpv_codes: list[str] = dataclasses.field(default_factory=list)
    source_url: str | None = None
    illustrative: bool = False
    ceiling_amount: Decimal | None = None
    ceiling_currency: str | None = None


@dataclasses.dataclass
class LotInput:
    number: str
    title: str
    description: str = ""
    cpv_codes: list[str] = dataclasses.field(default_factory=list)
    illustrative: bool = False
    ceiling_amount: Decimal | None = None
    ceiling_currency: str | None = None
    membership_complete: bool = False


@dataclasses.dataclass
class ObligationInput:
    category: ObligationCategory
    title: str
    description: str = ""
    standard_reference: str | None = None
    lot_id: int | None = None
    supplier_id: int | None = None
    kpi_target: Decimal | None = None
    kpi_unit: str | None = None
    kpi_direction: KPIDirection | None = None
    weight: Decimal = Decimal(1)
    mandatory: bool = True
    illustrative: bool = False


@dataclasses.dataclass
class MembershipInput:
    supplier_id: int
    status: MembershipStatus = MembershipStatus.active
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    reason: str = ""
    illustrative: bool = False


def parse_cpv_codes(text: str | None) -> list[str]:
    """Codes separated by commas, spaces or new lines, in the order given, without repeats."""
    codes = [code for code in re.split(r"[\s,;]+", text or "") if code]
    return list(dict.fromkeys(codes))


def clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def snapshot(record: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in fields}


FRAMEWORK_FIELDS = (
    "reference",
    "title",
    "owner_body",
    "description",
    "status",
    "start_date",
    "end_date",
    "extended_end_date",
    "max_term_months",
    "cpv_codes",
    "source_url",
    "illustrative",
)
LOT_FIELDS = (
    "framework_id",
    "number",
    "title",
    "description",
    "cpv_codes",
    "illustrative",
    "ceiling_amount",
    "ceiling_currency",
    "membership_complete",
)
OBLIGATION_FIELDS = (
    "framework_id",
    "lot_id",
    "supplier_id",
    "category",
    "title",
    "description",
    "standard_reference",
    "kpi_target",
    "kpi_unit",
    "kpi_direction",
    "weight",
    "mandatory",
    "illustrative",
)
MEMBERSHIP_FIELDS = ("supplier_id", "lot_id", "status", "start_date", "end_date", "illustrative")


def allowed_statuses(framework: Framework) -> list[FrameworkStatus]:
    """The statuses this framework may move to next, in lifecycle order."""
    if framework.is_retracted:
        return []
    allowed = FRAMEWORK_TRANSITIONS[framework.status]
    return [status for status in FrameworkStatus if status in allowed]


def check_cpv(codes: list[str], problems: list[Problem]) -> None:
    bad = [code for code in codes if not is_cpv_code(code)]
    if bad:
        problems.append(
            (
                "cpv_codes",
                f"CPV codes must be 8 digits with an optional check digit, like 48000000 or "
                f"48000000-8: {', '.join(bad[:5])} is not",
            )
        )
    elif len(codes) > 50:
        problems.append(("cpv_codes", "Give 50 CPV codes or fewer"))


def check_reason(reason: str, problems: list[Problem]) -> str:
    reason = (reason or "").strip()
    if not reason:
        problems.append(("reason", "Enter the reason for this change"))
    elif len(reason) > MAX_REASON:
        problems.append(("reason", f"Reason must be {MAX_REASON} characters or fewer"))
    return reason


def raise_problems(problems: list[Problem]) -> None:
    if problems:
        raise FrameworkError(problems)


def validate_framework(
    db: Session, data: FrameworkInput, framework: Framework | None
) -> dict[str, Any]:
    problems: list[Problem] = []
    reference = (data.reference or "").strip()
    if not reference:
        problems.append(("reference", "Enter the framework's reference, like RM6116"))
    elif not REFERENCE_RE.fullmatch(reference) or reference.lower() in RESERVED_REFERENCES:
        problems.append(
            (
                "reference",
                "Reference must be up to 40 letters, digits, dots, hyphens or underscores, "
                "like RM6116",
            )
        )
    else:
        query = sa.select(Framework.id).where(
            sa.func.lower(Framework.reference) == reference.lower()
        )
        if framework is not None:
            query = query.where(Framework.id != framework.id)
        if db.execute(query.limit(1)).first() is not None:
            problems.append(("reference", f"A framework with the reference {reference} exists"))
    title = (data.title or "").strip()
    if not title:
        problems.append(("title", "Enter the framework's title"))
    elif len(title) > 300:
        problems.append(("title", "Title must be 300 characters or fewer"))
    owner = (data.owner_body or "").strip()
    if not owner:
        problems.append(("owner_body", "Enter the body that runs the framework"))
    elif len(owner) > 200:
        problems.append(("owner_body", "Owner must be 200 characters or fewer"))
    if data.start_date and data.end_date and data.end_date < data.start_date:
        problems.append(("end_date", "End date must be on or after the start date"))
    if data.extended_end_date:
        if data.end_date is None:
            problems.append(("extended_end_date", "Give the end date before an extended end"))
        elif data.extended_end_date < data.end_date:
            problems.append(
                ("extended_end_date", "Extended end date must be on or after the end date")
            )
    if data.max_term_months is not None and not 0 < data.max_term_months <= MAX_TERM_MONTHS:
        problems.append(
            (
                "max_term_months",
                f"Maximum term must be a whole number of months from 1 to {MAX_TERM_MONTHS}",
            )
        )
    check_cpv(data.cpv_codes, problems)
    source_url = clean(data.source_url)
    if source_url:
        parts = urlsplit(source_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(
                ("source_url", "Source URL must start with https:// or http:// and name a site")
            )
        elif len(source_url) > 500:
            problems.append(("source_url", "Source URL must be 500 characters or fewer"))
    ceiling = check_ceiling(data.ceiling_amount, data.ceiling_currency, problems)
    raise_problems(problems)
    return {
        **ceiling,
        "reference": reference,
        "title": title,
        "owner_body": owner,
        "description": (data.description or "").strip(),
        "start_date": data.start_date,
        "end_date": data.end_date,
        "extended_end_date": data.extended_end_date,
        "max_term_months": data.max_term_months,
        "cpv_codes": data.cpv_codes,
        "source_url": source_url,
        "illustrative": data.illustrative,
    }


def check_ceiling(
    amount: Decimal | None, currency: str | None, problems: list[Problem]
) -> dict[str, Any]:
    """A ceiling needs its currency and a currency its ceiling; both or neither."""
    code = clean(currency)
    code = code.upper() if code else None
    problems += check_money(
        amount,
        code,
        fields=("ceiling_amount", "ceiling_currency"),
        noun="ceiling",
        example="250000000",
    )
    if code and amount is None:
        problems.append(("ceiling_amount", "Enter the ceiling, or leave its currency empty"))
    return {"ceiling_amount": amount, "ceiling_currency": code}


def validate_lot(
    db: Session, framework: Framework, data: LotInput, lot: Lot | None
) -> dict[str, Any]:
    problems: list[Problem] = []
    if framework.is_retracted:
        problems.append(("", "The framework is retracted: its lots cannot be changed"))
    elif lot is not None and lot.is_retracted:
        problems.append(("", "A retracted lot cannot be changed"))
    number = (data.number or "").strip()
    if not number:
        problems.append(("number", "Enter the lot number, like 1 or 2a"))
    elif not LOT_NUMBER_RE.fullmatch(number) or number.lower() in RESERVED_REFERENCES:
        problems.append(
            ("number", "Lot number must be up to 20 letters, digits, dots or hyphens, like 2a")
        )
    else:
        query = sa.select(Lot.id).where(
            Lot.framework_id == framework.id, sa.func.lower(Lot.number) == number.lower()
        )
        if lot is not None:
            query = query.where(Lot.id != lot.id)
        if db.execute(query.limit(1)).first() is not None:
            problems.append(
                ("number", f"{framework.reference} already has a lot numbered {number}")
            )
    title = (data.title or "").strip()
    if not title:
        problems.append(("title", "Enter the lot's title"))
    elif len(title) > 300:
        problems.append(("title", "Title must be 300 characters or fewer"))
    check_cpv(data.cpv_codes, problems)
    ceiling = check_ceiling(data.ceiling_amount, data.ceiling_currency, problems)
    raise_problems(problems)
    return {
        **ceiling,
        "number": number,
        "title": title,
        "description": (data.description or "").strip(),
        "cpv_codes": data.cpv_codes,
        "illustrative": data.illustrative,
        "membership_complete": data.membership_complete,
    }


def validate_obligation(db: Session, framework: Framework, data: ObligationInput) -> dict[str, Any]:
    problems: list[Problem] = []
    if framework.is_retracted:
        problems.append(("", "The framework is retracted: its obligations cannot be changed"))
    try:
        category = ObligationCategory(data.category)
    except ValueError:
        problems.append(("category", "Choose the obligation's category from the list"))
        category = None
    title = (data.title or "").strip()
    if not title:
        problems.append(("title", "Enter what the supplier promised, in a short title"))
    elif len(title) > 300:
        problems.append(("title", "Title must be 300 characters or fewer"))
    standard = clean(data.standard_reference)
    if standard and len(standard) > 100:
        problems.append(("standard_reference", "Standard must be 100 characters or fewer"))
    if data.lot_id is not None:
        lot = db.get(Lot, data.lot_id)
        if lot is None or lot.framework_id != framework.id:
            problems.append(("lot_id", f"Choose one of {framework.reference}'s lots"))
        elif lot.is_retracted:
            problems.append(("lot_id", f"Lot {lot.number} is retracted: choose another"))
    if data.supplier_id is not None:
        supplier = db.get(Supplier, data.supplier_id)
        if supplier is None:
            problems.append(("supplier_id", f"There is no supplier numbered {data.supplier_id}"))
        elif supplier.is_merged:
            problems.append(
                (
                    "supplier_id",
                    f"Supplier {supplier.id} was merged into supplier "
                    f"{supplier.merged_into_id}: use that one",
                )
            )
    unit = clean(data.kpi_unit)
    if unit and len(unit) > 40:
        problems.append(("kpi_unit", "KPI unit must be 40 characters or fewer"))
    direction = None
    if data.kpi_direction:
        try:
            direction = KPIDirection(data.kpi_direction)
        except ValueError:
            problems.append(("kpi_direction", "Choose whether higher or lower is better"))
    target = data.kpi_target
    if target is not None:
        if abs(target) > MAX_KPI_TARGET:
            problems.append(("kpi_target", "KPI target is too large"))
        if direction is None and not any(p[0] == "kpi_direction" for p in problems):
            problems.append(
                ("kpi_direction", "Say whether higher or lower is better for the KPI target")
            )
    elif direction is not None or unit:
        problems.append(
            ("kpi_target", "Enter the KPI target, or leave the unit and direction empty")
        )
    weight = data.weight
    if weight is None or weight <= 0:
        problems.append(("weight", "Weight must be more than 0, like 1 or 2.5"))
    elif weight > MAX_WEIGHT:
        problems.append(("weight", f"Weight must be {MAX_WEIGHT} or less"))
    raise_problems(problems)
    return {
        "category": category,
        "title": title,
        "description": (data.description or "").strip(),
        "standard_reference": standard,
        "lot_id": data.lot_id,
        "supplier_id": data.supplier_id,
        "kpi_target": target,
        "kpi_unit": unit,
        "kpi_direction": direction,
        "weight": weight,
        "mandatory": bool(data.mandatory),
        "illustrative": data.illustrative,
    }
