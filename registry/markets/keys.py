"""What a market is: its key, and which published contracts are in it.

Four kinds of market, each a key of at most 20 characters (the `market_key` columns):
- `cpv-48814`: the contracts whose CPV code starts with those digits (depth set by
  `registry.markets.cpv_depth`);
- `cls-7`: the contracts without a CPV code classified as Classification 7 (a UNSPSC segment, a
  national scheme's code, or the publisher's description where it gives no code);
- `lot-12`: the contracts called off framework lot 12;
- `buyer-3`: every contract of buyer 3, a *buyer-wide market*, so one buyer's dependence on one
  supplier is seen even where nothing is classified (OCP red flag R040). One buyer alone buys in
  it, so its shares are counted by number of contracts, not of buyers (`count_basis`).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import sqlalchemy as sa

from registry.contracts.models import Contract
from registry.integers import whole_number

KINDS = ("cpv", "cls", "lot", "buyer")
KIND_NAMES = {
    "cpv": "CPV code",
    "cls": "other classification",
    "lot": "framework lot",
    "buyer": "buyer-wide",
}
# Markets of what is bought: the list and the API show these unless asked for buyer-wide ones,
# one per buyer, which would drown them.
CLASSIFIED_KINDS = ("cpv", "cls", "lot")
# The choices of kinds the market list and the API offer, "classified" their default.
KIND_FILTERS = {
    "classified": ("What is bought (CPV, other classifications, framework lots)", CLASSIFIED_KINDS),
    "cpv": ("By CPV code", ("cpv",)),
    "cls": ("By another classification (UNSPSC, a national scheme, a description)", ("cls",)),
    "lot": ("By framework lot", ("lot",)),
    "buyer": ("Buyer-wide (every contract of one buyer)", ("buyer",)),
    "all": ("All markets, buyer-wide ones too", KINDS),
}
KEY_PATTERN = re.compile(r"(cpv)-([0-9]{2,8})|(cls|lot|buyer)-([1-9][0-9]{0,9})")


@dataclasses.dataclass(frozen=True)
class MarketKey:
    kind: str  # one of KINDS
    value: str

    def __str__(self) -> str:
        return f"{self.kind}-{self.value}"

    @classmethod
    def parse(cls, text: str) -> MarketKey | None:
        match = KEY_PATTERN.fullmatch(text)
        if match is None:
            return None
        if match.group(1):
            return cls("cpv", match.group(2))
        if whole_number(match.group(4), minimum=1) is None:  # past the id column's range
            return None
        return cls(match.group(3), match.group(4))


def count_basis(kind: str) -> str:
    """What the count shares count: buyers, or contracts in a buyer-wide market (one buyer)."""
    return "contracts" if kind == "buyer" else "buyers"


def market_column(kind: str, depth: int) -> sa.ColumnElement[Any]:
    """A contract's market of one kind (its key without the kind)."""
    if kind == "cpv":
        return sa.func.substr(Contract.cpv_code, 1, depth)
    column: Any = {"cls": Contract.classification_id, "buyer": Contract.buyer_id}.get(kind)
    return column if column is not None else sa.cast(Contract.lot_id, sa.Integer)


def kind_condition(kind: str, depth: int) -> sa.ColumnElement[bool]:
    """The contracts in some market of one kind. A classification market holds only contracts
    without a CPV code (those with one are in their CPV market), as RUN_CONTRACTS has it."""
    if kind == "cpv":
        return sa.func.length(Contract.cpv_code) >= depth
    if kind == "cls":
        return sa.and_(Contract.cpv_code.is_(None), Contract.classification_id.is_not(None))
    if kind == "buyer":
        return sa.true()
    return Contract.lot_id.is_not(None)


def market_condition(key: MarketKey, depth: int) -> sa.ColumnElement[bool]:
    """The contracts of one market (its figures add the published-contract condition)."""
    if key.kind == "cpv":
        return sa.and_(
            sa.func.length(Contract.cpv_code) >= depth,
            Contract.cpv_code.startswith(key.value, autoescape=True),
            *cpv_prefix_range(key.value),
        )
    if key.kind == "cls":
        return sa.and_(Contract.classification_id == int(key.value), Contract.cpv_code.is_(None))
    if key.kind == "buyer":
        return Contract.buyer_id == int(key.value)
    return Contract.lot_id == int(key.value)


def cpv_prefix_range(prefix: str) -> list[sa.ColumnElement[bool]]:
    """The codes starting with a prefix of digits, as a range the cpv_code index can seek (LIKE
    cannot on SQLite, nor on PostgreSQL outside the C collation). The bounds are digit strings,
    which sort alike in every collation: "48814" <= code < "48815"."""
    bounds = [Contract.cpv_code >= prefix]
    if prefix.strip("9"):
        bounds.append(Contract.cpv_code < str(int(prefix) + 1).zfill(len(prefix)))
    return bounds


def run_market_column(contracts: Any, kind: str) -> Any:
    """A run contract's market of one kind (registry.flags.run_contracts.RUN_CONTRACTS); null outside."""
    c = contracts.c
    return {
        "cpv": c.cpv_market,
        "cls": c.classification_id,
        "lot": c.lot_id,
        "buyer": c.buyer_id,
    }[kind]
