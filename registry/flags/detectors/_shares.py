"""The coverage of buyer and supplier-group pairs in a market of any kind
(`registry.flags.market_keys`), shared by buyer dependency and repeat awards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from registry.buyers.models import Buyer
from registry.flags.detectors.base import coverage_select
from registry.flags.market_keys import join_labels, market_label_sql
from registry.flags.models import SubjectType
from registry.suppliers.models import SupplierGroup


def _text(value: str) -> Any:
    return sa.literal(value, sa.String)


def buyer_group_market_coverage(
    pairs: Any,
    not_applicable: Sequence[tuple[sa.ColumnElement[bool], str]] = (),
    checked_note: Sequence[tuple[sa.ColumnElement[bool], str]] = (),
) -> sa.Select[Any]:
    """Coverage of buyer and supplier-group pairs in a market, from a subquery with buyer_id,
    group_id and market (its full key) columns; keys as the findings make them
    (buyer/group/market)."""

    market = pairs.c.market
    key = (
        sa.cast(pairs.c.buyer_id, sa.String)
        + _text("/")
        + sa.cast(pairs.c.group_id, sa.String)
        + _text("/")
        + market
    )
    label = (
        Buyer.name + _text(" and ") + SupplierGroup.name + _text(" in ") + market_label_sql(market)
    )
    columns = coverage_select(SubjectType.buyer_supplier, key, label, not_applicable, checked_note)
    query = (
        sa.select(*columns)
        .select_from(pairs)
        .join(Buyer, Buyer.id == pairs.c.buyer_id)
        .join(SupplierGroup, SupplierGroup.id == pairs.c.group_id)
    )
    return join_labels(query, market)
