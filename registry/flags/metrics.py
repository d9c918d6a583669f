"""A flag's numbers as its page shows them: each with a reader's label (never a raw metric key),
money in the flag's own currency, shares as percentages, counts as counts (never as money)."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from typing import Any

from registry.formatting import format_date, format_money, format_number, format_percent

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
# Days written as ISO dates in the metrics, shown as a reader writes them ("31 July 2025").
DATES = frozenset(
    {
        "first_award",
        "last_award",
        "start_date",
        "end_date",
        "original_end_date",
        "closed_since",
        "judged_on",
        "support_end",
        "as_of",
    }
)
# Shown elsewhere on the page (the market's label, the largest groups' table, the price
# spread), or only the key a page links by.
HIDDEN = frozenset(
    {
        "leading",
        "other_basis",
        "market",
        "market_label",
        "market_kind",
        "price_spread",
        "product_id",
        "pattern",  # in the page's heading
    }
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
    # Closed framework lots.
    "reasons": "Why",
    "active_suppliers": "Active suppliers on the lot",
    "active_groups": "Active supplier groups on the lot",
    "memberships": "Suppliers ever recorded on the lot",
    "closed_since": "Last new supplier admitted (or the framework's start)",
    "judged_on": "Judged on",
    "closed_days": "Days closed to new suppliers",
    "closed_years": "Years closed to new suppliers",
    "framework_status": "Framework status",
    # Contract and framework terms.
    "start_date": "Start",
    "original_end_date": "End when awarded",
    "end_date": "End",
    "term_days": "Term in days",
    "term_years": "Term in years",
    "max_term_months": "Maximum term in months",
    "overrun_days": "Days added by extensions",
    "extensions": "Extensions",
    # Obligations.
    "missing": "Missing obligations",
    "exit_plan_obligations": "Exit plan obligations",
    "data_portability_obligations": "Data portability obligations",
    "open_standard_obligations": "Open-standard obligations",
    "required": "Open-standard obligations needed",
    "on_framework": "Called off a framework",
    # Unsupported software.
    "product": "Product",
    "vendor": "Vendor",
    "support_end": "Support ended",
    "support_kind": "Support that ended",
    "days_past_support": "Days since support ended",
    "days_exposed": "Days the buyer has been exposed",
    "as_of": "As of",
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
    if name in DATES and isinstance(value, str):
        return _long_date(value)
    if isinstance(value, int | float) and name not in PLAIN:
        if name in PERCENT:
            return format_percent(value)
        if name in MONEY:
            return format_money(value, currency) if currency else format_number(value)
        places = 1 if isinstance(value, float) and value != round(value) else 0
        return format_number(value, places)
    return str(value)


def _long_date(text: str) -> str:
    try:
        return format_date(datetime.date.fromisoformat(text))
    except ValueError:
        return text


# Thresholds that are shares, and amounts of money (in pounds: thresholds name no currency).
PERCENT_THRESHOLDS = frozenset(
    {"share_threshold", "single_share", "pair_share", "pair_each", "overrun_ratio"}
)
MONEY_THRESHOLDS = frozenset({"contract_min_value"})


def threshold_rows(detector: Any, thresholds: Mapping[str, Any]) -> list[MetricRow]:
    """The thresholds a flag was raised under, each described in words (never its setting's
    name), shares as percentages and money as money."""
    described = {t.name: t.description for t in detector.thresholds} if detector else {}
    rows = []
    for name, value in sorted(thresholds.items()):
        label = described.get(name) or name.replace("_", " ")
        if isinstance(value, bool) or not isinstance(value, int | float):
            text = str(value)
        elif name in PERCENT_THRESHOLDS:
            text = format_percent(value)
        elif name in MONEY_THRESHOLDS:
            text = format_money(value, "GBP")
        else:
            text = format_number(value, 0 if float(value).is_integer() else 1)
        rows.append(MetricRow(label[:1].upper() + label[1:], text))
    return rows


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
