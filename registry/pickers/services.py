"""Pickers: the record a person meant when they typed a name, another name, an abbreviation, a
registry number or a code, and the closest matches when what they typed is not one record.

One function per record type (`pick_supplier`, `pick_buyer`, `pick_framework`, `pick_lot`),
shared by the contract form, the admin's user form, the CLI and the API; the `suggest_*`
functions answer the form's suggestion endpoint. A refusal is a `NotPicked` whose message names
what was typed and lists the closest matches, so a person can copy one back into the field.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.buyers.models import Buyer
from registry.frameworks.models import Framework, Lot
from registry.identifiers import normalise_name
from registry.integers import record_by_number
from registry.sql import escape_like
from registry.suppliers.models import Supplier
from registry.suppliers.services import find_by_number

# At most this many suggestions in a message or an endpoint's answer.
MAX_SUGGESTIONS = 8
# Longer text is no name anyone types: refused before any query.
MAX_TEXT = 300
# Other names are matched in Python among at most this many rows the SQL filter lets through.
MAX_CANDIDATES = 200


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """One record offered to a person: what they read, and what to type to pick it."""

    id: int
    label: str
    value: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "value": self.value}


class NotPicked(Exception):
    """What was typed is not one record. `message` says so and lists the closest matches."""

    def __init__(self, message: str, suggestions: Sequence[Suggestion] = ()) -> None:
        self.suggestions = list(suggestions)
        if self.suggestions:
            listed = "; ".join(s.label for s in self.suggestions)
            message = f"{message}. Did you mean: {listed}?"
        super().__init__(message)
        self.message = message


def words_pattern(text: str) -> str | None:
    """A LIKE pattern finding the normalised words of `text` in order: "g cloud" finds
    "G-Cloud 13"; None when nothing is left to match."""
    words = normalise_name(text).split()
    if not words:
        return None
    return "%" + "%".join(escape_like(word) for word in words) + "%"


def _one(matches: list[Any], noun: str, text: str, label: Callable[[Any], Suggestion]) -> Any:
    """The single match, or a refusal listing them when there are several."""
    if len(matches) == 1:
        return matches[0]
    raise NotPicked(
        f"More than one {noun} matches “{text}”: enter the registry number",
        [label(match) for match in matches[:MAX_SUGGESTIONS]],
    )


def _other_names_match(names: list[str] | str | None, wanted: str) -> bool:
    """Whether any of a record's other names (a list, or one a line) normalises to `wanted`."""
    if isinstance(names, str):
        names = names.splitlines()
    return any(normalise_name(name) == wanted for name in names or () if name.strip())


def _checked(text: str, noun: str) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    if not text:
        raise NotPicked(f"Enter the {noun}")
    if len(text) > MAX_TEXT:
        raise NotPicked(f"The {noun} must be {MAX_TEXT} characters or fewer")
    return text


# Suppliers -----------------------------------------------------------------------------------


def supplier_suggestion(supplier: Supplier) -> Suggestion:
    number = (
        f", Companies House {supplier.companies_house_number}"
        if supplier.companies_house_number
        else ""
    )
    return Suggestion(
        supplier.id, f"{supplier.name} (registry number {supplier.id}{number})", supplier.name
    )


def _live_first(query: sa.Select[Any], model: Any) -> sa.Select[Any]:
    return query.order_by(model.merged_into_id.is_not(None), model.id)


def pick_supplier(db: Session, text: str) -> Supplier:
    """By Companies House number, registry number, party identifier, name or other name (any
    case, punctuation or legal form: "tpp", "EMIS Health Ltd"). A merged record is returned as
    it is (the caller says where it went); of several with one name, a live one is preferred."""
    # Imported here: the suppliers package reaches the contracts service, which imports this.
    text = _checked(text, "supplier")
    # Companies House numbers as people type them (3113109 is 03113109), then registry numbers.
    found = find_by_number(db, text)
    if found is None:
        found = db.execute(
            _live_first(sa.select(Supplier).where(Supplier.party_id == text), Supplier).limit(1)
        ).scalar_one_or_none()
    if found is not None:
        return found
    wanted = normalise_name(text)
    if wanted:
        named = list(
            db.execute(
                _live_first(
                    sa.select(Supplier).where(Supplier.normalised_name == wanted), Supplier
                ).limit(MAX_SUGGESTIONS)
            ).scalars()
        )
        if not named:
            named = [
                s for s in _alias_candidates(db, text) if _other_names_match(s.aliases, wanted)
            ]
        live = [s for s in named if not s.is_merged] or named
        if live:
            return _one(live, "supplier", text, supplier_suggestion)
    raise NotPicked(
        f"There is no supplier with number or name “{text}”",
        suggest_suppliers(db, text),
    )


def _alias_candidates(db: Session, text: str) -> list[Supplier]:
    """Suppliers whose other names hold what was typed, as stored text (checked after)."""
    lowered = text.lower()
    return list(
        db.execute(
            _live_first(
                sa.select(Supplier).where(
                    sa.func.lower(sa.cast(Supplier.aliases, sa.Text)).like(
                        f"%{escape_like(lowered)}%", escape="\\"
                    )
                ),
                Supplier,
            ).limit(MAX_CANDIDATES)
        ).scalars()
    )


def suggest_suppliers(db: Session, text: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """Live suppliers whose name holds the typed words in order, or whose other names hold the
    text; shortest names first (the closest to what was typed)."""
    pattern = words_pattern(text[:MAX_TEXT])
    if pattern is None:
        return []
    found: dict[int, Supplier] = {}
    for supplier in db.execute(
        sa.select(Supplier)
        .where(
            Supplier.merged_into_id.is_(None),
            sa.or_(
                Supplier.normalised_name.like(pattern, escape="\\"),
                sa.func.lower(sa.cast(Supplier.aliases, sa.Text)).like(
                    f"%{escape_like(text.strip().lower())}%", escape="\\"
                ),
            ),
        )
        .order_by(sa.func.length(Supplier.name), Supplier.id)
        .limit(limit)
    ).scalars():
        found[supplier.id] = supplier
    return [supplier_suggestion(s) for s in found.values()]


# Buyers --------------------------------------------------------------------------------------


def buyer_suggestion(buyer: Buyer) -> Suggestion:
    code = f", {buyer.identifier}" if buyer.identifier else ""
    return Suggestion(buyer.id, f"{buyer.name} (registry number {buyer.id}{code})", buyer.name)


def pick_buyer(db: Session, text: str) -> Buyer:
    """By registry number, identifier (an ODS code, any case), OCDS party id, name or other name
    ("HMRC", one of `also_known_as`'s lines)."""
    text = _checked(text, "buyer")
    found = record_by_number(db, Buyer, text)
    if found is not None:
        return found
    coded = list(
        db.execute(
            sa.select(Buyer)
            .where(
                sa.or_(
                    sa.func.upper(Buyer.identifier) == text.upper(),
                    Buyer.party_id == text,
                )
            )
            .order_by(Buyer.id)
            .limit(MAX_SUGGESTIONS)
        ).scalars()
    )
    wanted = normalise_name(text)
    if not coded and wanted:
        coded = list(
            db.execute(
                sa.select(Buyer)
                .where(Buyer.normalised_name == wanted)
                .order_by(Buyer.id)
                .limit(MAX_SUGGESTIONS)
            ).scalars()
        )
    if not coded and wanted:
        coded = [
            b
            for b in _buyer_alias_candidates(db, text)
            if _other_names_match(b.also_known_as, wanted)
        ]
    if coded:
        return _one(coded, "buyer", text, buyer_suggestion)
    raise NotPicked(
        f"There is no buyer with name, identifier or registry number “{text}”",
        suggest_buyers(db, text),
    )


def _buyer_alias_candidates(db: Session, text: str) -> list[Buyer]:
    return list(
        db.execute(
            sa.select(Buyer)
            .where(
                sa.func.lower(Buyer.also_known_as).like(
                    f"%{escape_like(text.lower())}%", escape="\\"
                )
            )
            .order_by(Buyer.id)
            .limit(MAX_CANDIDATES)
        ).scalars()
    )


def suggest_buyers(db: Session, text: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    pattern = words_pattern(text[:MAX_TEXT])
    if pattern is None:
        return []
    rows = db.execute(
        sa.select(Buyer)
        .where(
            sa.or_(
                Buyer.normalised_name.like(pattern, escape="\\"),
                sa.func.upper(Buyer.identifier) == text.strip().upper(),
                sa.func.lower(Buyer.also_known_as).like(
                    f"%{escape_like(text.strip().lower())}%", escape="\\"
                ),
            )
        )
        .order_by(sa.func.length(Buyer.name), Buyer.id)
        .limit(limit)
    ).scalars()
    return [buyer_suggestion(b) for b in rows]


# Frameworks and lots -------------------------------------------------------------------------


def framework_suggestion(framework: Framework) -> Suggestion:
    return Suggestion(
        framework.id, f"{framework.title} ({framework.reference})", framework.reference
    )


def pick_framework(db: Session, text: str) -> Framework:
    """By reference (any case: "rm6116"), title ("GP IT Futures", any case or punctuation) or
    registry number."""
    text = _checked(text, "framework")
    found = db.execute(
        sa.select(Framework).where(sa.func.upper(Framework.reference) == text.upper())
    ).scalar_one_or_none()
    if found is not None:
        return found
    wanted = normalise_name(text)
    pattern = words_pattern(text)
    if pattern is not None:
        titled = [
            f
            for f in db.execute(
                sa.select(Framework)
                .where(sa.func.lower(Framework.title).like(pattern, escape="\\"))
                .order_by(Framework.retracted_at.is_not(None), Framework.id)
                .limit(MAX_CANDIDATES)
            ).scalars()
            if normalise_name(f.title) == wanted
        ]
        if titled:
            return _one(titled, "framework", text, framework_suggestion)
    found = record_by_number(db, Framework, text)
    if found is not None:
        return found
    raise NotPicked(
        f"There is no framework with reference or title “{text}”", suggest_frameworks(db, text)
    )


def suggest_frameworks(db: Session, text: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    pattern = words_pattern(text[:MAX_TEXT])
    if pattern is None:
        return []
    rows = db.execute(
        sa.select(Framework)
        .where(
            Framework.retracted_at.is_(None),
            sa.or_(
                sa.func.lower(Framework.title).like(pattern, escape="\\"),
                sa.func.lower(Framework.reference).like(
                    f"{escape_like(text.strip().lower())}%", escape="\\"
                ),
            ),
        )
        .order_by(sa.func.length(Framework.title), Framework.id)
        .limit(limit)
    ).scalars()
    return [framework_suggestion(f) for f in rows]


def lot_suggestion(lot: Lot) -> Suggestion:
    return Suggestion(lot.id, f"Lot {lot.number}: {lot.title}", lot.number)


def _lots(db: Session, framework: Framework) -> list[Lot]:
    return list(
        db.execute(
            sa.select(Lot).where(Lot.framework_id == framework.id).order_by(Lot.number, Lot.id)
        ).scalars()
    )


def pick_lot(db: Session, framework: Framework, text: str) -> Lot:
    """A lot of `framework` by its number ("1", "Lot 1", "lot1") or its title (any case)."""
    text = _checked(text, "lot")
    lots = _lots(db, framework)
    number = re.sub(r"^lot\s*", "", text, flags=re.IGNORECASE).strip().lower()
    by_number = [lot for lot in lots if lot.number.lower() == number]
    if by_number:
        return by_number[0]
    wanted = normalise_name(text)
    titled = [lot for lot in lots if wanted and normalise_name(lot.title) == wanted]
    if titled:
        return _one(titled, "lot", text, lot_suggestion)
    close = [lot for lot in lots if wanted and wanted in normalise_name(lot.title)] or lots
    raise NotPicked(
        f"Framework {framework.reference} has no lot {text}",
        [lot_suggestion(lot) for lot in close[:MAX_SUGGESTIONS]],
    )


def suggest_lots(
    db: Session, framework: Framework, text: str, limit: int = MAX_SUGGESTIONS
) -> list[Suggestion]:
    wanted = normalise_name(text[:MAX_TEXT])
    lots = [lot for lot in _lots(db, framework) if lot.retracted_at is None]
    close = [
        lot
        for lot in lots
        if not wanted or wanted in normalise_name(f"lot {lot.number} {lot.title}")
    ]
    return [lot_suggestion(lot) for lot in close[:limit]]
