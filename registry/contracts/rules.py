"""Rules about contracts that need no database, and who may see what. Shared with the CSV import."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from registry.authnz import Role
from registry.contracts.currencies import check_money
from registry.contracts.models import Contract
from registry.identifiers import is_cpv_code
from registry.problems import Problem
from registry.records import Publication
from registry.suppliers.models import Supplier


def check_terms(
    *,
    value_amount: Decimal | None,
    currency: str | None,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    original_end_date: datetime.date | None,
    number_of_tenderers: int | None,
    cpv_code: str | None,
) -> list[Problem]:
    problems = check_money(value_amount, currency)
    if start_date and end_date and end_date < start_date:
        problems.append(("end_date", "End date must be the same as or after the start date"))
    if start_date and original_end_date and original_end_date < start_date:
        problems.append(
            ("original_end_date", "Original end date must be the same as or after the start date")
        )
    if number_of_tenderers is not None and number_of_tenderers < 0:
        problems.append(("number_of_tenderers", "Number of tenderers must be 0 or more"))
    if cpv_code and not is_cpv_code(cpv_code):
        problems.append(
            ("cpv_code", "CPV code must be 8 digits with an optional check digit, like 48000000-8")
        )
    return problems


def survivor_of(supplier: Supplier) -> Supplier:
    """The record a merged supplier now lives on (merges can chain)."""
    seen = {supplier.id}
    while supplier.merged_into is not None and supplier.merged_into.id not in seen:
        supplier = supplier.merged_into
        seen.add(supplier.id)
    return supplier


def merged_message(supplier: Supplier) -> str:
    survivor = survivor_of(supplier)
    number = (
        f", Companies House number {survivor.companies_house_number}"
        if survivor.companies_house_number
        else ""
    )
    return (
        f"Supplier {supplier.name} was merged into {survivor.name}: use that record "
        f"(registry number {survivor.id}{number})"
    )


def extension_rows(contract: Contract) -> list[dict[str, Any]]:
    """Each extension with how far the end has moved beyond the original term."""
    rows = []
    original = contract.original_end_date
    term_days = (original - contract.start_date).days if original and contract.start_date else None
    for extension in contract.extensions:
        moved = (extension.new_end_date - original).days if original else None
        rows.append(
            {
                "extension": extension,
                "days_beyond_original": moved,
                "share_of_term": moved / term_days
                if moved is not None and term_days and term_days > 0
                else None,
            }
        )
    return rows


def visibility_clause(user: Any) -> sa.ColumnElement[bool] | None:
    """Which contracts a person may see: None means all of them."""
    public = sa.and_(Contract.publication == Publication.published, Contract.retracted_at.is_(None))
    if user is None:
        return public
    if user.role in (Role.admin, Role.auditor):
        return None
    if user.role == Role.officer and user.buyer_id is not None:
        # Officers also see everything of their own organisation: drafts and retractions.
        return sa.or_(public, Contract.buyer_id == user.buyer_id)
    return public


def can_see(user: Any, contract: Contract) -> bool:
    """Whether the detail page is shown. A retracted published contract stays visible, marked,
    so a link to it never silently breaks; the public list leaves it out."""
    if contract.publication == Publication.published:
        return True
    if user is None:
        return False
    if user.role in (Role.admin, Role.auditor):
        return True
    return bool(user.role == Role.officer and user.buyer_id == contract.buyer_id)
