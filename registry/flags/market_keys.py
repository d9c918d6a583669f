"""Market keys beyond CPV (issue 17) as the detectors and the opportunities use them: a CPV
prefix (`cpv-<prefix>`), a publisher's own classification for a contract without a CPV code
(`cls-<classification id>`), and a buyer's every contract (`buyer-<buyer id>`, the buyer-wide
market); and their labels as a reader sees them, built here from Classification and the CPV
names (registry.markets.services.market_labels knows CPV prefixes and lots)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from registry.contracts.models import Classification

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
    return sa.case(
        (market.startswith("cpv-"), _text("CPV ") + sa.func.substr(market, 5)),
        (market.startswith("cls-"), sa.func.coalesce(Classification.label, market)),
        else_=_text(BUYER_WIDE),
    )


def join_labels(query: sa.Select[Any], market: Any) -> sa.Select[Any]:
    """The outer join `market_label_sql` needs."""
    cls_id = sa.case(
        (market.startswith("cls-"), sa.cast(sa.func.substr(market, 5), sa.Integer)),
        else_=sa.null(),
    )
    return query.outerjoin(Classification, Classification.id == cls_id)
