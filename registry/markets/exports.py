"""The markets as an open-data table (CSV and JSON, /data and `registry export`): every market's
stored figures as `registry detect` last worked them out, one row per market, its value figures
in its one currency. Registered in registry.opendata.export with the other tables."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from registry.buyers.models import Buyer
from registry.contracts.models import Classification
from registry.frameworks.models import Framework, Lot
from registry.markets.cpv import cpv_name
from registry.markets.models import MarketFigures

COLUMNS = [
    ("market_key", "cpv-<CPV prefix>, cls-<classification id>, lot-<lot id> or buyer-<buyer id>"),
    ("kind", "cpv, cls (another classification), lot (framework lot) or buyer (buyer-wide)"),
    ("label", "the market as people say it"),
    ("contracts", "published contracts in it"),
    ("groups", "supplier groups with a published contract in it"),
    ("count_basis", "what the count shares count: buyers, or contracts (buyer-wide markets)"),
    ("count_hhi", "HHI of the shares by the count basis (0 to 10,000)"),
    ("count_cr2", "the two largest groups' combined share by the count basis"),
    ("currency", "ISO 4217: the one currency of the value figures (of most valued contracts)"),
    ("value_total", "the sum of the values in that currency"),
    ("valued_contracts", "contracts with a value in that currency: what value figures count"),
    ("value_hhi", "HHI of the shares by value"),
    ("value_cr2", "the two largest groups' combined share by value"),
    ("no_value", "contracts without a value (left out of the value figures)"),
    ("other_currency", "contracts valued in another currency (left out, never converted)"),
    ("ceiling_only", "framework agreements with a ceiling and no value"),
    ("method_version", "the method version of the figures"),
    ("computed_at", "when `registry detect` computed them (UTC)"),
]


def _id_after(prefix: str) -> Any:
    """The id in a key of the kind `prefix` ("cls-7" → 7); null for other kinds."""
    key = MarketFigures.market_key
    return sa.case(
        (key.startswith(prefix), sa.cast(sa.func.substr(key, len(prefix) + 1), sa.Integer)),
        else_=sa.null(),
    )


def markets_select() -> sa.Select[Any]:
    key = MarketFigures.market_key
    lot_label = (
        Framework.reference + sa.literal(" lot ") + Lot.number + sa.literal(": ") + Lot.title
    )
    label = sa.func.coalesce(
        Classification.label, sa.literal("All contracts of ") + Buyer.name, lot_label
    )
    kind_of = sa.case(
        *((key.startswith(f"{k}-"), k) for k in ("cpv", "cls", "lot", "buyer")), else_=sa.null()
    )
    return (
        sa.select(
            key,
            kind_of.label("kind"),
            label.label("label"),
            MarketFigures.contracts,
            MarketFigures.groups,
            sa.case((key.startswith("buyer-"), "contracts"), else_="buyers").label("count_basis"),
            MarketFigures.buyers_hhi.label("count_hhi"),
            MarketFigures.buyers_cr2.label("count_cr2"),
            MarketFigures.currency,
            MarketFigures.value_total,
            MarketFigures.valued_contracts,
            MarketFigures.value_hhi,
            MarketFigures.value_cr2,
            MarketFigures.no_value,
            MarketFigures.other_currency,
            MarketFigures.ceiling_only,
            MarketFigures.method_version,
            MarketFigures.computed_at,
        )
        .outerjoin(Classification, Classification.id == _id_after("cls-"))
        .outerjoin(Buyer, Buyer.id == _id_after("buyer-"))
        .outerjoin(Lot, Lot.id == _id_after("lot-"))
        .outerjoin(Framework, Framework.id == Lot.framework_id)
        .order_by(key)
    )


def market_label(row: Any) -> dict[str, Any]:
    """A CPV market's label, from the CPV names (the other kinds' come from their records)."""
    if row.kind != "cpv":
        return {}
    code = row.market_key[4:]
    name = cpv_name(code)
    return {"label": f"{name} (CPV {code})" if name else f"CPV {code}"}
