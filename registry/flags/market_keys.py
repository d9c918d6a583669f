"""Market keys beyond CPV (issue 17) as the detectors and the opportunities use them: a CPV
prefix (`cpv-<prefix>`), a publisher's own classification for a contract without a CPV code
(`cls-<classification id>`), and a buyer's every contract (`buyer-<buyer id>`, the buyer-wide
market); and their labels as a reader sees them, built here from Classification and the CPV
names (registry.markets.services.market_labels knows CPV prefixes and lots)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from registry.contracts.models import Classification
from registry.markets.cpv import cpv_name
from registry.markets.services import MarketKey

# The buyer-wide market's label: every contract of one buyer, classified or not.
BUYER_WIDE = "all the buyer's contracts (buyer-wide)"


def _text(value: str) -> Any:
    return sa.literal(value, sa.String)


def classified_market(rc: Any) -> sa.ColumnElement[Any]:
    """The run contract's classified market key: `cpv-<prefix>`, or `cls-<classification id>`
    for a contract without a CPV code; null when it has neither (or a CPV code too short)."""
    return sa.func.coalesce(
        _text("cpv-") + rc.c.cpv_market,
        _text("cls-") + sa.cast(rc.c.classification_id, sa.String),
    )


def buyer_market(buyer_id: Any) -> sa.ColumnElement[Any]:
    """The buyer-wide market's key, `buyer-<buyer id>`."""
    return _text("buyer-") + sa.cast(buyer_id, sa.String)


def market_label_sql(market: Any) -> sa.ColumnElement[Any]:
    """A market key's label in SQL (for coverage rows): the CPV prefix, the classification's
    label, or the buyer-wide market. Needs an outer join to Classification (`join_labels`)."""
    cls_label = (
        Classification.label
        + _text(" (")
        + sa.func.coalesce(sa.func.nullif(Classification.scheme, ""), _text("description"))
        + _text(")")
    )
    return sa.case(
        (market.startswith("cpv-"), _text("CPV ") + sa.func.substr(market, 5)),
        (market.startswith("cls-"), sa.func.coalesce(cls_label, market)),
        else_=_text(BUYER_WIDE),
    )


def join_labels(query: sa.Select[Any], market: Any) -> sa.Select[Any]:
    """The outer join `market_label_sql` needs."""
    cls_id = sa.case(
        (market.startswith("cls-"), sa.cast(sa.func.substr(market, 5), sa.Integer)),
        else_=sa.null(),
    )
    return query.outerjoin(Classification, Classification.id == cls_id)


def market_labels(db: Any, keys: set[str]) -> dict[str, str]:
    """Each market key's label as a reader sees it (for findings, whose keys are few)."""
    ids = {int(k[4:]) for k in keys if k.startswith("cls-") and k[4:].isdigit()}
    classes = {}
    if ids:
        classes = {
            row.id: row
            for row in db.execute(
                sa.select(Classification.id, Classification.scheme, Classification.label).where(
                    Classification.id.in_(ids)
                )
            )
        }
    labels = {}
    for key in keys:
        kind, _, value = key.partition("-")
        if kind == "cpv":
            name = cpv_name(value)
            labels[key] = f"{name} (CPV {value})" if name else f"CPV {value}"
        elif kind == "cls" and value.isdigit() and int(value) in classes:
            row = classes[int(value)]
            labels[key] = f"{row.label} ({row.scheme or 'description'})"
        elif kind == "buyer":
            labels[key] = BUYER_WIDE
        else:
            labels[key] = key
    return labels


CLS_KEY = re.compile(r"cls-(\d{1,12})")
BUYER_KEY = re.compile(r"buyer-(\d{1,12})")


def is_market_key(text: str) -> bool:
    """Whether `text` is a market key of any kind, the buyer-wide market's included."""
    return parse_market(text) is not None or BUYER_KEY.fullmatch(text) is not None


def parse_market(text: str) -> MarketKey | None:
    """A market key of any kind the opportunities and flag evidence read: CPV and lot keys as
    `MarketKey.parse` reads them, and `cls-<id>` (a MarketKey of kind "cls")."""
    found = MarketKey.parse(text)
    if found is None and (match := CLS_KEY.fullmatch(text)) is not None:
        found = MarketKey("cls", match.group(1))
    return found
