"""Frameworks (with their lots) from CSV. A framework already in the registry is left as it is."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.csvimport.plan import Plan, first_seen
from registry.csvimport.reader import Problems, Row, fetch_in
from registry.frameworks.models import Framework, FrameworkStatus, FrameworkStatusChange, Lot

LOT_RE = re.compile(r"\s*([^:|]{1,20}?)\s*:\s*(.+?)\s*")


def parse_lots(text: str) -> list[tuple[str, str]] | str:
    """'1: Hardware | 2: Software' as [(number, title)], or a message saying what is wrong."""
    lots: list[tuple[str, str]] = []
    for part in text.split("|"):
        if not part.strip():
            continue
        match = LOT_RE.fullmatch(part)
        if match is None:
            return f"{part.strip()!r} is not NUMBER: TITLE; separate lots with |"
        number, title = match.groups()
        if any(number.lower() == n.lower() for n, _ in lots):
            return f"lot {number} is listed twice"
        if len(title) > 300:
            return f"the title of lot {number} is longer than 300 characters"
        lots.append((number, title))
    return lots


def check(db: Session, rows: list[Row], problems: Problems) -> Plan:
    plan = Plan()
    existing = {
        reference.upper()
        for (reference,) in fetch_in(
            db,
            lambda chunk: sa.select(Framework.reference).where(
                sa.func.upper(Framework.reference).in_(chunk)
            ),
            [row.values["reference"].upper() for row in rows if row.values["reference"]],
        )
    }
    seen: dict[str, int] = {}
    for row in rows:
        v = row.values
        if v["start_date"] and v["end_date"] and v["end_date"] < v["start_date"]:
            problems.add(row.line, "end_date", "must be the same as or after the start date")
        if v["end_date"] and v["extended_end_date"] and v["extended_end_date"] < v["end_date"]:
            problems.add(row.line, "extended_end_date", "must be the same as or after the end date")
        if (v["ceiling_amount"] is None) != (v["ceiling_currency"] is None):
            missing = "ceiling_currency" if v["ceiling_currency"] is None else "ceiling_amount"
            problems.add(row.line, missing, "a ceiling needs both its amount and its currency")
        lots = parse_lots(v["lots"]) if v["lots"] else []
        if isinstance(lots, str):
            problems.add(row.line, "lots", lots)
            lots = []
        v["lots"] = lots
        reference = v["reference"]
        if not reference:
            continue
        if (line := first_seen(seen, reference.upper(), row.line)) is not None:
            problems.add(row.line, "reference", f"{reference} is also on line {line}")
        elif reference.upper() in existing:
            plan.present.append((row.line, reference))
        else:
            plan.create.append(row)
    return plan


def write(db: Session, plan: Plan) -> list[int]:
    frameworks = []
    for row in plan.create:
        v = row.values
        status = FrameworkStatus(v["status"])
        frameworks.append(
            Framework(
                reference=v["reference"],
                title=v["title"],
                owner_body=v["owner_body"],
                description=v["description"],
                status=status,
                start_date=v["start_date"],
                end_date=v["end_date"],
                extended_end_date=v["extended_end_date"],
                max_term_months=v["max_term_months"],
                cpv_codes=v["cpv_codes"] or [],
                source_url=v["source_url"],
                illustrative=v["illustrative"],
                ceiling_amount=v["ceiling_amount"],
                ceiling_currency=v["ceiling_currency"],
                lots=[
                    Lot(number=number, title=title, illustrative=v["illustrative"])
                    for number, title in v["lots"]
                ],
                # The lifecycle history starts at the status the framework came in with.
                status_changes=[
                    FrameworkStatusChange(
                        from_status=None, to_status=status, reason="imported from CSV"
                    )
                ],
            )
        )
    db.add_all(frameworks)
    db.flush()
    return [framework.id for framework in frameworks]
