"""A flag's numbers as its page shows them: each with a reader's label (never a raw metric key),
money in the flag's own currency, shares as percentages, counts as counts (never as money)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from registry.templating import format_money, format_number, format_percent

# The metrics that are sums of money, in the flag's `currency` (pounds for the flags raised
# before detectors named their currency, when every value was in pounds).
MONEY = frozenset(
    {
        "value",
        "group_value",
        "buyer_value",
        "uncompeted_value",
        "total_value",
        "median_buyer_value",
        "live_contract_value",
    }
)
PERCENT = frozenset(
    {
        "share",
        "value_share",
        "contract_share",
        "cr1",
        "cr2",
        "cr4",
        "holders_share",
        "overrun_ratio",
    }
)
# Shown as they are: years and dates are not quantities (2,021 is not a year).
PLAIN = frozenset({"year", "window_from", "years", "first_award", "last_award", "method"})
# Shown elsewhere on the page (the market's label, the largest groups' table, the price
# spread), or only the key a page links by.
HIDDEN = frozenset(
    {"leading", "other_basis", "market", "market_label", "price_spread", "product_id"}
)

LABELS = {
    "share": "Share that raised the flag",
    "value_share": "Share by value",
    "contract_share": "Share by number of contracts",
    "basis": "Judged by",
    "currency": "Currency of the value figures",
    "hhi": "Concentration (Herfindahl-Hirschman index, 0 to 10,000)",
    "cr1": "Share of the largest group",
    "cr2": "Share of the two largest groups",
    "cr4": "Share of the four largest groups",
    "groups": "Supplier groups",
    "contracts": "Contracts",
    "valued_contracts": "Contracts with a value in that currency",
    "excluded_from_value": "Contracts left out of the value figures",
    "other_currency_contracts": "Contracts in other currencies, left out of the value figures",
    "group_value": "The group's value",
    "buyer_value": "The buyer's value in the market",
    "group_contracts": "The group's contracts",
    "buyer_contracts": "The buyer's contracts in the market",
    "value": "Value",
    "uncompeted_value": "Value awarded without competition",
    "uncompeted_contracts": "Contracts awarded without competition",
    "consecutive_awards": "Consecutive awards without competition",
    "first_award": "First award of the run",
    "last_award": "Last award of the run",
    "valued_awards": "Awards with a value",
    "currencies": "Currencies of the awards",
    "window_from": "Contracts counted from the year",
    "year": "Year",
    "years": "Years it was seen",
    "buyers": "Buyers",
    "buyers_with_value": "Buyers with a value",
    "total_value": "Total value",
    "median_buyer_value": "Median value per buyer",
    "holders": "Holders",
    "holders_share": "The holders' share",
    "pattern": "Pattern",
    "method": "Method version",
    "overrun_ratio": "Overrun as a share of the original term",
    "live_contract_value": "Value of the live contracts",
    "live_contracts": "Live contracts",
}
ORDER = {name: i for i, name in enumerate(LABELS)}
BASES = {"value": "value", "contracts": "number of contracts", "buyers": "number of buyers"}


@dataclasses.dataclass(frozen=True)
class MetricRow:
    label: str
    text: str


def currency_of(metrics: Mapping[str, Any]) -> str | None:
    """The currency the flag's value figures are in: pounds when it names none (every flag
    raised before the detectors named their currency was in pounds)."""
    currency: str | None = metrics.get("currency", "GBP")
    return currency


def _label(name: str) -> str:
    return LABELS.get(name) or name.replace("_", " ").capitalize()


def _text(name: str, value: Any, currency: str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "basis" and value in BASES:
        basis = BASES[value]
        return f"{basis} in {currency}" if value == "value" and currency else basis
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, int | float) and name not in PLAIN:
        if name in PERCENT:
            return format_percent(value)
        if name in MONEY:
            return format_money(value, currency) if currency else format_number(value)
        places = 1 if isinstance(value, float) and value != round(value) else 0
        return format_number(value, places)
    return str(value)


def metric_rows(metrics: Mapping[str, Any]) -> list[MetricRow]:
    """The flag's numbers in a reader's words: the known ones in the order of LABELS, then the
    rest by name."""
    currency = currency_of(metrics)
    names = sorted(
        (
            name
            for name, value in metrics.items()
            if name not in HIDDEN and not isinstance(value, dict)
        ),
        key=lambda name: (ORDER.get(name, len(ORDER)), name),
    )
    return [MetricRow(_label(name), _text(name, metrics[name], currency)) for name in names]
