"""A flag's numbers as its page shows them (registry/flags/metrics.py)."""

from __future__ import annotations

from registry.flags.metrics import metric_rows


def _shown(metrics: dict[str, object]) -> dict[str, str]:
    return {row.label: row.text for row in metric_rows(metrics)}


def test_counts_are_never_money_and_keys_are_never_labels() -> None:
    # A market concentration flag's numbers: "valued contracts" was once shown as £7,526.
    shown = _shown(
        {
            "hhi": 4374.0,
            "cr1": 0.56,
            "valued_contracts": 7526,
            "excluded_from_value": 12,
            "contracts": 7538,
            "market": "cpv-48814",
            "leading": [{"group_id": 1, "name": "EMIS", "share": 0.56}],
            "window_from": 2021,
        }
    )
    assert shown["Contracts with a value in that currency"] == "7,526"
    assert shown["Contracts left out of the value figures"] == "12"
    assert shown["Share of the largest group"] == "56.0%"
    assert shown["Concentration (Herfindahl-Hirschman index, 0 to 10,000)"] == "4,374"
    assert shown["Contracts counted from the year"] == "2021"  # a year, not 2,021
    assert not any("£" in text for text in shown.values())
    assert not any(label in shown for label in ("Hhi", "Cr1", "Valued contracts", "Leading"))


def test_money_is_in_the_flags_currency() -> None:
    shown = _shown({"currency": "AMD", "group_value": 8526000.0, "basis": "value", "share": 0.9})
    assert shown["The group's value"] == "8,526,000 AMD"
    assert shown["Judged by"] == "value in AMD"
    assert shown["Currency of the value figures"] == "AMD"


def test_a_flag_naming_no_currency_was_in_pounds() -> None:
    assert _shown({"value": 2500000.0})["Value"] == "£2,500,000"


def test_a_count_basis_shows_no_money() -> None:
    shown = _shown({"currency": None, "basis": "contracts", "group_value": None, "share": 0.8})
    assert shown["Judged by"] == "number of contracts"
    assert shown["The group's value"] == "—"


def test_an_unknown_metric_is_a_humanised_count() -> None:
    assert _shown({"widgets_counted": 400})["Widgets counted"] == "400"
